/**
 * Read path: R orders bulk-seeded straight into PostgreSQL (one INSERT ...
 * SELECT over generate_series, a realistic spread over stages, customers,
 * risk levels and a year of dates), then `GET /orders` with each filter and
 * with pagination (first page, and a deep keyset cursor), p50/p99 each, and
 * `EXPLAIN (ANALYZE, BUFFERS)` of the SQL the API actually sends (the same
 * builder, listOrdersSql) to show whether an index serves each query.
 */
import { encodeCursor, listOrdersSql, type ListQuery } from '../../api/services/orders';
import { orderEnv, type Ctx } from '../lib/context';
import { HttpClient } from '../lib/http';
import { withPg } from '../lib/pg';
import { startChild, type Child } from '../lib/procs';
import { nowMs, summarize, type Summary } from '../lib/util';

export const READ_CUSTOMERS = 200;

/** Share of orders per stage (a live system: most closed, a tail in every open stage). */
const STAGE_MIX: [string, number][] = [
  ['closed', 0.45], ['awaiting_payment', 0.1], ['in_transit', 0.08], ['shipping', 0.06], ['stock_preparation', 0.06],
  ['sales_review', 0.06], ['finance_review', 0.04], ['rejected', 0.05], ['cancelled', 0.04], ['joint_review', 0.02],
  ['awaiting_prepayment', 0.02], ['confirmation', 0.01], ['correction', 0.01],
];
const RISK_MIX: [string, number][] = [['low', 0.7], ['medium', 0.22], ['high', 0.08]];

/** SQL CASE picking a value by cumulative share of a uniform random number `r`. */
function pick(mix: [string, number][], r: string): string {
  let acc = 0;
  const whens = mix.slice(0, -1).map(([v, share]) => {
    acc += share;
    return `WHEN ${r} < ${acc.toFixed(4)} THEN '${v}'`;
  });
  return `CASE ${whens.join(' ')} ELSE '${mix[mix.length - 1][0]}' END`;
}

export async function seedReadOrders(url: string, rows: number): Promise<{ seconds: number; total: number }> {
  const t0 = nowMs();
  const total = await withPg(url, async (c) => {
    await c.query(
      `INSERT INTO customers (id, code, name, language, email, credit_limit, allowed_payment_terms)
       SELECT 'bench-r-' || lpad(g::text, 4, '0'), 'BENCH-R-' || lpad(g::text, 4, '0'), '读压测客户' || g || '有限公司',
              CASE WHEN g % 5 = 0 THEN 'en' ELSE 'zh' END, 'bench-r-' || g || '@example.com', 5000000.00, ARRAY['NET_30','PREPAYMENT']
         FROM generate_series(1, ${READ_CUSTOMERS}) g
       ON CONFLICT DO NOTHING`,
    );
    await c.query('SELECT setseed(0.42)');
    // Random draws per row: stage, risk, customer (skewed: a few big accounts), age, amount.
    await c.query(
      `INSERT INTO orders (id, order_no, idempotency_key, request_hash, customer_id, channel, contact_name, order_date,
                           requested_delivery_date, delivery_address, payment_terms, currency, subtotal, tax_amount, total_amount,
                           stage, stage_entered_at, stage_deadline, escalation, risk_level, on_hold, entered_by, workflow_id,
                           created_at, closed_at, outcome)
       SELECT id, order_no, 'bench-read-' || id, 'bench', customer_id, 'phone', '王经理', created_at::date,
              created_at::date + 14, '{"recipient":"王经理","phone":"+86 21 5555 0101","region":"上海","city":"上海市","line1":"浦东新区世纪大道100号"}'::jsonb,
              'NET_30', 'CNY', round(amount, 2), round(amount * 0.13, 2), round(amount * 1.13, 2),
              stage, created_at + interval '1 hour', CASE WHEN stage IN ('closed','rejected','cancelled','awaiting_payment') THEN NULL ELSE created_at + interval '1 day' END,
              CASE WHEN r_esc < 0.05 THEN 'reminded' WHEN r_esc < 0.07 THEN 'escalated' ELSE 'none' END,
              risk, r_esc > 0.98, 'sales', 'order-' || order_no, created_at,
              CASE WHEN stage IN ('closed','rejected','cancelled') THEN created_at + interval '10 days' END,
              CASE WHEN stage IN ('closed','rejected','cancelled') THEN stage END
         FROM (
           SELECT 'bench-read-' || lpad(g::text, 9, '0') AS id,
                  'SO-R-' || lpad(g::text, 7, '0') AS order_no,
                  'bench-r-' || lpad((1 + floor(${READ_CUSTOMERS} * power(random(), 2)))::int::text, 4, '0') AS customer_id,
                  ${pick(STAGE_MIX, 'r_stage')} AS stage,
                  ${pick(RISK_MIX, 'r_risk')} AS risk,
                  date_trunc('milliseconds', now() - random() * interval '365 days') AS created_at,
                  (500 + random() * 60000)::numeric AS amount,
                  r_esc
             FROM (SELECT g, random() AS r_stage, random() AS r_risk, random() AS r_esc FROM generate_series(1, ${rows}) g) s
         ) x
       ON CONFLICT DO NOTHING`,
    );
    await c.query('ANALYZE orders');
    await c.query('ANALYZE customers');
    const { rows: n } = await c.query('SELECT count(*)::int AS n FROM orders');
    return n[0].n as number;
  });
  return { seconds: Math.round((nowMs() - t0) / 100) / 10, total };
}

interface Variant {
  name: string;
  query: ListQuery;
  /** Rows matching the filter. */
  matching: number;
}

export interface ReadVariantResult {
  name: string;
  url: string;
  matching: number;
  items: number;
  ms: Summary;
  /** From the plan of the orders query: which indexes, any sequential scan of orders, rows read and thrown away. */
  indexBacked: boolean;
  indexes: string[];
  seqScan: boolean;
  rowsRemovedByFilter: number;
  planExecutionMs: number;
  sharedBuffers: { hit: number; read: number };
  sql: string;
  plan: string;
}

export interface ReadResult {
  rowsSeeded: number;
  ordersInTable: number;
  seedS: number;
  requestsPerVariant: number;
  variants: ReadVariantResult[];
  worstP99Ms: number;
  /** Queries with a sequential scan of orders (no index for the filter). */
  notIndexBacked: string[];
  /** Queries that use an index for the filter but not for the cursor: they read and throw away rows up to the page. */
  cursorNotIndexed: string[];
  errors: string[];
}

function walkPlan(node: any, visit: (n: any) => void): void {
  visit(node);
  for (const child of node.Plans ?? []) walkPlan(child, visit);
}

export async function runRead(ctx: Ctx): Promise<ReadResult> {
  const { opts, log } = ctx;
  const url = opts.databaseUrl;
  log(`read: seeding ${opts.readRows} orders`);
  const seeded = await seedReadOrders(url, opts.readRows);
  log(`read: ${seeded.total} orders in the table (seeded in ${seeded.seconds} s)`);

  // The filters to measure: a common and a rare stage, a big customer, a risk level, none; each first page and deep page.
  const base = await withPg(url, async (c) => {
    const common = (await c.query(`SELECT stage, count(*)::int AS n FROM orders GROUP BY stage ORDER BY n DESC LIMIT 1`)).rows[0];
    const rare = (await c.query(`SELECT stage, count(*)::int AS n FROM orders GROUP BY stage HAVING count(*) >= 60 ORDER BY n ASC LIMIT 1`)).rows[0] ?? common;
    const customer = (await c.query(`SELECT customer_id, count(*)::int AS n FROM orders GROUP BY customer_id ORDER BY n DESC LIMIT 1 OFFSET 10`)).rows[0]
      ?? (await c.query(`SELECT customer_id, count(*)::int AS n FROM orders GROUP BY customer_id ORDER BY n DESC LIMIT 1`)).rows[0];
    const high = (await c.query(`SELECT count(*)::int AS n FROM orders WHERE risk_level = 'high'`)).rows[0];
    const all = (await c.query(`SELECT count(*)::int AS n FROM orders`)).rows[0];
    const v: Variant[] = [
      { name: 'none', query: {}, matching: all.n },
      { name: `stage=${common.stage}`, query: { stage: common.stage }, matching: common.n },
      { name: `stage=${rare.stage}`, query: { stage: rare.stage }, matching: rare.n },
      { name: 'customerId', query: { customerId: customer.customer_id }, matching: customer.n },
      { name: 'riskLevel=high', query: { riskLevel: 'high' }, matching: high.n },
    ];
    const out: Variant[] = [];
    for (const x of v) {
      out.push({ ...x, name: `${x.name} (first page)` });
      if (x.matching < 120) continue;
      // A deep page: the cursor of the row 90 % into the filtered list (keyset, as the API pages).
      const where = [
        x.query.stage ? `stage = '${x.query.stage}'` : '',
        x.query.customerId ? `customer_id = '${x.query.customerId}'` : '',
        x.query.riskLevel ? `risk_level = '${x.query.riskLevel}'` : '',
      ].filter(Boolean);
      const offset = Math.max(0, Math.floor(x.matching * 0.9) - 1);
      const row = (await c.query(`SELECT created_at, id FROM orders ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC OFFSET ${offset} LIMIT 1`)).rows[0];
      if (row) out.push({ name: `${x.name} (deep page, row ${offset + 1})`, query: { ...x.query, cursor: encodeCursor({ createdAt: row.created_at, id: row.id }) }, matching: x.matching });
    }
    return out;
  });

  // The SQL the API sends for each variant (api/services/orders.ts listOrdersSql), explained.
  const plans: Map<string, Omit<ReadVariantResult, 'name' | 'url' | 'matching' | 'items' | 'ms'>> = new Map();
  for (const v of base) {
    const q = listOrdersSql(v.query);
    const plan = await withPg(url, async (c) => {
      const json = (await c.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${q.text}`, q.params)).rows[0]['QUERY PLAN'][0];
      const text = (await c.query(`EXPLAIN (ANALYZE, BUFFERS) ${q.text}`, q.params)).rows.map((r) => r['QUERY PLAN']).join('\n');
      return { json, text };
    });
    const indexes = new Set<string>();
    let seqScan = false;
    let removed = 0;
    walkPlan(plan.json.Plan, (n) => {
      if (n['Index Name']) indexes.add(n['Index Name']);
      if (n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'orders') seqScan = true;
      removed += Number(n['Rows Removed by Filter'] ?? 0);
    });
    plans.set(v.name, {
      indexBacked: !seqScan && indexes.size > 0,
      indexes: [...indexes],
      seqScan,
      rowsRemovedByFilter: removed,
      planExecutionMs: plan.json['Execution Time'],
      sharedBuffers: { hit: plan.json.Plan['Shared Hit Blocks'] ?? 0, read: plan.json.Plan['Shared Read Blocks'] ?? 0 },
      sql: `${q.text} -- params ${JSON.stringify(q.params)}`,
      plan: plan.text,
    });
  }

  // GET /orders over HTTP against the API process.
  const children: Child[] = [];
  const errors: string[] = [];
  const variants: ReadVariantResult[] = [];
  try {
    const api = await startChild('read api', 'api.ts', orderEnv(ctx, `bench-read-${ctx.runId}`), log);
    children.push(api);
    const http = new HttpClient(String(api.ready.url), 4);
    for (const v of base) {
      const qs = new URLSearchParams(Object.entries(v.query).filter(([, x]) => x !== undefined).map(([k, x]): [string, string] => [k, String(x)])).toString();
      const path = `/orders${qs ? `?${qs}` : ''}`;
      let items = 0;
      const ms: number[] = [];
      for (let i = 0; i < opts.readRequests + 3; i++) {
        // A manager's view: every order (a `sales` user's list is limited to their customers).
        const res = await http.request('GET', path, { actor: 'sales_manager' });
        if (res.status !== 200) {
          errors.push(`${v.name}: HTTP ${res.status} ${JSON.stringify(res.body)}`.slice(0, 300));
          break;
        }
        items = res.body.items.length;
        if (i >= 3) ms.push(res.ms); // the first three warm the path
      }
      const p = plans.get(v.name);
      variants.push({
        name: v.name,
        url: path.length > 160 ? `${path.slice(0, 160)}...` : path,
        matching: v.matching,
        items,
        ms: summarize(ms),
        indexBacked: p?.indexBacked ?? false,
        indexes: p?.indexes ?? [],
        seqScan: p?.seqScan ?? false,
        rowsRemovedByFilter: p?.rowsRemovedByFilter ?? NaN,
        planExecutionMs: p?.planExecutionMs ?? NaN,
        sharedBuffers: p?.sharedBuffers ?? { hit: NaN, read: NaN },
        sql: p?.sql ?? '(not captured)',
        plan: p?.plan ?? '(not captured)',
      });
      log(`read: ${v.name}: p50 ${variants[variants.length - 1].ms.p50} ms, p99 ${variants[variants.length - 1].ms.p99} ms${p?.indexBacked ? '' : ' (NOT index-backed)'}`);
    }
    http.close();
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
  return {
    rowsSeeded: opts.readRows,
    ordersInTable: seeded.total,
    seedS: seeded.seconds,
    requestsPerVariant: opts.readRequests,
    variants,
    worstP99Ms: Math.max(...variants.map((v) => v.ms.p99)),
    notIndexBacked: variants.filter((v) => !v.indexBacked).map((v) => v.name),
    cursorNotIndexed: variants.filter((v) => v.indexBacked && v.rowsRemovedByFilter > 500).map((v) => `${v.name}: ${v.rowsRemovedByFilter} rows filtered`),
    errors,
  };
}

/**
 * KPI query benchmark (SPEC 7: "SQL that stays fast at 100,000 orders").
 *
 *   npx tsx bench/kpi.ts [--orders 100000] [--reseed] [--runs 5] [--no-explain]
 *
 * Standalone: a scratch database `salesorder_bench_kpi` on the server of
 * DATABASE_URL (or BENCH_KPI_DATABASE_URL as given), migrated and seeded with
 * master data, then filled in bulk (generate_series, in the database) with
 * --orders orders over Jan 2025 - Nov 2026: order lines, stage transitions
 * (about 8 per order, some corrected, some rejected, some late, some held),
 * shipments, consumed reservations, production orders, order profits,
 * feedback, complaints and change requests. A filled database is reused
 * unless --reseed.
 *
 * Then it times computeKpis' queries (activities/kpi.ts liveKpis: one
 * read-only snapshot, the same code the activity and the API run) for a
 * month, a quarter and a year: p50 (and min/max) of --runs runs, each query
 * on its own too, and prints EXPLAIN (ANALYZE, BUFFERS) of every query.
 */
import { Client } from 'pg';
import { createPrisma } from '../activities/infra/db';
import { KPI_SQL, liveKpis } from '../activities/kpi';
import { parsePeriod, type Period } from '../workflows/domain/kpi';
import { explain, ms, parseBulkOptions, prefixedLog, prepareBulkDatabase, scratchDatabaseUrl, timeRuns } from './lib/bulk';

const log = prefixedLog('bench:kpi');

/** The bulk fill, all in SQL. Order ids are 'bk<i>' so a refill finds its rows. */
function fillSql(n: number): string[] {
  return [
    `CREATE TEMP TABLE bo AS
       SELECT i,
              'bk' || i AS id,
              timestamp '2025-01-01' + (i::float8 / ${n} * 680) * interval '1 day' + (i % 13) * interval '37 minutes' AS created,
              CASE WHEN i % 33 = 0 THEN 'rejected' WHEN i % 20 = 0 THEN 'corrected' ELSE 'normal' END AS variant,
              1 + i % 9 AS qty
         FROM generate_series(1, ${n}) i`,
    `CREATE TEMP TABLE bp AS SELECT id, standard_cost, list_price, row_number() OVER (ORDER BY sku) - 1 AS k FROM products`,
    `CREATE TEMP TABLE bc AS SELECT id, row_number() OVER (ORDER BY code) - 1 AS k FROM customers`,
    `CREATE TEMP TABLE bcar AS SELECT id FROM carriers ORDER BY code LIMIT 1`,
    `INSERT INTO orders (id, order_no, idempotency_key, request_hash, customer_id, channel, contact_name, order_date,
                         requested_delivery_date, delivery_address, payment_terms, subtotal, tax_amount, total_amount,
                         stage, stage_entered_at, entered_by, workflow_id, created_at, correction_count)
       SELECT bo.id, 'SO-BK-' || lpad(bo.i::text, 7, '0'), 'bench-kpi-' || bo.i, 'bench', bc.id, 'api', '王经理',
              bo.created::date, (bo.created + interval '21 days')::date,
              '{"recipient":"王经理","phone":"+86 21 5555 0101","region":"上海","city":"上海市","line1":"世纪大道100号"}'::jsonb,
              'NET_30', bp.list_price * bo.qty, round(bp.list_price * bo.qty * 0.13, 2), round(bp.list_price * bo.qty * 1.13, 2),
              'closed', bo.created, 'sales', 'order-SO-BK-' || bo.i, bo.created,
              CASE WHEN bo.variant = 'corrected' THEN 1 ELSE 0 END
         FROM bo
         JOIN bc ON bc.k = bo.i % (SELECT count(*) FROM bc)
         JOIN bp ON bp.k = bo.i % (SELECT count(*) FROM bp)`,
    `INSERT INTO order_lines (id, order_id, line_no, product_id, quantity, unit_price, tax_rate)
       SELECT 'bkl' || bo.i, bo.id, 1, bp.id, bo.qty, bp.list_price, 0.13
         FROM bo JOIN bp ON bp.k = bo.i % (SELECT count(*) FROM bp)`,
    // Stages with their limit (ms; null: no limit) and a duration: 20 %..130 % of the limit.
    `CREATE TEMP TABLE bt AS
       WITH path AS (
         SELECT bo.id AS order_id, bo.i, bo.created, u.stage, u.seq::int AS seq
           FROM bo
           CROSS JOIN LATERAL unnest(CASE bo.variant
             WHEN 'rejected' THEN ARRAY['sales_review','rejected']
             WHEN 'corrected' THEN ARRAY['sales_review','correction','sales_review','finance_review','confirmation','stock_preparation','shipping','in_transit','awaiting_payment','closed']
             ELSE ARRAY['sales_review','finance_review','confirmation','stock_preparation','shipping','in_transit','awaiting_payment','closed'] END)
             WITH ORDINALITY AS u(stage, seq)
       ), timed AS (
         SELECT p.*,
                CASE p.stage WHEN 'sales_review' THEN 86400000 WHEN 'correction' THEN 172800000 WHEN 'finance_review' THEN 86400000
                             WHEN 'stock_preparation' THEN 172800000 WHEN 'shipping' THEN 172800000 WHEN 'in_transit' THEN 864000000 END::bigint AS limit_ms,
                abs(hashtext(p.order_id || ':' || p.seq)) % 1000 AS r
           FROM path p
       ), dur AS (
         SELECT t.*,
                CASE WHEN t.limit_ms IS NOT NULL THEN (t.limit_ms * (0.2 + 1.1 * t.r / 1000.0))::bigint
                     WHEN t.stage = 'confirmation' THEN 3600000
                     ELSE (86400000 * (1 + 20 * t.r / 1000.0))::bigint END AS dur_ms,
                CASE WHEN t.r % 50 = 0 THEN 21600000 ELSE 0 END::bigint AS held_in_stage
           FROM timed t
       )
       SELECT d.order_id, d.i, d.seq, d.stage, d.limit_ms,
              lag(d.stage) OVER w AS from_stage,
              d.created + coalesce(sum(d.dur_ms + d.held_in_stage) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) * interval '1 millisecond' AS at,
              coalesce(lag(d.held_in_stage) OVER w, 0) AS held_ms
         FROM dur d
       WINDOW w AS (PARTITION BY d.order_id ORDER BY d.seq)`,
    `DELETE FROM bt WHERE at >= timestamp '2026-11-20'`,
    `INSERT INTO stage_transitions (id, order_id, seq, from_stage, to_stage, at, deadline, held_ms)
       SELECT 'bkt' || i || '-' || seq, order_id, seq, from_stage, stage, at,
              CASE WHEN limit_ms IS NOT NULL THEN at + limit_ms * interval '1 millisecond' END, held_ms
         FROM bt`,
    `INSERT INTO shipments (id, order_id, carrier_id, tracking_no, cost, weight_kg, eta, status, booked_at, dispatched_at, delivered_at)
       SELECT 'bks' || bo.i, bo.id, (SELECT id FROM bcar), 'BK' || bo.i, 80 + bo.i % 50, 2.5 * bo.qty,
              it.at + interval '10 days', CASE WHEN ap.at IS NULL THEN 'dispatched' ELSE 'delivered' END,
              it.at - interval '1 day', it.at, ap.at
         FROM bo
         JOIN bt it ON it.order_id = bo.id AND it.stage = 'in_transit'
         LEFT JOIN bt ap ON ap.order_id = bo.id AND ap.stage = 'awaiting_payment'`,
    `INSERT INTO reservations (id, order_id, order_line_id, product_id, quantity, status, created_at, updated_at)
       SELECT 'bkr' || bo.i, bo.id, 'bkl' || bo.i, l.product_id, bo.qty,
              CASE WHEN s.id IS NOT NULL THEN 'consumed' WHEN bo.variant = 'rejected' THEN 'released' ELSE 'reserved' END,
              bo.created, bo.created
         FROM bo JOIN order_lines l ON l.id = 'bkl' || bo.i
         LEFT JOIN shipments s ON s.order_id = bo.id`,
    `INSERT INTO production_orders (id, production_no, order_id, order_line_id, product_id, quantity, planned_start, planned_finish,
                                    percent, status, qc_passed, completed_at, created_at)
       SELECT 'bkp' || bo.i, 'PO-BK-' || bo.i, bo.id, 'bkl' || bo.i, l.product_id, bo.qty, sp.at, sp.at + interval '2 days',
              CASE WHEN sh.at IS NULL THEN 50 ELSE 100 END, CASE WHEN sh.at IS NULL THEN 'in_progress' ELSE 'completed' END,
              CASE WHEN sh.at IS NULL THEN NULL ELSE true END, sh.at - interval '1 hour', sp.at
         FROM bo
         JOIN order_lines l ON l.id = 'bkl' || bo.i
         JOIN bt sp ON sp.order_id = bo.id AND sp.stage = 'stock_preparation'
         LEFT JOIN bt sh ON sh.order_id = bo.id AND sh.stage = 'shipping'
        WHERE bo.i % 5 = 0`,
    `INSERT INTO order_profits (order_id, currency, revenue, cost_of_goods, shipping_cost, profit, margin, closed_at)
       SELECT o.id, 'CNY', o.subtotal, bp.standard_cost * l.quantity, s.cost,
              o.subtotal - bp.standard_cost * l.quantity - s.cost,
              round((o.subtotal - bp.standard_cost * l.quantity - s.cost) / o.subtotal, 4), c.at
         FROM bt c
         JOIN orders o ON o.id = c.order_id
         JOIN order_lines l ON l.order_id = o.id
         JOIN bp ON bp.id = l.product_id
         JOIN shipments s ON s.order_id = o.id
        WHERE c.stage = 'closed'`,
    `INSERT INTO feedback (id, order_id, rating, comment, created_by, created_at)
       SELECT 'bkf' || bo.i, bo.id, 1 + abs(hashtext('f' || bo.i)) % 5, NULL, 'sales', s.delivered_at + interval '2 days'
         FROM bo JOIN shipments s ON s.order_id = bo.id
        WHERE s.delivered_at IS NOT NULL AND bo.i % 10 < 3`,
    `INSERT INTO complaints (id, order_id, text, owner, status, created_by, created_at)
       SELECT 'bkc' || bo.i, bo.id, '包装破损', 'sales', 'open', 'sales', s.delivered_at + interval '3 days'
         FROM bo JOIN shipments s ON s.order_id = bo.id
        WHERE s.delivered_at IS NOT NULL AND bo.i % 37 = 0`,
    `INSERT INTO change_requests (id, order_id, request_key, changes, reason, wrong_data, requested_by, status, created_at)
       SELECT 'bkx' || bo.i, bo.id, 'bench-kpi-cr-' || bo.i, '{}'::jsonb, '地址有误', bo.i % 100 < 1, 'sales', 'applied',
              bo.created + interval '2 hours'
         FROM bo WHERE bo.i % 50 = 7`,
  ];
}

const CHILD_TABLES = ['feedback', 'complaints', 'change_requests', 'order_profits', 'production_orders', 'reservations', 'shipments', 'stage_transitions', 'order_lines'];

async function main(): Promise<void> {
  const o = parseBulkOptions(process.argv.slice(2), { orders: 100_000, reseed: false, runs: 5, explain: true });
  const url = scratchDatabaseUrl(process.env.BENCH_KPI_DATABASE_URL, 'salesorder_bench_kpi');
  await prepareBulkDatabase(
    url,
    o,
    {
      orderIds: 'bk%',
      clear: ['DELETE FROM kpi_archive', ...CHILD_TABLES.map((t) => `DELETE FROM ${t} WHERE order_id LIKE 'bk%'`), `DELETE FROM orders WHERE id LIKE 'bk%'`],
      fill: fillSql(o.orders),
      counts: `SELECT
        (SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM stage_transitions) AS transitions,
        (SELECT count(*) FROM shipments) AS shipments, (SELECT count(*) FROM order_profits) AS profits,
        (SELECT count(*) FROM feedback) AS feedback, (SELECT count(*) FROM production_orders) AS production`,
    },
    log,
  );

  const periods: Period[] = [parsePeriod('2026-06'), parsePeriod('2026-Q2'), parsePeriod('2025')];
  const prisma = createPrisma(url);
  const pg = new Client({ connectionString: url });
  await pg.connect();
  try {
    await liveKpis(prisma, periods[0]); // warm the pool and caches
    const summary: string[] = [];
    for (const p of periods) {
      let last;
      const total = await timeRuns(o.runs, async () => {
        last = await liveKpis(prisma, p);
      });
      const perQuery: string[] = [];
      for (const [name, build] of Object.entries(KPI_SQL)) {
        const q = build(p);
        const t = await timeRuns(o.runs, () => pg.query(q.text, q.values as unknown[]));
        perQuery.push(`${name} ${ms(t.p50)}`);
      }
      const line = `${p.kind.padEnd(7)} ${p.key.padEnd(7)} computeKpis p50 ${ms(total.p50)} (min ${ms(total.min)}, max ${ms(total.max)}; ${o.runs} runs) | ${perQuery.join(', ')}`;
      summary.push(line);
      log(line);
      const k = last!.kpis;
      log(
        `  ${p.key}: timeliness ${k.timeliness.overall.value} (${k.timeliness.overall.numerator}/${k.timeliness.overall.denominator}), ` +
          `intake→confirmation ${k.intakeToConfirmation.overall.value}, accuracy ${k.accuracy.overall.value} (${k.accuracy.overall.denominator} orders), ` +
          `rating ${k.averageRating.overall.value}, complaints ${k.complaintRate.overall.value}, turnover ${k.inventoryTurnover.overall.value}, ` +
          `margin ${k.profitMargin.overall.value}`,
      );
    }

    if (o.explain) {
      for (const p of [periods[0], periods[2]]) {
        for (const [name, build] of Object.entries(KPI_SQL)) {
          const q = build(p);
          console.log(`\n--- EXPLAIN ${name} (${p.key}) ---\n${await explain(pg, q.text, q.values as unknown[])}`);
        }
      }
    }
    console.log('\nSummary');
    for (const l of summary) console.log(`  ${l}`);
  } finally {
    await pg.end();
    await prisma.$disconnect();
  }
}

main().catch((err: unknown) => {
  console.error(`[bench:kpi] failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});

/**
 * KPIs per period (SPEC 7) and the performance archive.
 *
 * `queryKpis` gathers a period's counts and sums with a handful of aggregate
 * queries (no row loops in JS) inside one REPEATABLE READ, read-only
 * transaction, so every figure of a report comes from the same snapshot; the
 * pure formulas of workflows/domain/kpi.ts turn them into values. A period is
 * [start, end) in UTC; timestamps are bound as ISO strings cast to
 * `timestamp` (the columns hold UTC wall-clock time).
 *
 * What each KPI counts (each reported as { value, numerator, denominator }):
 *
 * - timeliness: stages FINISHED in the period. A stage is entered at a
 *   transition t and finishes at the order's next transition n (seq + 1);
 *   it is within its limit when n.at <= t.deadline + n.held_ms (held time
 *   stops the stage clock; held_ms sits on the transition that LEAVES the
 *   stage). Only stages with a limit (deadline not null) count. Per
 *   department by stage (STAGE_DEPARTMENTS); joint review counts for each of
 *   production, logistics and finance, and once in the overall figure.
 * - intakeToConfirmation: orders confirmed (first transition to
 *   `confirmation`) in the period whose confirmation came within the target
 *   after intake (orders.created_at), the target extended by the time the
 *   order was held before confirmation.
 * - accuracy: orders created in the period (all of them, whatever became of
 *   them) with correction_count = 0 and no change request flagged wrong_data
 *   (whatever its status) / orders created in the period.
 * - averageRating: feedback given in the period. complaintRate: complaints
 *   filed in the period / orders delivered (shipments.delivered_at) in the
 *   period.
 * - inventoryTurnover: cost of goods shipped in the period / average
 *   inventory value, see inventoryQuery.
 * - profitMargin: Σ profit / Σ revenue of order_profits closed in the
 *   period. A row is written when the order closes (fully paid), so a
 *   partly paid order counts in the period it closes, never before.
 *   Amounts are summed as they are (one currency, CNY, in practice).
 */
import { Prisma, type PrismaClient } from '../generated/prisma/client';
import {
  accuracyRate,
  inventoryTurnover,
  parsePeriod,
  profitMargin,
  satisfaction,
  timelinessRate,
  type KpiValue,
  type Period,
  type PeriodKind,
} from '../workflows/domain/kpi';
import { fmt, money } from '../workflows/domain/money';
import { parseDuration } from '../workflows/domain/duration';
import { DEFAULT_POLICY } from '../workflows/domain/policy';
import type { Department } from '../workflows/order/contract';
import type { ActivityDeps } from './index';
import { TX, badInput, writeAudit, type Db } from './audit';

export const KPI_NAMES = [
  'timeliness',
  'intakeToConfirmation',
  'accuracy',
  'averageRating',
  'complaintRate',
  'inventoryTurnover',
  'profitMargin',
] as const;
export type KpiName = (typeof KPI_NAMES)[number];

export const KPI_DEPARTMENTS = ['sales', 'finance', 'production', 'logistics'] as const satisfies readonly Department[];

/** Which department a stage's time counts for (processing timeliness per department). */
export const STAGE_DEPARTMENTS: Record<string, readonly Department[]> = {
  sales_review: ['sales'],
  correction: ['sales'],
  finance_review: ['finance'],
  awaiting_prepayment: ['finance'],
  joint_review: ['production', 'logistics', 'finance'],
  stock_preparation: ['production'],
  shipping: ['logistics'],
  in_transit: ['logistics'],
};
const TIMED = Object.keys(STAGE_DEPARTMENTS);

/**
 * Intake-to-confirmation target: the sales_review limit plus the
 * finance_review limit of the DEFAULT policy (1d + 1d = 48h), a fixed yardstick
 * so periods stay comparable whatever a deployment's POLICY_FILE says.
 */
export const INTAKE_TO_CONFIRMATION_TARGET_MS =
  parseDuration(DEFAULT_POLICY.stages.sales_review.limit) + parseDuration(DEFAULT_POLICY.stages.finance_review.limit);

export interface KpiEntry {
  overall: KpiValue;
  /** Per department, where the KPI applies to departments (timeliness). */
  departments?: Record<Department, KpiValue>;
}

export type KpiSet = Record<KpiName, KpiEntry>;

export interface PeriodKpis {
  period: string;
  kind: PeriodKind;
  /** Inclusive, ISO (UTC). */
  start: string;
  /** Exclusive, ISO (UTC). */
  end: string;
  computedAt: string;
  kpis: KpiSet;
  /** Inputs a reader needs to check the figures. */
  basis: {
    intakeToConfirmationTargetMs: number;
    /** Inventory value at the period's start and end (2 dp), whose mean is the turnover's denominator. */
    openingInventoryValue: string;
    closingInventoryValue: string;
  };
}

const ts = (iso: string) => Prisma.sql`${iso}::timestamp`;
const n = (x: unknown) => (x === null || x === undefined ? '0' : typeof x === 'bigint' ? x.toString() : String(x));

/**
 * The SQL of each query, exported so bench/kpi.ts can EXPLAIN exactly what runs.
 * Indexes used: stage_transitions (at) and (order_id, seq); orders (created_at, id);
 * feedback/complaints (created_at); order_profits (closed_at); change_requests (order_id).
 */
export const KPI_SQL = {
  /** Stages finished in the period, per stage entered, and how many within their limit. */
  stages: (p: Period) => Prisma.sql`
    SELECT t.to_stage AS stage,
           count(*) AS finished,
           count(*) FILTER (WHERE nx.at <= t.deadline + nx.held_ms * interval '1 millisecond') AS within
      FROM stage_transitions nx
      -- The transition that entered the stage, one probe of (order_id, seq) per finish:
      -- LIMIT 1 keeps the planner from hashing the whole table instead (measured in bench/kpi.ts).
      CROSS JOIN LATERAL (
        SELECT e.to_stage, e.deadline FROM stage_transitions e
         WHERE e.order_id = nx.order_id AND e.seq = nx.seq - 1
         LIMIT 1
      ) t
     WHERE nx.at >= ${ts(p.start)} AND nx.at < ${ts(p.end)}
       AND nx.seq > 1
       -- from_stage is the stage left (the entering row's to_stage): skips probes for untimed stages.
       AND nx.from_stage IN (${Prisma.join(TIMED)})
       AND t.deadline IS NOT NULL
       AND t.to_stage IN (${Prisma.join(TIMED)})
     GROUP BY t.to_stage`,

  /** Orders first confirmed in the period, and how many within the intake-to-confirmation target. */
  confirmation: (p: Period) => Prisma.sql`
    SELECT count(*) AS confirmed,
           count(*) FILTER (
             WHERE CASE
               WHEN c.at <= o.created_at + ${INTAKE_TO_CONFIRMATION_TARGET_MS}::bigint * interval '1 millisecond' THEN true
               -- Late on the plain target: the time held before confirmation extends it.
               ELSE c.at <= o.created_at + (${INTAKE_TO_CONFIRMATION_TARGET_MS}::bigint + (
                      SELECT coalesce(sum(s.held_ms), 0) FROM stage_transitions s
                       WHERE s.order_id = c.order_id AND s.seq <= c.seq
                    )) * interval '1 millisecond'
             END
           ) AS within
      FROM stage_transitions c
      JOIN orders o ON o.id = c.order_id
     WHERE c.to_stage = 'confirmation'
       AND c.at >= ${ts(p.start)} AND c.at < ${ts(p.end)}
       AND NOT EXISTS (
         SELECT 1 FROM stage_transitions e
          WHERE e.order_id = c.order_id AND e.to_stage = 'confirmation' AND e.seq < c.seq
       )`,

  accuracy: (p: Period) => Prisma.sql`
    SELECT count(*) AS orders,
           count(*) FILTER (
             WHERE o.correction_count = 0
               AND NOT EXISTS (SELECT 1 FROM change_requests cr WHERE cr.order_id = o.id AND cr.wrong_data)
           ) AS clean
      FROM orders o
     WHERE o.created_at >= ${ts(p.start)} AND o.created_at < ${ts(p.end)}`,

  satisfaction: (p: Period) => Prisma.sql`
    SELECT (SELECT sum(rating) FROM feedback WHERE created_at >= ${ts(p.start)} AND created_at < ${ts(p.end)}) AS rating_sum,
           (SELECT count(*) FROM feedback WHERE created_at >= ${ts(p.start)} AND created_at < ${ts(p.end)}) AS ratings,
           (SELECT count(*) FROM complaints WHERE created_at >= ${ts(p.start)} AND created_at < ${ts(p.end)}) AS complaints,
           (SELECT count(*) FROM shipments WHERE delivered_at >= ${ts(p.start)} AND delivered_at < ${ts(p.end)}) AS delivered`,

  /**
   * Inventory value is not recorded over time, so it is reconstructed from
   * today's stock by undoing the stock movements since then, valued at the
   * products' (current) standard cost:
   *
   *   value(t) = Σ on_hand × cost (now)
   *            − Σ quantity × cost of production orders completed at or after t (stock added since)
   *            + Σ quantity × cost of consumed reservations of shipments dispatched at or after t (stock removed since)
   *
   * i.e. the stock just before instant t. value(start) is the opening and
   * value(end) the closing stock; the average inventory value is their mean.
   * Cost of goods shipped = consumed reservations of shipments dispatched in
   * [start, end) × standard cost. Stock set by hand (seed, stock counts) is
   * not a movement and counts as if it had always been there.
   */
  inventory: (p: Period) => Prisma.sql`
    WITH shipped AS (
      SELECT coalesce(sum(r.quantity * pr.standard_cost) FILTER (WHERE s.dispatched_at < ${ts(p.end)}), 0) AS in_period,
             coalesce(sum(r.quantity * pr.standard_cost) FILTER (WHERE s.dispatched_at >= ${ts(p.end)}), 0) AS after_end
        FROM shipments s
        JOIN reservations r ON r.order_id = s.order_id AND r.status = 'consumed'
        JOIN products pr ON pr.id = r.product_id
       WHERE s.dispatched_at >= ${ts(p.start)}
    ), produced AS (
      SELECT coalesce(sum(po.quantity * pr.standard_cost) FILTER (WHERE po.completed_at < ${ts(p.end)}), 0) AS in_period,
             coalesce(sum(po.quantity * pr.standard_cost) FILTER (WHERE po.completed_at >= ${ts(p.end)}), 0) AS after_end
        FROM production_orders po
        JOIN products pr ON pr.id = po.product_id
       WHERE po.status = 'completed' AND po.completed_at >= ${ts(p.start)}
    ), stock AS (
      SELECT coalesce(sum(i.on_hand * pr.standard_cost), 0) AS now_value
        FROM inventory i
        JOIN products pr ON pr.id = i.product_id
    )
    SELECT stock.now_value::text AS stock_now,
           shipped.in_period::text AS shipped_in, shipped.after_end::text AS shipped_after,
           produced.in_period::text AS produced_in, produced.after_end::text AS produced_after
      FROM stock, shipped, produced`,

  profit: (p: Period) => Prisma.sql`
    SELECT coalesce(sum(profit), 0)::text AS profit, coalesce(sum(revenue), 0)::text AS revenue
      FROM order_profits
     WHERE closed_at >= ${ts(p.start)} AND closed_at < ${ts(p.end)}`,
};

const stageQuery = (db: Db, p: Period) => db.$queryRaw<{ stage: string; finished: bigint; within: bigint }[]>(KPI_SQL.stages(p));
const first = async <T>(rows: Promise<T[]>): Promise<T> => (await rows)[0];
const confirmationQuery = (db: Db, p: Period) => first(db.$queryRaw<{ confirmed: bigint; within: bigint }[]>(KPI_SQL.confirmation(p)));
const accuracyQuery = (db: Db, p: Period) => first(db.$queryRaw<{ orders: bigint; clean: bigint }[]>(KPI_SQL.accuracy(p)));
const satisfactionQuery = (db: Db, p: Period) =>
  first(db.$queryRaw<{ rating_sum: bigint | null; ratings: bigint; complaints: bigint; delivered: bigint }[]>(KPI_SQL.satisfaction(p)));
const profitQuery = (db: Db, p: Period) => first(db.$queryRaw<{ profit: unknown; revenue: unknown }[]>(KPI_SQL.profit(p)));

async function inventoryQuery(db: Db, p: Period) {
  const r = await first(
    db.$queryRaw<{ stock_now: unknown; shipped_in: unknown; shipped_after: unknown; produced_in: unknown; produced_after: unknown }[]>(
      KPI_SQL.inventory(p),
    ),
  );
  const stockNow = money(n(r.stock_now));
  const shippedIn = money(n(r.shipped_in));
  const shippedAfter = money(n(r.shipped_after));
  const producedIn = money(n(r.produced_in));
  const producedAfter = money(n(r.produced_after));
  const closing = stockNow.minus(producedAfter).plus(shippedAfter);
  const opening = closing.minus(producedIn).plus(shippedIn);
  return { costOfGoodsShipped: shippedIn, opening, closing, average: opening.plus(closing).div(2) };
}

/** A period's KPIs from `db` (a client or a transaction: the caller picks the snapshot). */
export async function queryKpis(db: Db, period: Period, now: Date = new Date()): Promise<PeriodKpis> {
  // Sequential on purpose: inside a transaction they share one connection anyway.
  const stages = await stageQuery(db, period);
  const confirmation = await confirmationQuery(db, period);
  const accuracy = await accuracyQuery(db, period);
  const sat = await satisfactionQuery(db, period);
  const inventory = await inventoryQuery(db, period);
  const profit = await profitQuery(db, period);

  const tally = () => ({ finished: 0n, within: 0n });
  const overall = tally();
  const byDept = Object.fromEntries(KPI_DEPARTMENTS.map((d) => [d, tally()])) as Record<Department, ReturnType<typeof tally>>;
  for (const row of stages) {
    const finished = BigInt(row.finished);
    const within = BigInt(row.within);
    overall.finished += finished;
    overall.within += within;
    for (const d of STAGE_DEPARTMENTS[row.stage] ?? []) {
      byDept[d].finished += finished;
      byDept[d].within += within;
    }
  }
  const departments = Object.fromEntries(
    KPI_DEPARTMENTS.map((d) => [d, timelinessRate(byDept[d].within, byDept[d].finished)]),
  ) as Record<Department, KpiValue>;

  const { averageRating, complaintRate } = satisfaction({
    ratingSum: n(sat.rating_sum),
    ratingCount: n(sat.ratings),
    complaints: n(sat.complaints),
    orders: n(sat.delivered),
  });

  return {
    period: period.key,
    kind: period.kind,
    start: period.start,
    end: period.end,
    computedAt: now.toISOString(),
    kpis: {
      timeliness: { overall: timelinessRate(overall.within, overall.finished), departments },
      intakeToConfirmation: { overall: timelinessRate(n(confirmation.within), n(confirmation.confirmed)) },
      accuracy: { overall: accuracyRate(n(accuracy.clean), n(accuracy.orders)) },
      averageRating: { overall: averageRating },
      complaintRate: { overall: complaintRate },
      inventoryTurnover: { overall: inventoryTurnover(inventory.costOfGoodsShipped, inventory.average) },
      profitMargin: { overall: profitMargin(n(profit.profit), n(profit.revenue)) },
    },
    basis: {
      intakeToConfirmationTargetMs: INTAKE_TO_CONFIRMATION_TARGET_MS,
      openingInventoryValue: fmt(inventory.opening),
      closingInventoryValue: fmt(inventory.closing),
    },
  };
}

/** One consistent snapshot for all of a report's queries. */
const SNAPSHOT = { ...TX, isolationLevel: Prisma.TransactionIsolationLevel.RepeatableRead } as const;

export function periodOrBadInput(text: string): Period {
  try {
    return parsePeriod(text);
  } catch (err) {
    throw badInput((err as Error).message, 'period');
  }
}

/** The live KPIs of a period from one read-only snapshot (the API uses this too). */
export async function liveKpis(prisma: PrismaClient, period: Period): Promise<PeriodKpis> {
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SET TRANSACTION READ ONLY`;
    return queryKpis(tx, period);
  }, SNAPSHOT);
}

/** The live KPIs of a period (any period: a running one gives the figures so far). */
export async function computeKpis(deps: ActivityDeps, a: { period: string }): Promise<PeriodKpis> {
  return liveKpis(deps.prisma, periodOrBadInput(a.period));
}

/** The archived KPIs of a period, or undefined. */
export async function readArchive(db: Db, period: string): Promise<PeriodKpis | undefined> {
  const row = await db.kpiArchive.findUnique({ where: { period } });
  if (!row) return undefined;
  return { ...(row.data as unknown as PeriodKpis), computedAt: row.computedAt.toISOString() };
}

/**
 * Closes a period: the first call computes its KPIs and stores them (one
 * kpi_archive row, one audit entry `kpi:<period>`); every later call returns
 * the stored row unchanged, whatever the data says by then. Only a period that
 * has ended can be archived.
 */
export async function archiveKpis(deps: ActivityDeps, a: { period: string }): Promise<PeriodKpis> {
  const period = periodOrBadInput(a.period);
  const stored = await readArchive(deps.prisma, period.key);
  if (stored) return stored;
  const now = new Date();
  if (Date.parse(period.end) > now.getTime())
    throw badInput(`period ${period.key} has not ended yet (it ends ${period.end}); only a closed period is archived`, 'period');

  const computed = await liveKpis(deps.prisma, period);
  const data = JSON.stringify(computed);
  await deps.prisma.$transaction(async (tx) => {
    const inserted = await tx.$executeRaw`
      INSERT INTO kpi_archive (period, kind, data, computed_at)
      VALUES (${period.key}, ${period.kind}, ${data}::jsonb, ${ts(computed.computedAt)})
      ON CONFLICT (period) DO NOTHING`;
    if (inserted > 0)
      await writeAudit(tx, {
        key: `kpi:${period.key}`,
        actor: 'system',
        action: 'kpi.archive',
        entity: 'kpi_archive',
        entityId: period.key,
        after: {
          period: period.key,
          kind: period.kind,
          computedAt: computed.computedAt,
          values: Object.fromEntries(KPI_NAMES.map((k) => [k, computed.kpis[k].overall.value])),
        },
      });
  }, TX);
  // Read back: a concurrent close that won the insert is the one reported.
  const archived = await readArchive(deps.prisma, period.key);
  if (!archived) throw new Error(`kpi_archive row for ${period.key} vanished after insert`);
  return archived;
}

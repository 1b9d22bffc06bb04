/** The bench's printed table. */
import type { BenchResult } from './bench';
import type { Summary } from './util';

interface HistoryShape {
  activities: number;
  localActivities?: number;
  updates: number;
  timers: number;
}

const f = (x: number | null | undefined, dp = 1) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(dp));
const pp = (s: Summary | undefined, dp = 0) => (s ? `${f(s.p50, dp)} / ${f(s.p99, dp)}` : '-');

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r, j) => {
    const line = r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
    return j === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
  }).join('\n');
}

export function formatReport(r: BenchResult): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(`Bench ${r.mode} run ${r.startedAt}: ${m.cpus} CPUs (${m.cpuModel}), ${m.memGiB} GiB, Node ${m.node}, load average ${m.loadAvgAtStart.join(' ')} at start${m.loadAvgAtEnd ? `, ${m.loadAvgAtEnd.join(' ')} at end` : ''}; Temporal ${r.temporal.address}${r.temporal.started ? ' (started by the bench, SQLite WAL)' : ' (reused)'}`);
  const p = r.pipeline;
  const b = r.baseline;
  if (p || b) {
    out.push('');
    out.push(`Happy path over HTTP: N = ${r.options.orders} orders, C = ${r.options.concurrency} (after ${r.options.warmup} warm-up orders)`);
    if (r.rounds && r.rounds.length > 1) {
      out.push(`${r.rounds.length} rounds, alternating which system runs first; the targets use the medians of the rounds' ratios (baseline: today's shape, 29 no-op activities and 5 updates)`);
      out.push(
        table([
          ['round', 'first', 'pipeline / baseline orders/s', 'throughput', 'approval p99', 'CPU per order'],
          ...r.rounds.map((x) => [String(x.round), x.first, `${f(x.pipelineOrdersPerSec, 2)} / ${f(x.baselineOrdersPerSec, 2)}`, f(x.ratio.throughput, 2), f(x.ratio.approvalP99, 2), f(x.ratio.cpuPerOrder, 2)]),
          ['median', '', '', f(r.ratio?.throughput, 2), f(r.ratio?.approvalP99, 2), f(r.ratio?.cpuPerOrder, 2)],
        ]),
      );
      out.push('');
      out.push('The round with the median throughput ratio, in detail:');
    }
    // The baseline is a yardstick that does not move: today's shape (29 no-op activities, 5 updates).
    const rows = [['', 'pipeline', "baseline (today's shape)", 'ratio']];
    const ratio = (a?: number, c?: number) => (a !== undefined && c !== undefined && c ? f(a / c, 2) : '-');
    rows.push(['completed / failed', p ? `${p.completed} / ${p.failed}` : '-', b ? `${b.completed} / ${b.failed}` : '-', '']);
    rows.push(['throughput (orders/s)', f(p?.ordersPerSec, 2), f(b?.ordersPerSec, 2), ratio(p?.ordersPerSec, b?.ordersPerSec)]);
    rows.push(['order latency p50 / p99 (ms)', pp(p?.latencyMs), pp(b?.latencyMs), `${ratio(p?.latencyMs.p50, b?.latencyMs.p50)} / ${ratio(p?.latencyMs.p99, b?.latencyMs.p99)}`]);
    rows.push(['approval round trip p50 / p99 (ms)', pp(p?.approvalMs), pp(b?.approvalMs), `${ratio(p?.approvalMs.p50, b?.approvalMs.p50)} / ${ratio(p?.approvalMs.p99, b?.approvalMs.p99)}`]);
    for (const s of ['salesReview', 'financeReview', 'dispatch', 'delivery', 'payment'] as const)
      rows.push([`  ${s} p50 / p99 (ms)`, pp(p?.updateMs[s]), pp(b?.updateMs[s]), '']);
    rows.push(['intake p50 / p99 (ms)', pp(p?.intakeMs), pp(b?.intakeMs), '']);
    const acts = (h?: HistoryShape) => (h ? `${h.activities} / ${h.localActivities ?? 0} / ${h.updates} / ${h.timers}` : '-');
    rows.push(['activities / local activities / updates / timers per order', acts(p?.history), acts(b?.history), '']);
    rows.push(['history events / workflow tasks', p?.history ? `${p.history.events} / ${p.history.workflowTasks}` : '-', b?.history ? `${b.history.events} / ${b.history.workflowTasks}` : '-', '']);
    rows.push(['CPU ms/order: worker / api', p ? `${p.cpuMsPerOrder.worker} / ${p.cpuMsPerOrder.api}` : '-', b ? `${b.cpuMsPerOrder.worker} / ${b.cpuMsPerOrder.api}` : '-', '']);
    rows.push(['CPU ms/order: temporal / bench', p ? `${f(p.cpuMsPerOrder.temporal, 0)} / ${p.cpuMsPerOrder.bench}` : '-', b ? `${f(b.cpuMsPerOrder.temporal, 0)} / ${b.cpuMsPerOrder.bench}` : '-', '']);
    // All processes on the machine that work for the run, PostgreSQL included: on 2 shared cores this sets throughput.
    const cpuAll = (r?: { cpuMsPerOrder: Record<string, number> }) => (r ? `${f(r.cpuMsPerOrder.postgres, 0)} / ${r.cpuMsPerOrder.total}` : '-');
    rows.push(['CPU ms/order: postgres / all', cpuAll(p), cpuAll(b), p && b ? f(p.cpuMsPerOrder.total / b.cpuMsPerOrder.total, 2) : '']);
    rows.push(['DB transactions / order (pg_stat_database, all processes)', f(p?.db?.xactsPerOrder), '0', '']);
    const split = (x?: { worker: number; api: number; total: number }) => (x ? `${f(x.total)} (${f(x.worker)} + ${f(x.api)})` : '-');
    rows.push(['DB transactions / order, worker + api (counted in pg)', split(p?.db?.transactionsPerOrder), '0', '']);
    rows.push(['DB statements / order, worker + api (counted in pg)', split(p?.db?.statementsPerOrder), '0', '']);
    rows.push(['emails / order', f(p?.emailsPerOrder), '0', '']);
    rows.push(['idle polls / not-ready retries per order', p ? `${f(p.idlePollsPerOrder)} / ${f(p.notReadyRetriesPerOrder)}` : '-', b ? `${f(b.idlePollsPerOrder)} / ${f(b.notReadyRetriesPerOrder)}` : '-', '']);
    out.push(table(rows));
    if (p?.activityStats) {
      out.push('');
      out.push('Pipeline activities (worker side): count, p50 / p99 ms, total s');
      const acts = Object.entries(p.activityStats as Record<string, Summary & { totalMs: number }>).sort((a, c) => c[1].totalMs - a[1].totalMs);
      out.push(table([['activity', 'count', 'p50 / p99', 'total s'], ...acts.map(([name, s]) => [name, String(s.n), pp(s, 1), f(s.totalMs / 1000, 1)])]));
    }
  }
  for (const [name, ph] of [['pipeline', p], ['baseline', b]] as const) {
    for (const [proc, list] of Object.entries(ph?.profiles ?? {})) {
      for (const prof of list.filter((x) => x.busyMs > 0.05 * (list[0]?.busyMs ?? 0))) {
        out.push('');
        out.push(`CPU profile, ${name} ${proc} thread ${prof.thread}: busy ${f(prof.busyMs / 1000)} s of ${f(prof.sampledMs / 1000)} s; self time by module`);
        out.push(prof.byModule.map((x) => `  ${x.module.padEnd(48)} ${f(x.ms / 1000).padStart(7)} s ${f(x.share * 100).padStart(5)} %`).join('\n'));
      }
    }
  }
  if (r.scale) {
    const s = r.scale;
    out.push('');
    out.push(`Open-order scale: ${s.created}/${s.orders} orders waiting in sales review (the last ${s.timedOrders} with limit ${s.deadline}, the rest 1d), intake at C = ${s.concurrency}`);
    out.push(table([
      ['', 'value'],
      ['creation rate (orders/s over HTTP)', f(s.creationRate)],
      ['intake p50 / p99 (ms)', pp(s.intakeMs)],
      ['all waiting after (s) / settled rate (orders/s)', `${f(s.settledS)} / ${f(s.settledRate)}`],
      ['worker RSS MiB: all waiting / max / after timers', `${f(s.workerRssMiB.settled)} / ${f(s.workerRssMiB.max)} / ${f(s.workerRssMiB.afterTimers)}`],
      ['reminders fired (timed orders)', `${s.remindersFired} / ${s.timedOrders}`],
      ['timer lateness, all: p50 / p99 / max (ms)', `${pp(s.latenessMs)} / ${f(s.latenessMs.max, 0)}`],
      [`  due after all ${s.created} were waiting (${s.latenessWhileAllWaitingMs.n})`, `${pp(s.latenessWhileAllWaitingMs)} / ${f(s.latenessWhileAllWaitingMs.max, 0)}`],
      ['first timed deadline passed during intake', s.timersOverlappedIntake ? 'yes' : 'no'],
    ]));
  }
  if (r.read) {
    const rd = r.read;
    out.push('');
    out.push(`Read path: ${rd.ordersInTable} orders in the table (${rd.rowsSeeded} bulk-seeded in ${rd.seedS} s), ${rd.requestsPerVariant} requests each`);
    out.push(table([
      ['GET /orders', 'matching', 'p50 / p99 ms', 'plan ms', 'index', 'rows filtered'],
      ...rd.variants.map((v) => [v.name, String(v.matching), pp(v.ms, 1), f(v.planExecutionMs, 2), v.indexBacked ? v.indexes.join(',') : 'NO (seq scan)', String(v.rowsRemovedByFilter)]),
    ]));
  }
  if (r.targets.length) {
    out.push('');
    out.push(table([
      ['target', 'goal', 'measured', 'met'],
      ...r.targets.map((t) => [t.name, t.target, t.value === null ? '-' : String(t.value), t.met === null ? '-' : t.met ? 'yes' : 'NO']),
    ]));
    if (r.mode === 'smoke') out.push('(smoke mode: a few orders; the figures prove the code paths, not the targets)');
  }
  const errs = [...r.errors, ...(p?.errors ?? []), ...(b?.errors ?? []), ...(r.scale?.errors ?? []), ...(r.read?.errors ?? [])];
  if (errs.length) {
    out.push('');
    out.push('Errors:');
    for (const e of errs.slice(0, 20)) out.push(`  ${e}`);
  }
  out.push(`\nWall time (s): ${Object.entries(r.seconds).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (r.resultFile) out.push(`Result: ${r.resultFile}`);
  return out.join('\n');
}

/** The chaos run's summary as text: what ran, what happened to the orders, and each invariant. */
import type { ChaosResult } from './run';

export function formatSummary(r: ChaosResult): string {
  const o = r.options;
  const lines: string[] = [];
  lines.push(`chaos summary: seed ${o.seed}, ${o.orders} orders (${r.ordersTaken} taken), concurrency ${o.concurrency}, ${o.workers} workers`);
  lines.push(`time: setup ${r.seconds.setup} s, commands ${r.seconds.commands} s, settle ${r.seconds.settle} s, checks ${r.seconds.checks} s, total ${r.seconds.total} s`);
  lines.push(`orders by final stage: ${Object.entries(r.stages).sort((a, b) => b[1] - a[1]).map(([s, n]) => `${s} ${n}`).join(', ')}`);
  const total = { sent: 0, byStatus: {} as Record<string, number> };
  for (const c of Object.values(r.commands)) {
    total.sent += c.sent;
    for (const [s, n] of Object.entries(c.byStatus)) total.byStatus[s] = (total.byStatus[s] ?? 0) + n;
  }
  const statuses = (b: Record<string, number>) => Object.entries(b).sort().map(([s, n]) => `${s}:${n}`).join(' ');
  const accepted = Object.entries(total.byStatus).filter(([s]) => s.startsWith('2')).reduce((a, [, n]) => a + n, 0);
  lines.push(`commands: ${total.sent} sent, ${accepted} accepted, ${total.sent - accepted} refused or unanswered (${statuses(total.byStatus)})`);
  for (const [kind, c] of Object.entries(r.commands).sort()) {
    lines.push(`  ${kind.padEnd(34)} ${String(c.sent).padStart(5)}  ${statuses(c.byStatus)}`);
    if (o.verbose) for (const m of c.refusals) lines.push(`      ${m}`);
  }
  lines.push(`faults injected (${r.faults.length}):`);
  for (const f of r.faults) lines.push(`  ${f.at.padStart(7)}  ${f.kind}: ${f.detail}`);
  lines.push('invariants:');
  for (const c of r.checks) {
    lines.push(`  [${c.violations.length ? 'FAIL' : 'ok'}] ${c.name}${c.note ? `  (${c.note})` : ''}`);
    for (const v of c.violations) lines.push(`         - ${v}`);
  }
  lines.push(r.violations ? `RESULT: ${r.violations} violation(s)` : 'RESULT: every invariant holds');
  return lines.join('\n');
}

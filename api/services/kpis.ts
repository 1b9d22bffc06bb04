/**
 * KPI reports (SPEC 7): a period's KPIs from the performance archive when the
 * period has been closed, else computed live (activities/kpi.ts, the same
 * queries the period close runs), as JSON, CSV or a self-contained HTML page
 * with a trend chart (inline SVG) per KPI.
 */
import type { PrismaClient } from '../../activities/infra/db';
import { escapeHtml } from '../../activities/email/templates';
import { KPI_DEPARTMENTS, KPI_NAMES, liveKpis, readArchive, type KpiName, type PeriodKpis } from '../../activities/kpi';
import { parsePeriod, trendPeriods, type KpiValue, type Period } from '../../workflows/domain/kpi';
import { badRequest } from '../errors';

export type KpiSource = 'archive' | 'live';
export interface KpiReport extends PeriodKpis {
  source: KpiSource;
}

/** The period asked for: well-formed and not in the future (400 naming `period` otherwise). */
export function requestedPeriod(text: string, now: Date = new Date()): Period {
  let p: Period;
  try {
    p = parsePeriod(text);
  } catch (err) {
    throw badRequest(`period: ${(err as Error).message}`, 'period');
  }
  if (Date.parse(p.start) > now.getTime()) throw badRequest(`period ${p.key} is in the future (it starts ${p.start})`, 'period');
  return p;
}

/** The archived KPIs of the period, else its live figures. */
export async function kpisFor(prisma: PrismaClient, period: Period): Promise<KpiReport> {
  const archived = await readArchive(prisma, period.key);
  if (archived) return { ...archived, source: 'archive' };
  return { ...(await liveKpis(prisma, period)), source: 'live' };
}

/** The last `n` periods up to and including `period`, oldest first, each archived or live. */
export async function trendFor(prisma: PrismaClient, period: Period, n: number): Promise<KpiReport[]> {
  const periods = trendPeriods(period, n);
  const rows = await prisma.kpiArchive.findMany({ where: { period: { in: periods.map((p) => p.key) } } });
  const byKey = new Map(rows.map((r) => [r.period, { ...(r.data as unknown as PeriodKpis), computedAt: r.computedAt.toISOString() }]));
  const out: KpiReport[] = [];
  // One at a time: each live period is a few aggregate queries in its own snapshot.
  for (const p of periods) {
    const a = byKey.get(p.key);
    out.push(a ? { ...a, source: 'archive' } : { ...(await liveKpis(prisma, p)), source: 'live' });
  }
  return out;
}

// ---------------------------------------------------------------------------
// Presentation

export const KPI_LABELS: Record<KpiName, { title: string; unit: 'rate' | 'rating' | 'times' }> = {
  timeliness: { title: 'Processing timeliness (stages finished within limit)', unit: 'rate' },
  intakeToConfirmation: { title: 'Intake to confirmation within target', unit: 'rate' },
  accuracy: { title: 'Order accuracy (no correction)', unit: 'rate' },
  averageRating: { title: 'Customer satisfaction: average rating (1-5)', unit: 'rating' },
  complaintRate: { title: 'Complaint rate (complaints / orders delivered)', unit: 'rate' },
  inventoryTurnover: { title: 'Inventory turnover (cost of goods shipped / average inventory)', unit: 'times' },
  profitMargin: { title: 'Order profit margin (profit / revenue)', unit: 'rate' },
};

export interface KpiRow {
  kpi: KpiName;
  /** `all` for the overall figure. */
  department: string;
  value: KpiValue;
}

/** One row per KPI and department (overall first). */
export function kpiRows(r: PeriodKpis): KpiRow[] {
  const rows: KpiRow[] = [];
  for (const kpi of KPI_NAMES) {
    const e = r.kpis[kpi];
    rows.push({ kpi, department: 'all', value: e.overall });
    for (const d of KPI_DEPARTMENTS) {
      const v = e.departments?.[d];
      if (v) rows.push({ kpi, department: d, value: v });
    }
  }
  return rows;
}

/** RFC 4180 field; a leading =, +, - or @ is quoted with ' so a spreadsheet never runs it as a formula. */
export function csvField(v: string): string {
  const safe = /^[=+\-@]/.test(v) && !/^-?\d/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function reportCsv(r: KpiReport): string {
  const header = ['period', 'kpi', 'department', 'value', 'numerator', 'denominator', 'source'];
  const lines = [header.join(',')];
  for (const row of kpiRows(r)) {
    lines.push(
      [r.period, row.kpi, row.department, row.value.value ?? '', row.value.numerator, row.value.denominator, r.source].map(csvField).join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** The report escapes HTML as the emails do: one escaping, re-exported here for the report's callers. */
export { escapeHtml };

const show = (v: string | null, unit: 'rate' | 'rating' | 'times') =>
  v === null ? '—' : unit === 'rate' ? `${(Number(v) * 100).toFixed(2)} %` : v;

/** A line chart of one KPI over the trend periods; gaps where there was nothing to measure. */
export function trendSvg(kpi: KpiName, trend: KpiReport[]): string {
  const W = 520;
  const H = 200;
  const L = 56;
  const R = 16;
  const T = 16;
  const B = 44;
  const unit = KPI_LABELS[kpi].unit;
  const values = trend.map((t) => t.kpis[kpi]?.overall.value ?? null).map((v) => (v === null ? null : Number(v)));
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const top = unit === 'rating' ? 5 : unit === 'rate' ? Math.max(1, ...present) : Math.max(1, ...present) * 1.1;
  const bottom = Math.min(0, ...present);
  const x = (i: number) => (trend.length === 1 ? L + (W - L - R) / 2 : L + (i * (W - L - R)) / (trend.length - 1));
  const y = (v: number) => T + (H - T - B) * (1 - (v - bottom) / (top - bottom || 1));
  const f = (n: number) => n.toFixed(1);

  const parts: string[] = [];
  const label = `${KPI_LABELS[kpi].title}, ${trend[0]?.period ?? ''} to ${trend[trend.length - 1]?.period ?? ''}`;
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(label)}">`);
  // Axes and grid (bottom, middle, top).
  for (const g of [bottom, (bottom + top) / 2, top]) {
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${f(y(g))}" y2="${f(y(g))}" class="grid"/>`);
    const text = unit === 'rate' ? `${(g * 100).toFixed(0)} %` : g.toFixed(unit === 'rating' ? 1 : 2);
    parts.push(`<text x="${L - 6}" y="${f(y(g) + 4)}" text-anchor="end" class="tick">${escapeHtml(text)}</text>`);
  }
  trend.forEach((t, i) => {
    parts.push(`<text x="${f(x(i))}" y="${H - B + 18}" text-anchor="middle" class="tick">${escapeHtml(t.period)}</text>`);
  });
  // The line, broken where a period has no value.
  let run: string[] = [];
  const flush = () => {
    if (run.length > 1) parts.push(`<polyline points="${run.join(' ')}" class="line"/>`);
    run = [];
  };
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) return flush();
    run.push(`${f(x(i))},${f(y(v))}`);
  });
  flush();
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) return;
    const t = trend[i];
    const e = t.kpis[kpi].overall;
    const tip = `${t.period} (${t.source}): ${show(e.value, unit)} = ${e.numerator} / ${e.denominator}`;
    parts.push(`<circle cx="${f(x(i))}" cy="${f(y(v))}" r="3.5" class="${t.source}"><title>${escapeHtml(tip)}</title></circle>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

export function reportHtml(r: KpiReport, trend: KpiReport[]): string {
  const e = escapeHtml;
  const rows = kpiRows(r)
    .map((row) => {
      const unit = KPI_LABELS[row.kpi].unit;
      return (
        `<tr><td>${e(row.department === 'all' ? KPI_LABELS[row.kpi].title : '')}</td><td>${e(row.department)}</td>` +
        `<td class="num">${e(show(row.value.value, unit))}</td><td class="num">${e(row.value.numerator)}</td>` +
        `<td class="num">${e(row.value.denominator)}</td></tr>`
      );
    })
    .join('\n');
  const charts = KPI_NAMES.map((k) => `<figure><figcaption>${e(KPI_LABELS[k].title)}</figcaption>${trendSvg(k, trend)}</figure>`).join('\n');
  const trendHead = trend.map((t) => `<th>${e(t.period)}<br><small>${e(t.source)}</small></th>`).join('');
  const trendRows = KPI_NAMES.map(
    (k) =>
      `<tr><td>${e(KPI_LABELS[k].title)}</td>${trend
        .map((t) => `<td class="num">${e(show(t.kpis[k]?.overall.value ?? null, KPI_LABELS[k].unit))}</td>`)
        .join('')}</tr>`,
  ).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>KPI report ${e(r.period)}</title>
<style>
  body { font-family: system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 2rem; color: #1f2933; }
  h1 { font-size: 1.5rem; margin-bottom: .25rem; }
  .meta { color: #52606d; margin-top: 0; }
  table { border-collapse: collapse; margin: 1rem 0 2rem; }
  th, td { border-bottom: 1px solid #d9e2ec; padding: .35rem .75rem; text-align: left; vertical-align: top; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .charts { display: flex; flex-wrap: wrap; gap: 1.5rem; }
  figure { margin: 0; }
  figcaption { font-weight: 600; margin-bottom: .25rem; }
  svg .grid { stroke: #d9e2ec; stroke-width: 1; }
  svg .tick { font-size: 11px; fill: #52606d; }
  svg .line { fill: none; stroke: #2f80ed; stroke-width: 2; }
  svg circle.archive { fill: #2f80ed; }
  svg circle.live { fill: #fff; stroke: #2f80ed; stroke-width: 2; }
</style>
</head>
<body>
<h1>KPI report ${e(r.period)}</h1>
<p class="meta">${e(r.kind)} ${e(r.start)} to ${e(r.end)} (end exclusive, UTC) · source: ${e(r.source)} · computed ${e(r.computedAt)}</p>
<table>
<thead><tr><th>KPI</th><th>department</th><th>value</th><th>numerator</th><th>denominator</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<p class="meta">Intake-to-confirmation target: ${e(String(r.basis.intakeToConfirmationTargetMs / 3_600_000))} h. Inventory value at start ${e(r.basis.openingInventoryValue)}, at end ${e(r.basis.closingInventoryValue)}.</p>
<h2>Trend, last ${trend.length} ${e(r.kind)}${trend.length === 1 ? '' : 's'}</h2>
<p class="meta">Filled points: archived; hollow points: live figures.</p>
<div class="charts">
${charts}
</div>
<table>
<thead><tr><th>KPI</th>${trendHead}</tr></thead>
<tbody>
${trendRows}
</tbody>
</table>
</body>
</html>
`;
}

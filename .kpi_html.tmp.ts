import { writeFileSync } from 'node:fs';
import { createPrisma } from './activities/infra/db';
import { trendFor, reportHtml } from './api/services/kpis';
import { parsePeriod } from './workflows/domain/kpi';
(async () => {
  const prisma = createPrisma('postgresql://postgres@127.0.0.1:5432/salesorder_bench_kpi');
  const t0 = performance.now();
  const trend = await trendFor(prisma, parsePeriod('2026-06'), 6);
  console.log('trend 6 months live', (performance.now() - t0).toFixed(0), 'ms');
  writeFileSync('/tmp/kpi.html', reportHtml(trend[trend.length - 1], trend));
  const svg = reportHtml(trend[trend.length - 1], trend).match(/<svg[\s\S]*?<\/svg>/)![0];
  writeFileSync('/tmp/kpi.svg', svg.replace('<svg ', '<svg style="background:#fff" ').replace(/class="grid"/g,'stroke="#ccc"').replace(/class="line"/g,'fill="none" stroke="#2f80ed" stroke-width="2"').replace(/class="tick"/g,'font-size="11" fill="#555"'));
  await prisma.$disconnect();
})();

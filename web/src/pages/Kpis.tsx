/**
 * KPIs of a period (GET /kpis: archived when the period is closed, else
 * live) with the trend of the 6 periods up to it, numerator and denominator
 * on hover, and the period's CSV report.
 */
import { useEffect, useMemo, useState } from 'react';
import { Alert, Button, Card, Col, DatePicker, Row, Segmented, Space, Table, Tooltip, Typography } from 'antd';
import { ToneTag } from '../components/Tags';
import { api, qs } from '../api';
import { useI18n, type Lang } from '../i18n';
import { usePageTitle } from '../work';
import { Chart } from '../components/Chart';
import { dayjs, nowInZone } from '../format';

type Kind = 'month' | 'quarter' | 'year';
interface KpiValue { value: string | null; numerator: string; denominator: string }
interface Report {
  period: string;
  kind: string;
  source: 'archive' | 'live';
  kpis: Record<string, { overall: KpiValue; departments?: Record<string, KpiValue> }>;
}

const KPIS: { key: string; unit: 'rate' | 'rating' | 'times'; zh: string; en: string }[] = [
  { key: 'timeliness', unit: 'rate', zh: '处理及时率', en: 'Processing timeliness' },
  { key: 'intakeToConfirmation', unit: 'rate', zh: '接单到确认达标率', en: 'Intake to confirmation on target' },
  { key: 'accuracy', unit: 'rate', zh: '订单准确率', en: 'Order accuracy' },
  { key: 'averageRating', unit: 'rating', zh: '客户满意度（平均评分）', en: 'Customer satisfaction (avg rating)' },
  { key: 'complaintRate', unit: 'rate', zh: '投诉率', en: 'Complaint rate' },
  { key: 'inventoryTurnover', unit: 'times', zh: '库存周转次数', en: 'Inventory turnover' },
  { key: 'profitMargin', unit: 'rate', zh: '订单利润率', en: 'Order profit margin' },
];

function periodOf(kind: Kind, d: dayjs.Dayjs): string {
  if (kind === 'year') return d.format('YYYY');
  if (kind === 'quarter') return `${d.format('YYYY')}-Q${Math.floor(d.month() / 3) + 1}`;
  return d.format('YYYY-MM');
}

function show(v: KpiValue | undefined, unit: string): string {
  if (!v || v.value === null) return '—';
  const n = Number(v.value);
  return unit === 'rate' ? `${(n * 100).toFixed(1)}%` : n.toFixed(2);
}

const name = (k: (typeof KPIS)[number], lang: Lang) => (lang === 'zh' ? k.zh : k.en);

export default function Kpis() {
  const { t, lang, code } = useI18n();
  usePageTitle(t('kpis'));
  const [kind, setKind] = useState<Kind>('month');
  const [date, setDate] = useState(() => nowInZone());
  const [trend, setTrend] = useState<(Report | null)[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const period = periodOf(kind, date);

  useEffect(() => {
    const unit = kind === 'month' ? 'month' : kind === 'year' ? 'year' : 'month';
    const step = kind === 'quarter' ? 3 : 1;
    const periods = Array.from({ length: 6 }, (_, i) => periodOf(kind, date.subtract((5 - i) * step, unit)));
    setTrend(null);
    setError(null);
    Promise.all(periods.map((p) => api<Report>(`/kpis${qs({ period: p })}`).catch((e: Error) => (p === period ? Promise.reject(e) : null))))
      .then(setTrend)
      .catch((e: Error) => setError(e.message));
  }, [kind, date, period]);

  const current = trend?.[trend.length - 1] ?? null;

  const rateOption = useMemo(() => {
    const reports = (trend ?? []).filter((r): r is Report => !!r);
    const rates = KPIS.filter((k) => k.unit === 'rate');
    return {
      tooltip: {
        trigger: 'axis',
        formatter: (params: { seriesName: string; dataIndex: number; marker: string }[]) =>
          params
            .map((p) => {
              const k = rates.find((x) => name(x, lang) === p.seriesName)!;
              const v = reports[p.dataIndex]?.kpis[k.key]?.overall;
              return `${p.marker}${p.seriesName}: ${show(v, 'rate')} (${v?.numerator ?? '—'} / ${v?.denominator ?? '—'})`;
            })
            .join('<br/>'),
      },
      legend: { type: 'scroll', bottom: 0 },
      grid: { left: 48, right: 16, top: 16, bottom: 48 },
      xAxis: { type: 'category', data: reports.map((r) => r.period) },
      yAxis: { type: 'value', axisLabel: { formatter: (v: number) => `${Math.round(v * 100)}%` } },
      series: rates.map((k) => ({
        name: name(k, lang),
        type: 'line',
        data: reports.map((r) => (r.kpis[k.key]?.overall.value === null ? null : Number(r.kpis[k.key]?.overall.value))),
      })),
    };
  }, [trend, lang]);

  const otherOption = useMemo(() => {
    const reports = (trend ?? []).filter((r): r is Report => !!r);
    const others = KPIS.filter((k) => k.unit !== 'rate');
    return {
      tooltip: { trigger: 'axis' },
      legend: { bottom: 0 },
      grid: { left: 48, right: 16, top: 16, bottom: 48 },
      xAxis: { type: 'category', data: reports.map((r) => r.period) },
      yAxis: { type: 'value' },
      series: others.map((k) => ({
        name: name(k, lang),
        type: 'bar',
        data: reports.map((r) => (r.kpis[k.key]?.overall.value === null ? null : Number(r.kpis[k.key]?.overall.value))),
      })),
    };
  }, [trend, lang]);

  const pickerFormat = kind === 'quarter' ? 'YYYY-[Q]Q' : undefined;

  return (
    <Card title={<Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>{t('kpis')}</Typography.Title>}>
      <Space wrap style={{ marginBottom: 16 }}>
        <Segmented
          value={kind}
          onChange={(v) => setKind(v as Kind)}
          options={[
            { value: 'month', label: lang === 'zh' ? '月' : 'Month' },
            { value: 'quarter', label: lang === 'zh' ? '季度' : 'Quarter' },
            { value: 'year', label: lang === 'zh' ? '年' : 'Year' },
          ]}
        />
        <DatePicker
          aria-label={t('period')}
          picker={kind}
          value={date}
          format={pickerFormat}
          allowClear={false}
          disabledDate={(d) => d.isAfter(dayjs())}
          onChange={(d) => d && setDate(d)}
        />
        <a href={`/kpis/report.csv${qs({ period })}`} download>
          <Button>{t('downloadCsv')}</Button>
        </a>
        {current && <ToneTag>{current.source === 'archive' ? (lang === 'zh' ? '已归档' : 'archived') : lang === 'zh' ? '实时' : 'live'}</ToneTag>}
      </Space>
      {error && <Alert type="error" showIcon message={error} />}
      <Table
        rowKey="key"
        size="small"
        pagination={false}
        loading={!trend && !error}
        dataSource={KPIS}
        columns={[
          { title: t('kpis'), key: 'n', render: (_, k) => name(k, lang) },
          {
            title: `${t('value')} (${period})`,
            key: 'v',
            align: 'right',
            render: (_, k) => {
              const v = current?.kpis[k.key]?.overall;
              return (
                <Tooltip title={`${t('numerator')} ${v?.numerator ?? '—'} / ${t('denominator')} ${v?.denominator ?? '—'}`}>
                  <span tabIndex={0}>{show(v, k.unit)}</span>
                </Tooltip>
              );
            },
          },
          {
            title: lang === 'zh' ? '各部门' : 'Departments',
            key: 'd',
            render: (_, k) => {
              const d = current?.kpis[k.key]?.departments;
              if (!d) return '—';
              return Object.entries(d)
                .map(([dep, v]) => `${code(dep)}: ${show(v, k.unit)}`)
                .join(' · ');
            },
          },
        ]}
      />
      <Row gutter={16} style={{ marginTop: 16 }}>
        <Col xs={24} lg={14}>
          <Typography.Title level={2} style={{ fontSize: 16 }}>
            {t('trend')}
          </Typography.Title>
          <Chart option={rateOption} label={`${t('trend')} ${t('kpis')}`} />
        </Col>
        <Col xs={24} lg={10}>
          <Typography.Title level={2} style={{ fontSize: 16 }}>
            {name(KPIS[3]!, lang)} / {name(KPIS[5]!, lang)}
          </Typography.Title>
          <Chart option={otherOption} label={`${name(KPIS[3]!, lang)} / ${name(KPIS[5]!, lang)}`} />
        </Col>
      </Row>
    </Card>
  );
}

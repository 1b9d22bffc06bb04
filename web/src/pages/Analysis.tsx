/**
 * Sales analysis for marketing (the /analysis/* routes): the period's
 * summary, revenue and margin by month and by a chosen dimension, the top
 * customers and products, each as a chart and a CSV download.
 */
import { useEffect, useMemo, useState } from 'react';
import { Alert, Button, Card, Col, DatePicker, Row, Segmented, Space, Statistic, Table, Typography } from 'antd';
import { api, qs } from '../api';
import { useI18n } from '../i18n';
import { usePageTitle } from '../work';
import { Chart } from '../components/Chart';
import { formatMoney, nowInZone } from '../format';

interface Figures { orders: number; quantity: number; revenue: string; cost: string; margin: string; marginRate: string | null; averageOrderValue: string | null; share: string | null }
interface Row extends Figures { key: string; label: string }
type Dim = 'product' | 'customer' | 'region' | 'channel';

const pct = (v: string | null | undefined) => (v === null || v === undefined ? '—' : `${(Number(v) * 100).toFixed(1)}%`);

export default function Analysis() {
  const { t, lang, code } = useI18n();
  usePageTitle(t('analysis'));
  const [range, setRange] = useState(() => [nowInZone().subtract(364, 'day'), nowInZone()] as const);
  const [dim, setDim] = useState<Dim>('product');
  const [summary, setSummary] = useState<(Figures & { customers: number }) | null>(null);
  const [months, setMonths] = useState<Row[]>([]);
  const [byDim, setByDim] = useState<Row[]>([]);
  const [error, setError] = useState<string | null>(null);
  const period = { from: range[0].format('YYYY-MM-DD'), to: range[1].format('YYYY-MM-DD') };

  useEffect(() => {
    setError(null);
    Promise.all([
      api<Figures & { customers: number }>(`/analysis/summary${qs(period)}`),
      api<{ items: Row[] }>(`/analysis/sales${qs({ ...period, by: 'month' })}`),
    ])
      .then(([s, m]) => {
        setSummary(s);
        setMonths(m.items);
      })
      .catch((e: Error) => setError(e.message));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [period.from, period.to]);

  useEffect(() => {
    api<{ items: Row[] }>(`/analysis/sales${qs({ ...period, by: dim })}`)
      .then((r) => setByDim(r.items))
      .catch((e: Error) => setError(e.message));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [period.from, period.to, dim]);

  const monthOption = useMemo(
    () => ({
      tooltip: { trigger: 'axis' },
      legend: { bottom: 0 },
      grid: { left: 64, right: 48, top: 16, bottom: 48 },
      xAxis: { type: 'category', data: months.map((m) => m.label) },
      yAxis: [{ type: 'value' }, { type: 'value', axisLabel: { formatter: (v: number) => `${Math.round(v * 100)}%` } }],
      series: [
        { name: t('revenue'), type: 'bar', data: months.map((m) => Number(m.revenue)) },
        { name: t('margin'), type: 'bar', data: months.map((m) => Number(m.margin)) },
        { name: t('marginRate'), type: 'line', yAxisIndex: 1, data: months.map((m) => (m.marginRate === null ? null : Number(m.marginRate))) },
      ],
    }),
    [months, t],
  );

  const dimOption = useMemo(() => {
    const top = byDim.slice(0, 10).reverse();
    return {
      tooltip: { trigger: 'axis' },
      grid: { left: 140, right: 24, top: 8, bottom: 24 },
      xAxis: { type: 'value' },
      yAxis: { type: 'category', data: top.map((r) => (dim === 'channel' ? code(r.label) : r.label)), axisLabel: { width: 130, overflow: 'truncate' } },
      series: [{ name: t('revenue'), type: 'bar', data: top.map((r) => Number(r.revenue)) }],
    };
  }, [byDim, dim, t, code]);

  const dims: { value: Dim; label: string }[] = [
    { value: 'product', label: t('product') },
    { value: 'customer', label: t('customer') },
    { value: 'region', label: t('region') },
    { value: 'channel', label: t('channel') },
  ];

  return (
    <Card title={<Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>{t('analysis')}</Typography.Title>}>
      <Space wrap style={{ marginBottom: 16 }}>
        <DatePicker.RangePicker
          aria-label={t('period')}
          value={[range[0], range[1]]}
          allowClear={false}
          onChange={(v) => v && v[0] && v[1] && setRange([v[0], v[1]] as const)}
        />
        <a href={`/analysis/summary${qs({ ...period, format: 'csv' })}`} download>
          <Button>{t('summary')} CSV</Button>
        </a>
        <a href={`/analysis/sales${qs({ ...period, by: 'month', format: 'csv' })}`} download>
          <Button>{lang === 'zh' ? '按月' : 'By month'} CSV</Button>
        </a>
      </Space>
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} />}
      {summary && (
        <Row gutter={[16, 16]} style={{ marginBottom: 16 }}>
          <Col xs={12} md={4}><Statistic title={t('orders')} value={summary.orders} /></Col>
          <Col xs={12} md={4}><Statistic title={t('customer')} value={summary.customers} /></Col>
          <Col xs={12} md={5}><Statistic title={t('revenue')} value={formatMoney(summary.revenue)} /></Col>
          <Col xs={12} md={5}><Statistic title={t('margin')} value={formatMoney(summary.margin)} /></Col>
          <Col xs={12} md={3}><Statistic title={t('marginRate')} value={pct(summary.marginRate)} /></Col>
        </Row>
      )}
      <Typography.Title level={2} style={{ fontSize: 16 }}>{lang === 'zh' ? '按月收入与毛利' : 'Revenue and margin by month'}</Typography.Title>
      <Chart option={monthOption} label={lang === 'zh' ? '按月收入与毛利' : 'Revenue and margin by month'} />
      <Space wrap style={{ margin: '16px 0' }}>
        <Typography.Title level={2} style={{ fontSize: 16, margin: 0 }}>{t('by')}</Typography.Title>
        <Segmented value={dim} onChange={(v) => setDim(v as Dim)} options={dims} />
        <a href={`/analysis/sales${qs({ ...period, by: dim, format: 'csv' })}`} download>
          <Button size="small">CSV</Button>
        </a>
      </Space>
      <Row gutter={16}>
        <Col xs={24} lg={12}>
          <Chart option={dimOption} label={`${t('revenue')} ${t('by')} ${dim}`} height={320} />
        </Col>
        <Col xs={24} lg={12}>
          <Table
            rowKey="key"
            size="small"
            pagination={{ pageSize: 10, hideOnSinglePage: true }}
            dataSource={byDim}
            scroll={{ x: 480 }}
            columns={[
              { title: t(dim === 'product' ? 'product' : dim), key: 'l', render: (_, r) => (dim === 'channel' ? code(r.label) : r.label) },
              { title: t('orders'), dataIndex: 'orders', align: 'right' },
              { title: t('revenue'), key: 'r', align: 'right', render: (_, r) => formatMoney(r.revenue) },
              { title: t('marginRate'), key: 'm', align: 'right', render: (_, r) => pct(r.marginRate) },
            ]}
          />
        </Col>
      </Row>
    </Card>
  );
}

/** What waits for the signed-in user's role (GET /work), most urgent first, refreshed by polling. */
import { Link } from 'react-router-dom';
import { Alert, Button, Card, List, Space, Table, Typography, Grid } from 'antd';
import { useI18n } from '../i18n';
import { useWork, usePageTitle } from '../work';
import { Money } from '../components/Money';
import { Time } from '../components/Time';
import { TimeLeft } from '../components/TimeLeft';
import { EscalationTag, LevelTag, StageTag, ToneTag } from '../components/Tags';
import type { WorkItem } from '../types';

function taskName(code: (c: string) => string, item: WorkItem): string {
  if (item.task === 'review') return code(item.stage);
  if (item.task === 'production' && item.productionNo) return `${code('production')} ${item.productionNo}`;
  return code(item.task);
}

function Problems({ item }: { item: WorkItem }) {
  const { t } = useI18n();
  if (item.problems.length === 0 && item.risks.length === 0 && !item.onHold) return <span>—</span>;
  return (
    <Space direction="vertical" size={2}>
      {item.onHold && <ToneTag tone="orange">{t('onHold')}</ToneTag>}
      {item.problems.map((p) => (
        <span key={p} style={{ fontSize: 13, color: '#874d00' }}>
          {p}
        </span>
      ))}
      {item.risks.map((r) => (
        <span key={r.code}>
          <LevelTag level={r.level} /> <span style={{ fontSize: 13 }}>{r.title}</span>
        </span>
      ))}
    </Space>
  );
}

export default function MyWork() {
  const { t, code } = useI18n();
  const { work, error, reload } = useWork();
  usePageTitle(t('myWork'));
  const screens = Grid.useBreakpoint();

  const columns = [
    {
      title: t('orderNo'),
      dataIndex: 'orderNo',
      render: (_: unknown, r: WorkItem) => <Link to={`/orders/${r.orderNo}`}>{r.orderNo}</Link>,
    },
    { title: t('task'), key: 'task', render: (_: unknown, r: WorkItem) => taskName(code, r) },
    { title: t('customer'), key: 'customer', render: (_: unknown, r: WorkItem) => r.customer.name },
    { title: t('amount'), key: 'amount', align: 'right' as const, render: (_: unknown, r: WorkItem) => <Money amount={r.amount} currency={r.currency} /> },
    { title: t('stage'), key: 'stage', render: (_: unknown, r: WorkItem) => <StageTag stage={r.stage} /> },
    {
      title: t('deadline'),
      key: 'deadline',
      render: (_: unknown, r: WorkItem) => (
        <Space direction="vertical" size={0}>
          <Time iso={r.deadline} />
          <TimeLeft deadline={r.deadline} />
        </Space>
      ),
    },
    { title: t('escalation'), key: 'escalation', render: (_: unknown, r: WorkItem) => <EscalationTag escalation={r.escalation} /> },
    { title: t('problems'), key: 'problems', render: (_: unknown, r: WorkItem) => <Problems item={r} /> },
  ];

  return (
    <Card
      title={
        <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
          {t('myWork')} {work ? `(${work.total})` : ''}
        </Typography.Title>
      }
      extra={<Button onClick={() => void reload()}>{t('refresh')}</Button>}
    >
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} />}
      {screens.md === false ? (
        <List
          loading={!work}
          dataSource={work?.items ?? []}
          locale={{ emptyText: t('noData') }}
          renderItem={(r) => (
            <List.Item key={r.key} data-testid="work-item">
              <Space direction="vertical" size={2} style={{ width: '100%' }}>
                <Space wrap>
                  <Link to={`/orders/${r.orderNo}`}>{r.orderNo}</Link>
                  <StageTag stage={r.stage} />
                  <EscalationTag escalation={r.escalation} />
                </Space>
                <span>
                  {taskName(code, r)} · {r.customer.name} · <Money amount={r.amount} currency={r.currency} />
                </span>
                <Space wrap>
                  <Time iso={r.deadline} />
                  <TimeLeft deadline={r.deadline} />
                </Space>
                <Problems item={r} />
              </Space>
            </List.Item>
          )}
        />
      ) : (
        <Table
          rowKey="key"
          size="middle"
          loading={!work}
          columns={columns}
          dataSource={work?.items ?? []}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
          locale={{ emptyText: t('noData') }}
          scroll={{ x: 900 }}
          onRow={() => ({ 'data-testid': 'work-item' }) as React.HTMLAttributes<HTMLElement>}
        />
      )}
    </Card>
  );
}

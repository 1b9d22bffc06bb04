/**
 * Open orders by time in stage and escalation (GET /orders with its
 * filters, paged by cursor): where is every order stuck, and since when.
 */
import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { Button, Card, Form, Select, Space, Table, Typography } from 'antd';
import { useSession } from '../session';
import { api, qs } from '../api';
import { useI18n } from '../i18n';
import { usePageTitle } from '../work';
import { Money } from '../components/Money';
import { Time } from '../components/Time';
import { TimeLeft } from '../components/TimeLeft';
import { EscalationTag, LevelTag, StageTag } from '../components/Tags';
import { formatDuration } from '../format';
import type { CustomerItem, OrderListItem, Role } from '../types';

/** Who may look customers up (GET /customers). */
const CUSTOMER_FINDERS: Role[] = ['sales', 'sales_manager', 'finance', 'finance_manager', 'admin', 'auditor'];

const STAGES = [
  'sales_review', 'correction', 'finance_review', 'joint_review', 'confirmation', 'contract_signature', 'stock_preparation',
  'awaiting_prepayment', 'shipping', 'in_transit', 'awaiting_payment', 'exception', 'closed', 'rejected', 'cancelled',
];
const PAGE = 50;

interface Filters { stage?: string; customerId?: string; riskLevel?: string }

export default function Orders() {
  const { t, code, lang } = useI18n();
  usePageTitle(t('stuckOrders'));
  const [filters, setFilters] = useState<Filters>({});
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [items, setItems] = useState<OrderListItem[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const cursor = cursors[cursors.length - 1];
  const { session } = useSession();
  const mayFindCustomers = !!session && CUSTOMER_FINDERS.includes(session.user.role);
  const [customers, setCustomers] = useState<CustomerItem[]>([]);
  const findCustomers = (q: string) =>
    void api<{ items: CustomerItem[] }>(`/customers${qs({ q, limit: 20 })}`)
      .then((r) => setCustomers(r.items))
      .catch(() => setCustomers([]));

  const load = useCallback(async () => {
    setItems(null);
    const res = await api<{ items: OrderListItem[]; nextCursor: string | null }>(`/orders${qs({ ...filters, limit: PAGE, cursor })}`);
    setItems(res.items);
    setNext(res.nextCursor);
  }, [filters, cursor]);

  useEffect(() => {
    void load().catch(() => setItems([]));
  }, [load]);

  // Open orders first, longest in their stage first (the page of the list the API returned).
  const rows = (items ?? []).slice().sort((a, b) => b.timeInStageSeconds - a.timeInStageSeconds);

  return (
    <Card title={<Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>{t('stuckOrders')}</Typography.Title>}>
      <Form
        layout="inline"
        onFinish={(v: Filters) => {
          setCursors([undefined]);
          setFilters(Object.fromEntries(Object.entries(v).filter(([, x]) => x)) as Filters);
        }}
        style={{ marginBottom: 16, rowGap: 8 }}
      >
        <Form.Item name="stage" label={t('stage')}>
          <Select allowClear style={{ minWidth: 150 }} options={STAGES.map((s) => ({ value: s, label: code(s) }))} />
        </Form.Item>
        <Form.Item name="riskLevel" label={t('riskLevel')}>
          <Select allowClear style={{ minWidth: 100 }} options={['low', 'medium', 'high'].map((s) => ({ value: s, label: code(s) }))} />
        </Form.Item>
        {mayFindCustomers && (
          <Form.Item name="customerId" label={t('customer')}>
            <Select
              allowClear
              showSearch
              filterOption={false}
              style={{ minWidth: 200 }}
              placeholder={t('customerSearch')}
              onSearch={findCustomers}
              options={customers.map((c) => ({ value: c.id, label: `${c.code} ${c.name}` }))}
            />
          </Form.Item>
        )}
        <Button type="primary" htmlType="submit">
          {t('search')}
        </Button>
      </Form>
      <Table
        rowKey="orderNo"
        size="middle"
        loading={!items}
        dataSource={rows}
        pagination={false}
        scroll={{ x: 900 }}
        locale={{ emptyText: t('noData') }}
        columns={[
          { title: t('orderNo'), key: 'no', render: (_, r) => <Link to={`/orders/${r.orderNo}`}>{r.orderNo}</Link> },
          { title: t('customer'), dataIndex: 'customerName' },
          { title: t('stage'), key: 's', render: (_, r) => <StageTag stage={r.stage} /> },
          { title: t('timeInStage'), key: 'tis', render: (_, r) => formatDuration(r.timeInStageSeconds, lang) },
          {
            title: t('deadline'),
            key: 'd',
            render: (_, r) => (
              <Space direction="vertical" size={0}>
                <Time iso={r.stageDeadline} />
                {r.stageDeadline && <TimeLeft deadline={r.stageDeadline} />}
              </Space>
            ),
          },
          { title: t('escalation'), key: 'e', render: (_, r) => <EscalationTag escalation={r.escalation} /> },
          { title: t('riskLevel'), key: 'r', render: (_, r) => <LevelTag level={r.riskLevel} /> },
          { title: t('amount'), key: 'a', align: 'right', render: (_, r) => <Money amount={r.totalAmount} currency={r.currency} /> },
        ]}
      />
      <Space style={{ marginTop: 12 }}>
        <Button disabled={cursors.length === 1} onClick={() => setCursors([undefined])}>
          {t('first')}
        </Button>
        <Button disabled={!next} onClick={() => next && setCursors([...cursors, next])}>
          {t('next')}
        </Button>
      </Space>
    </Card>
  );
}

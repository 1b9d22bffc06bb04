/** The audit trail for auditors and admins (GET /audit, newest first, paged), with before/after of each row. */
import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { Button, Card, Form, Input, Space, Table, Typography } from 'antd';
import { api, qs } from '../api';
import { useI18n } from '../i18n';
import { usePageTitle } from '../work';
import { Time } from '../components/Time';

interface AuditRow {
  id: string; at: string; actor: string; action: string; entity: string; entityId: string; orderNo: string | null; ip: string | null;
  before: unknown; after: unknown;
}

export default function Audit() {
  const { t } = useI18n();
  usePageTitle(t('audit'));
  const [filters, setFilters] = useState<Record<string, string>>({});
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [data, setData] = useState<{ items: AuditRow[]; nextCursor: string | null } | null>(null);
  const cursor = cursors[cursors.length - 1];

  const load = useCallback(async () => {
    setData(null);
    setData(await api(`/audit${qs({ ...filters, limit: 50, cursor })}`));
  }, [filters, cursor]);
  useEffect(() => {
    void load().catch(() => setData({ items: [], nextCursor: null }));
  }, [load]);

  return (
    <Card title={<Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>{t('audit')}</Typography.Title>}>
      <Form
        layout="inline"
        onFinish={(v: Record<string, string>) => {
          setCursors([undefined]);
          setFilters(Object.fromEntries(Object.entries(v).filter(([, x]) => x && x.trim())));
        }}
        style={{ marginBottom: 16, rowGap: 8 }}
      >
        <Form.Item name="orderNo" label={t('orderNo')}>
          <Input style={{ width: 170 }} />
        </Form.Item>
        <Form.Item name="actor" label={t('actor')}>
          <Input style={{ width: 130 }} />
        </Form.Item>
        <Form.Item name="action" label={t('action')}>
          <Input style={{ width: 220 }} />
        </Form.Item>
        <Form.Item name="entity" label={t('entity')}>
          <Input style={{ width: 120 }} />
        </Form.Item>
        <Button type="primary" htmlType="submit">
          {t('search')}
        </Button>
      </Form>
      <Table
        rowKey="id"
        size="small"
        loading={!data}
        dataSource={data?.items ?? []}
        pagination={false}
        scroll={{ x: 900 }}
        locale={{ emptyText: t('noData') }}
        data-testid="audit-table"
        expandable={{
          expandedRowRender: (r) => (
            <pre style={{ whiteSpace: 'pre-wrap', fontSize: 12, margin: 0 }}>{JSON.stringify({ before: r.before, after: r.after }, null, 2)}</pre>
          ),
        }}
        columns={[
          { title: t('at'), key: 'at', render: (_, r) => <Time iso={r.at} seconds /> },
          { title: t('actor'), dataIndex: 'actor' },
          { title: t('action'), dataIndex: 'action' },
          { title: t('entity'), key: 'e', render: (_, r) => `${r.entity} ${r.entityId}` },
          { title: t('orderNo'), key: 'o', render: (_, r) => (r.orderNo ? <Link to={`/orders/${r.orderNo}`}>{r.orderNo}</Link> : '—') },
          { title: t('ip'), dataIndex: 'ip' },
        ]}
      />
      <Space style={{ marginTop: 12 }}>
        <Button disabled={cursors.length === 1} onClick={() => setCursors([undefined])}>
          {t('first')}
        </Button>
        <Button disabled={!data?.nextCursor} onClick={() => data?.nextCursor && setCursors([...cursors, data.nextCursor])}>
          {t('next')}
        </Button>
      </Space>
    </Card>
  );
}

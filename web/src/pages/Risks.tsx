/** The risk register (GET /risks, highest score first), filtered, with control/owner/status edits (PATCH /risks/:id). */
import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { Alert, Button, Card, Form, Input, Modal, Select, Space, Table, Typography } from 'antd';
import { api, ApiError, qs } from '../api';
import { useI18n } from '../i18n';
import { useSession } from '../session';
import { usePageTitle } from '../work';
import { LevelTag } from '../components/Tags';
import type { RiskItem, Role } from '../types';

const CATEGORIES = ['credit', 'production', 'logistics', 'market'];
const STATUSES = ['open', 'mitigated', 'closed'];
const ROLES: Role[] = ['sales', 'sales_manager', 'finance', 'finance_manager', 'production', 'logistics', 'marketing', 'admin', 'auditor'];
const EDITORS: Role[] = ['sales', 'sales_manager', 'finance', 'finance_manager', 'production', 'logistics'];

export default function Risks() {
  const { t, code } = useI18n();
  const { session } = useSession();
  usePageTitle(t('riskRegister'));
  const [filters, setFilters] = useState<Record<string, string>>({ status: 'open' });
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [data, setData] = useState<{ items: RiskItem[]; nextCursor: string | null } | null>(null);
  const [editing, setEditing] = useState<RiskItem | null>(null);
  const [editError, setEditError] = useState<string | null>(null);
  const [form] = Form.useForm();
  const cursor = cursors[cursors.length - 1];
  const mayEdit = !!session && EDITORS.includes(session.user.role);

  const load = useCallback(async () => {
    setData(null);
    setData(await api(`/risks${qs({ ...filters, limit: 50, cursor })}`));
  }, [filters, cursor]);
  useEffect(() => {
    void load().catch(() => setData({ items: [], nextCursor: null }));
  }, [load]);

  const save = async () => {
    const v = await form.validateFields();
    try {
      await api(`/risks/${editing!.id}`, { method: 'PATCH', body: v });
      setEditing(null);
      void load();
    } catch (err) {
      setEditError((err as ApiError).message);
    }
  };

  return (
    <Card title={<Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>{t('riskRegister')}</Typography.Title>}>
      <Form
        layout="inline"
        initialValues={filters}
        onFinish={(v: Record<string, string>) => {
          setCursors([undefined]);
          setFilters(Object.fromEntries(Object.entries(v).filter(([, x]) => x)));
        }}
        style={{ marginBottom: 16, rowGap: 8 }}
      >
        <Form.Item name="level" label={t('level')}>
          <Select allowClear style={{ minWidth: 90 }} options={['low', 'medium', 'high'].map((s) => ({ value: s, label: code(s) }))} />
        </Form.Item>
        <Form.Item name="category" label={t('category')}>
          <Select allowClear style={{ minWidth: 110 }} options={CATEGORIES.map((s) => ({ value: s, label: s }))} />
        </Form.Item>
        <Form.Item name="owner" label={t('owner')}>
          <Select allowClear style={{ minWidth: 120 }} options={ROLES.map((s) => ({ value: s, label: code(s) }))} />
        </Form.Item>
        <Form.Item name="status" label={t('status')}>
          <Select allowClear style={{ minWidth: 100 }} options={STATUSES.map((s) => ({ value: s, label: code(s) }))} />
        </Form.Item>
        <Button type="primary" htmlType="submit">
          {t('search')}
        </Button>
      </Form>
      <Table
        rowKey="id"
        size="middle"
        loading={!data}
        dataSource={data?.items ?? []}
        pagination={false}
        scroll={{ x: 900 }}
        locale={{ emptyText: t('noData') }}
        columns={[
          { title: t('score'), dataIndex: 'score', align: 'right' },
          { title: t('level'), key: 'l', render: (_, r) => <LevelTag level={r.level} /> },
          { title: t('orderNo'), key: 'o', render: (_, r) => <Link to={`/orders/${r.orderNo}`}>{r.orderNo}</Link> },
          { title: t('customer'), dataIndex: 'customerName' },
          { title: t('category'), dataIndex: 'category' },
          { title: t('reason'), dataIndex: 'reason' },
          { title: t('control'), dataIndex: 'control' },
          { title: t('owner'), key: 'ow', render: (_, r) => code(r.owner) },
          { title: t('status'), key: 's', render: (_, r) => code(r.status) },
          ...(mayEdit
            ? [
                {
                  title: t('edit'),
                  key: 'edit',
                  render: (_: unknown, r: RiskItem) => (
                    <Button
                      size="small"
                      onClick={() => {
                        setEditError(null);
                        form.setFieldsValue({ control: r.control, owner: r.owner, status: r.status });
                        setEditing(r);
                      }}
                    >
                      {t('edit')}
                    </Button>
                  ),
                },
              ]
            : []),
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
      <Modal open={!!editing} title={`${t('edit')} · ${editing?.orderNo ?? ''}`} onOk={() => void save()} onCancel={() => setEditing(null)} okText={t('save')} cancelText={t('cancel')}>
        {editError && <Alert type="error" showIcon message={editError} style={{ marginBottom: 12 }} />}
        <Form form={form} layout="vertical">
          <Form.Item name="control" label={t('control')} rules={[{ required: true }]}>
            <Input.TextArea rows={2} maxLength={500} />
          </Form.Item>
          <Form.Item name="owner" label={t('owner')}>
            <Select options={ROLES.map((s) => ({ value: s, label: code(s) }))} />
          </Form.Item>
          <Form.Item name="status" label={t('status')}>
            <Select options={STATUSES.map((s) => ({ value: s, label: code(s) }))} />
          </Form.Item>
        </Form>
      </Modal>
    </Card>
  );
}

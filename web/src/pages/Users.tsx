/** Users for admins (GET /users): who, role, sign-in state; reset a password (PUT /users/:username/password). */
import { useCallback, useEffect, useState } from 'react';
import { Alert, Button, Card, Form, Input, Modal, Table, Typography } from 'antd';
import { ToneTag } from '../components/Tags';
import { api, ApiError } from '../api';
import { useI18n } from '../i18n';
import { usePageTitle } from '../work';
import { Time } from '../components/Time';

interface UserView {
  id: string; username: string; name: string; email: string; role: string; active: boolean; hasPassword: boolean;
  passwordChangedAt: string | null; lockedUntil: string | null; lastSignInAt: string | null;
}

export default function Users() {
  const { t, code } = useI18n();
  usePageTitle(t('users'));
  const [users, setUsers] = useState<UserView[] | null>(null);
  const [resetting, setResetting] = useState<UserView | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [form] = Form.useForm();

  const load = useCallback(async () => {
    setUsers((await api<{ items: UserView[] }>('/users')).items);
  }, []);
  useEffect(() => {
    void load().catch((e: Error) => {
      setUsers([]);
      setMessage({ ok: false, text: e.message });
    });
  }, [load]);

  const reset = async () => {
    const v = await form.validateFields();
    try {
      await api(`/users/${encodeURIComponent(resetting!.username)}/password`, { method: 'PUT', body: { password: v.password } });
      setMessage({ ok: true, text: `${resetting!.username}: ${t('passwordSet')}` });
      setResetting(null);
      form.resetFields();
      void load();
    } catch (err) {
      const e = err as ApiError;
      form.setFields([{ name: 'password', errors: [e.message] }]);
    }
  };

  return (
    <Card title={<Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>{t('users')}</Typography.Title>}>
      {message && <Alert type={message.ok ? 'success' : 'error'} showIcon message={message.text} style={{ marginBottom: 12 }} closable onClose={() => setMessage(null)} />}
      <Table
        rowKey="id"
        size="small"
        loading={!users}
        dataSource={users ?? []}
        pagination={false}
        scroll={{ x: 800 }}
        columns={[
          { title: t('username'), dataIndex: 'username' },
          { title: t('name'), dataIndex: 'name' },
          { title: t('role'), key: 'r', render: (_, u) => code(u.role) },
          { title: t('active'), key: 'a', render: (_, u) => (u.active ? t('yes') : t('no')) },
          { title: t('lastSignIn'), key: 'l', render: (_, u) => <Time iso={u.lastSignInAt} /> },
          { title: t('lockedUntil'), key: 'k', render: (_, u) => (u.lockedUntil ? <ToneTag tone="red"><Time iso={u.lockedUntil} /></ToneTag> : '—') },
          {
            title: t('resetPassword'),
            key: 'p',
            render: (_, u) =>
              u.role === 'carrier' ? '—' : (
                <Button size="small" onClick={() => setResetting(u)}>
                  {t('resetPassword')}
                </Button>
              ),
          },
        ]}
      />
      <Modal open={!!resetting} title={`${t('resetPassword')} · ${resetting?.username ?? ''}`} onOk={() => void reset()} onCancel={() => setResetting(null)} okText={t('save')} cancelText={t('cancel')}>
        <Form form={form} layout="vertical">
          <Form.Item name="password" label={t('newPassword')} rules={[{ required: true, min: 8, max: 200 }]}>
            <Input.Password autoComplete="new-password" />
          </Form.Item>
        </Form>
      </Modal>
    </Card>
  );
}

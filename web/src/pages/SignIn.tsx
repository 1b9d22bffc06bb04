import { useEffect, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { api, ApiError } from '../api';
import { useI18n } from '../i18n';
import { useSession } from '../session';
import type { Session } from '../types';

export function SignIn() {
  const { t, lang, setLang } = useI18n();
  const { signedIn } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [error, setError] = useState<string | null>(params.get('expired') ? t('sessionExpired') : null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    document.title = t('signIn') + ' · ' + t('appName');
  }, [t]);

  const onFinish = async (v: { username: string; password: string }) => {
    setBusy(true);
    setError(null);
    try {
      const s = await api<Session>('/auth/session', { method: 'POST', body: v, quiet401: true });
      signedIn(s);
      const next = params.get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('/signin') ? next : '/', { replace: true });
    } catch (err) {
      const e = err as ApiError;
      setError(e.status === 401 ? t('wrongPassword') : e.message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main style={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center', padding: 16, background: '#f0f2f5' }}>
      <Card style={{ width: '100%', maxWidth: 380 }}>
        <Typography.Title level={1} style={{ fontSize: 22, marginTop: 0 }}>
          {t('signInTitle')}
        </Typography.Title>
        {error && <Alert type="error" role="alert" showIcon message={error} style={{ marginBottom: 16 }} />}
        <Form name="signin" layout="vertical" onFinish={onFinish} requiredMark={false}>
          <Form.Item label={t('username')} name="username" rules={[{ required: true, message: t('required') }]}>
            <Input autoComplete="username" autoFocus />
          </Form.Item>
          <Form.Item label={t('password')} name="password" rules={[{ required: true, message: t('required') }]}>
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy}>
            {t('signIn')}
          </Button>
        </Form>
        <Button type="link" lang={lang === 'zh' ? 'en' : 'zh'} onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')} style={{ paddingInline: 0, marginTop: 8 }}>
          {t('language')}
        </Button>
      </Card>
    </main>
  );
}

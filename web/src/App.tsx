/**
 * The console's shell: Ant Design in Chinese (or English), the session,
 * the menu for the user's role, and the pages, each loaded on first use.
 */
import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { App as AntApp, Badge, Button, ConfigProvider, Layout, Menu, Space, Spin, Typography } from 'antd';
import zhCN from 'antd/locale/zh_CN';
import enUS from 'antd/locale/en_US';
import 'dayjs/locale/zh-cn';
import { api, setCsrfToken, setUnauthorizedHandler } from './api';
import { dayjs, setTimeZone } from './format';
import { LangContext, translate, useI18n, type Lang } from './i18n';
import { SessionContext, mayOpen, useSession, PAGE_ROLES } from './session';
import type { ConsoleConfig, Session } from './types';
import { WorkContext, useWork, useWorkPolling } from './work';
import { SignIn } from './pages/SignIn';

const MyWork = lazy(() => import('./pages/MyWork'));
const OrderPage = lazy(() => import('./pages/OrderPage'));
const Intake = lazy(() => import('./pages/Intake'));
const Orders = lazy(() => import('./pages/Orders'));
const Risks = lazy(() => import('./pages/Risks'));
const Kpis = lazy(() => import('./pages/Kpis'));
const Analysis = lazy(() => import('./pages/Analysis'));
const Audit = lazy(() => import('./pages/Audit'));
const Users = lazy(() => import('./pages/Users'));

const LANG_KEY = 'console.lang';

/**
 * Colours darker than Ant Design's defaults where those fall under WCAG AA's
 * 4.5:1 contrast on white (links, warning and error text, secondary text);
 * the axe check in test/browser holds the pages to it.
 */
const THEME = {
  colorPrimary: '#1450a3',
  colorLink: '#1450a3',
  colorWarning: '#ad6800',
  colorError: '#cf1322',
  colorSuccess: '#237804',
  colorTextSecondary: 'rgba(0, 0, 0, 0.65)',
  colorTextDescription: 'rgba(0, 0, 0, 0.65)',
  colorTextTertiary: 'rgba(0, 0, 0, 0.65)',
  colorTextPlaceholder: 'rgba(0, 0, 0, 0.55)',
  // Tables' "no data" is drawn in the disabled colour.
  colorTextDisabled: 'rgba(0, 0, 0, 0.55)',
};

export function App() {
  const [lang, setLangState] = useState<Lang>(() => (localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'zh'));
  const setLang = useCallback((l: Lang) => {
    localStorage.setItem(LANG_KEY, l);
    setLangState(l);
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    dayjs.locale(lang === 'zh' ? 'zh-cn' : 'en');
  }, [lang]);

  return (
    <LangContext.Provider value={{ lang, setLang }}>
      <ConfigProvider locale={lang === 'zh' ? zhCN : enUS} theme={{ token: THEME }} button={{ autoInsertSpace: false }}>
        <AntApp>
          <BrowserRouter basename="/app">
            <SessionRoot />
          </BrowserRouter>
        </AntApp>
      </ConfigProvider>
    </LangContext.Provider>
  );
}

function SessionRoot() {
  const [session, setSession] = useState<Session | null>(null);
  const [config, setConfig] = useState<ConsoleConfig | null>(null);
  const [checked, setChecked] = useState(false);
  const navigate = useNavigate();
  const location = useLocation();
  const { lang } = useI18n();

  const signedIn = useCallback((s: Session) => {
    setCsrfToken(s.csrfToken);
    setSession(s);
  }, []);

  const dropSession = useCallback(() => {
    setCsrfToken(null);
    setSession(null);
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api('/auth/session', { method: 'DELETE', quiet401: true });
    } finally {
      dropSession();
      navigate('/signin');
    }
  }, [dropSession, navigate]);

  useEffect(() => {
    api<ConsoleConfig>('/console/config', { quiet401: true })
      .then((c) => {
        setTimeZone(c.timeZone);
        setConfig(c);
      })
      .catch(() => setConfig(null));
    api<Session>('/auth/session', { quiet401: true })
      .then(signedIn)
      .catch(() => dropSession())
      .finally(() => setChecked(true));
  }, [signedIn, dropSession]);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      dropSession();
      const back = window.location.pathname.replace(/^\/app/, '') || '/';
      navigate(`/signin?expired=1&next=${encodeURIComponent(back)}`);
    });
    return () => setUnauthorizedHandler(null);
  }, [dropSession, navigate]);

  const value = useMemo(() => ({ session, config, signedIn, signOut }), [session, config, signedIn, signOut]);
  const work = useWorkPolling(!!session);

  if (!checked) {
    return (
      <div style={{ padding: 48, textAlign: 'center' }}>
        <Spin aria-label={translate(lang, 'loading')} />
      </div>
    );
  }

  return (
    <SessionContext.Provider value={value}>
      <WorkContext.Provider value={work}>
        <Routes>
          <Route path="/signin" element={<SignIn />} />
          <Route
            path="*"
            element={
              session ? <Shell /> : <Navigate to={`/signin?next=${encodeURIComponent(location.pathname)}`} replace />
            }
          />
        </Routes>
      </WorkContext.Provider>
    </SessionContext.Provider>
  );
}

const MENU: { key: keyof typeof PAGE_ROLES; path: string; label: string }[] = [
  { key: 'work', path: '/', label: 'myWork' },
  { key: 'intake', path: '/intake', label: 'newOrder' },
  { key: 'orders', path: '/orders', label: 'stuckOrders' },
  { key: 'risks', path: '/risks', label: 'risks' },
  { key: 'kpis', path: '/kpis', label: 'kpis' },
  { key: 'analysis', path: '/analysis', label: 'analysis' },
  { key: 'audit', path: '/audit', label: 'audit' },
  { key: 'users', path: '/users', label: 'users' },
];

function Shell() {
  const { session, signOut } = useSession();
  const { t, lang, setLang, code } = useI18n();
  const { work } = useWork();
  const navigate = useNavigate();
  const location = useLocation();
  const role = session?.user.role;
  const items = MENU.filter((m) => mayOpen(m.key, role)).map((m) => ({
    key: m.path,
    label:
      m.key === 'work' ? (
        <Space size={6}>
          {t(m.label)}
          <Badge count={work?.total ?? 0} showZero={false} size="small" />
        </Space>
      ) : (
        t(m.label)
      ),
  }));
  // An order's page (/orders/SO-…) belongs to no menu entry; the boards match their own path.
  const selected = MENU.find((m) => m.path === location.pathname)?.path ?? '';

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Header
        style={{ display: 'flex', alignItems: 'center', gap: 12, paddingInline: 16, background: '#0f2f5c', flexWrap: 'nowrap' }}
      >
        <Typography.Text strong style={{ color: '#fff', whiteSpace: 'nowrap' }}>
          {t('appName')}
        </Typography.Text>
        <nav aria-label={t('appName')} style={{ flex: 1, minWidth: 0 }}>
          <Menu
            theme="dark"
            mode="horizontal"
            selectedKeys={[selected]}
            items={items}
            onClick={(e) => navigate(e.key)}
            style={{ background: 'transparent', minWidth: 0 }}
          />
        </nav>
        <Space size={4} wrap={false}>
          <Typography.Text style={{ color: '#fff', whiteSpace: 'nowrap' }} className="console-user">
            {t('signedInAs', { name: session?.user.name ?? '', role: code(role) })}
          </Typography.Text>
          <Button size="small" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')} lang={lang === 'zh' ? 'en' : 'zh'}>
            {t('language')}
          </Button>
          <Button size="small" onClick={() => void signOut()}>
            {t('signOut')}
          </Button>
        </Space>
      </Layout.Header>
      <Layout.Content style={{ padding: 'clamp(8px, 2vw, 24px)' }}>
        <main>
          <Suspense fallback={<Spin />}>
            <Routes>
              <Route path="/" element={<MyWork />} />
              <Route path="/orders/:orderNo" element={<OrderPage />} />
              <Route path="/orders" element={<Orders />} />
              <Route path="/intake" element={<Intake />} />
              <Route path="/risks" element={<Risks />} />
              <Route path="/kpis" element={<Kpis />} />
              <Route path="/analysis" element={<Analysis />} />
              <Route path="/audit" element={<Audit />} />
              <Route path="/users" element={<Users />} />
              <Route path="*" element={<Navigate to="/" replace />} />
            </Routes>
          </Suspense>
        </main>
      </Layout.Content>
    </Layout>
  );
}

/**
 * Who may call which route: ONE table (SPEC section 2 and 5). Every route the
 * app registers must have an entry here, or be listed as public; the auth
 * plugin (api/auth/plugin.ts) refuses to start otherwise, and also when an
 * entry names a route that does not exist. docs/ROLES.md is generated from
 * this file (scripts/roles-table.ts) and a test checks it is current.
 *
 * On top of the roles, per request (after the input is validated):
 *   - `rule`: a check that needs the request's data (api/auth/rules.ts):
 *       department  the department decided on must be the caller's
 *                   (sales -> sales, sales_manager; finance -> finance,
 *                   finance_manager; production -> production; logistics -> logistics)
 *       taskRole    `role=` must be the caller's own role, unless a manager,
 *                   admin or auditor asks
 *       riskOwner   the risk's owner role, or a manager
 *       creditHold  a hold placed by finance (a credit hold) is released by
 *                   the finance manager only
 *       tokenOwner  a token is revoked by its owner or an admin
 *   - record level: a `sales` user sees and acts on the orders of the
 *     customers they own (customers.owner_id) only; anything else answers
 *     404, as if it did not exist. Lists (orders, tasks, risks) are filtered.
 *   - segregation of duties is the workflow's (its update validators): the
 *     user who entered an order cannot approve its finance or joint review,
 *     the filer of a change cannot decide on it (403).
 */
import { ROLES, type Role } from '../../workflows/domain/policy';
import { RECORD_SCOPED_ROLES as RECORD_SCOPED } from '../../workflows/domain/access';

/** Service callers: machines with a service token, each allowed a few routes. */
export const SERVICE_ROLES = ['carrier'] as const;
export type ServiceRole = (typeof SERVICE_ROLES)[number];
export type CallerRole = Role | ServiceRole;
export const CALLER_ROLES: readonly CallerRole[] = [...ROLES, ...SERVICE_ROLES];

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
export const WRITE_METHODS: readonly string[] = ['POST', 'PATCH', 'PUT', 'DELETE'];

export type Rule = 'department' | 'taskRole' | 'riskOwner' | 'creditHold' | 'tokenOwner';

/** What a route acts on, found from a path parameter (record-level rule, audit before/after). */
export type TargetKind = 'order' | 'productionOrder' | 'complaint' | 'risk' | 'token' | 'user';

export interface RouteAccess {
  method: HttpMethod;
  /** The URL pattern exactly as the route is registered. */
  url: string;
  roles: readonly CallerRole[];
  rule?: Rule;
  /** The thing the route acts on and the path parameter naming it. */
  target?: { kind: TargetKind; param: string };
  /** A route that creates a thing: its kind and the response field with its key. */
  creates?: { kind: TargetKind; field: string };
  /**
   * A cookie that carries the token when there is no Authorization header
   * (the Temporal Web UI calls the codec from the browser and cannot send
   * ours). Verified exactly like the header.
   */
  sessionCookie?: string;
  /** false: a write that changes nothing (the codec), so no audit row per call. */
  audit?: false;
  /**
   * false: a POST made with the console session cookie needs no X-CSRF-Token
   * (the codec: it changes nothing, and the Temporal UI cannot send the header).
   */
  csrf?: false;
}

const ALL_STAFF: readonly Role[] = ROLES;
const SALES: readonly Role[] = ['sales', 'sales_manager'];
const FINANCE: readonly Role[] = ['finance', 'finance_manager'];
const MANAGERS: readonly Role[] = ['sales_manager', 'finance_manager'];
/** Who reads the sales analysis: marketing (its duty, SPEC 4.2), the managers, admin, auditors. */
const ANALYSTS: readonly Role[] = ['marketing', 'sales_manager', 'finance_manager', 'admin', 'auditor'];
/** Everyone who may change anything: auditors and marketing never write. */
const WRITERS: readonly Role[] = ALL_STAFF.filter((r) => r !== 'auditor' && r !== 'marketing');

/** Roles that decide for a department (joint review, change reviews). */
export const DEPARTMENT_ROLES: Record<string, readonly Role[]> = {
  sales: SALES,
  finance: FINANCE,
  production: ['production'],
  logistics: ['logistics'],
};

/** Roles that see (and act on) only their own customers' orders (workflows/domain/access.ts); the rest see every order. */
export const RECORD_SCOPED_ROLES: readonly CallerRole[] = RECORD_SCOPED;
/** Roles that may read any role's work queue. */
export const ANY_QUEUE_ROLES: readonly CallerRole[] = ['sales_manager', 'finance_manager', 'admin', 'auditor'];
/** Roles that may update any risk, whoever owns it. */
export const RISK_MANAGERS: readonly CallerRole[] = MANAGERS;
/** A hold placed by one of these roles is a credit hold: only the finance manager releases it. */
export const CREDIT_HOLD_ROLES: readonly CallerRole[] = FINANCE;
export const CREDIT_HOLD_RELEASERS: readonly CallerRole[] = ['finance_manager'];

const order = { kind: 'order', param: 'orderNo' } as const;

/** Who may read (and make) encrypted Temporal payloads through the codec endpoint: authorized ops. */
export const CODEC_ROLES: readonly Role[] = ['admin', 'auditor', 'sales_manager', 'finance_manager'];
/** The codec's session cookie (api/routes/codec.ts): the token, HttpOnly, Path=/codec. */
export const CODEC_COOKIE = 'codec_session';

export const ROUTE_ACCESS: readonly RouteAccess[] = [
  // Orders
  { method: 'POST', url: '/orders', roles: SALES, creates: { kind: 'order', field: 'orderNo' } },
  { method: 'GET', url: '/orders', roles: ALL_STAFF },
  { method: 'GET', url: '/orders/:orderNo', roles: ALL_STAFF, target: order },
  { method: 'POST', url: '/orders/:orderNo/correction', roles: SALES, target: order },
  // Look-ups for the intake form (api/routes/catalog.ts): customers with credit standing (sales: own customers only), products with stock.
  { method: 'GET', url: '/customers', roles: [...SALES, ...FINANCE, 'admin', 'auditor'] },
  { method: 'GET', url: '/products', roles: ALL_STAFF },
  // Documents (contract, confirmation, delivery note, invoice): who may see the order may read them.
  { method: 'GET', url: '/orders/:orderNo/documents', roles: ALL_STAFF, target: order },
  { method: 'GET', url: '/orders/:orderNo/documents/:docId.pdf', roles: ALL_STAFF, target: order },
  // The contract signature step: sales records the customer's signature, finance confirms the terms.
  { method: 'GET', url: '/orders/:orderNo/contract', roles: ALL_STAFF, target: order },
  { method: 'GET', url: '/orders/:orderNo/contract/signature/scan', roles: ALL_STAFF, target: order },
  { method: 'POST', url: '/orders/:orderNo/contract/signature', roles: SALES, target: order },
  { method: 'POST', url: '/orders/:orderNo/contract/finance-confirmation', roles: FINANCE, target: order },
  // Reviews
  { method: 'POST', url: '/orders/:orderNo/reviews/sales', roles: SALES, target: order },
  { method: 'POST', url: '/orders/:orderNo/reviews/finance', roles: FINANCE, target: order },
  {
    method: 'POST',
    url: '/orders/:orderNo/reviews/joint',
    roles: ['production', 'logistics', 'finance', 'finance_manager'],
    rule: 'department',
    target: order,
  },
  // Change requests
  { method: 'POST', url: '/orders/:orderNo/changes', roles: SALES, target: order },
  { method: 'GET', url: '/orders/:orderNo/changes', roles: ALL_STAFF, target: order },
  {
    method: 'POST',
    url: '/orders/:orderNo/changes/:changeId/reviews',
    roles: [...SALES, ...FINANCE, 'production', 'logistics'],
    rule: 'department',
    target: order,
  },
  // Cancel, hold, release. Sales files the customer's cancellation (like a change request).
  { method: 'POST', url: '/orders/:orderNo/cancel', roles: ['sales', ...MANAGERS], target: order },
  { method: 'POST', url: '/orders/:orderNo/hold', roles: MANAGERS, target: order },
  { method: 'POST', url: '/orders/:orderNo/release', roles: MANAGERS, rule: 'creditHold', target: order },
  // An order that needs attention (stage exception): the departments that run its steps and the managers.
  { method: 'POST', url: '/orders/:orderNo/exception', roles: ['sales', 'finance', 'production', 'logistics', ...MANAGERS], target: order },
  // Production
  { method: 'POST', url: '/production-orders/:id/progress', roles: ['production'], target: { kind: 'productionOrder', param: 'id' } },
  { method: 'POST', url: '/production-orders/:id/complete', roles: ['production'], target: { kind: 'productionOrder', param: 'id' } },
  // Logistics
  { method: 'POST', url: '/orders/:orderNo/dispatch', roles: ['logistics'], target: order },
  { method: 'POST', url: '/orders/:orderNo/delivery', roles: ['logistics', 'carrier'], target: order },
  // Finance
  { method: 'POST', url: '/orders/:orderNo/payments', roles: FINANCE, target: order },
  { method: 'GET', url: '/refunds', roles: [...FINANCE, 'admin', 'auditor'] },
  { method: 'POST', url: '/refunds/:id/settle', roles: FINANCE },
  // Customers' credit hold: finance puts it on, the finance manager releases it (SPEC 2).
  { method: 'POST', url: '/customers/:id/credit-hold', roles: FINANCE },
  { method: 'POST', url: '/customers/:id/credit-hold/release', roles: CREDIT_HOLD_RELEASERS },
  // Customer contact
  { method: 'POST', url: '/orders/:orderNo/feedback', roles: SALES, target: order },
  { method: 'POST', url: '/orders/:orderNo/complaints', roles: SALES, target: order },
  { method: 'POST', url: '/complaints/:id/resolve', roles: SALES, target: { kind: 'complaint', param: 'id' } },
  // Work queues, risks
  { method: 'GET', url: '/tasks', roles: ALL_STAFF, rule: 'taskRole' },
  { method: 'GET', url: '/risks', roles: ALL_STAFF },
  {
    method: 'PATCH',
    url: '/risks/:id',
    roles: ['sales', 'sales_manager', 'finance', 'finance_manager', 'production', 'logistics'],
    rule: 'riskOwner',
    target: { kind: 'risk', param: 'id' },
  },
  // Audit trail
  { method: 'GET', url: '/audit', roles: ['auditor', 'admin'] },
  // KPIs and the performance archive (reads: every staff role)
  { method: 'GET', url: '/kpis', roles: ALL_STAFF },
  { method: 'GET', url: '/kpis/report.csv', roles: ALL_STAFF },
  { method: 'GET', url: '/kpis/report.html', roles: ALL_STAFF },
  // Sales analysis for marketing (SPEC 11): marketing, the managers, admin and auditors.
  { method: 'GET', url: '/analysis/summary', roles: ANALYSTS },
  { method: 'GET', url: '/analysis/sales', roles: ANALYSTS },
  { method: 'GET', url: '/analysis/top', roles: ANALYSTS },
  { method: 'GET', url: '/analysis/customers', roles: ANALYSTS },
  // Callers and their tokens
  { method: 'GET', url: '/me', roles: ALL_STAFF },
  { method: 'GET', url: '/tokens', roles: ALL_STAFF },
  {
    method: 'POST',
    url: '/users/:username/tokens',
    roles: ['admin'],
    target: { kind: 'user', param: 'username' },
    creates: { kind: 'token', field: 'id' },
  },
  { method: 'POST', url: '/tokens/:id/revoke', roles: WRITERS, rule: 'tokenOwner', target: { kind: 'token', param: 'id' } },
  // The Temporal Web UI's remote codec (api/routes/codec.ts): decrypts payloads for authorized ops.
  // The session is audited; single decode/encode calls change nothing and are not.
  { method: 'POST', url: '/codec/session', roles: CODEC_ROLES },
  { method: 'POST', url: '/codec/decode', roles: CODEC_ROLES, sessionCookie: CODEC_COOKIE, audit: false, csrf: false },
  { method: 'POST', url: '/codec/encode', roles: CODEC_ROLES, sessionCookie: CODEC_COOKIE, audit: false, csrf: false },
  // The console (issue 11, docs/CONSOLE-API.md). Signing in and out (public/own) are audited by the routes themselves.
  { method: 'DELETE', url: '/auth/session', roles: ALL_STAFF },
  { method: 'PUT', url: '/me/password', roles: ALL_STAFF },
  { method: 'GET', url: '/users', roles: ['admin'] },
  { method: 'PUT', url: '/users/:username/password', roles: ['admin'], target: { kind: 'user', param: 'username' } },
  // My work: always the caller's own role (the queue of GET /tasks, plus what the console shows with it).
  { method: 'GET', url: '/work', roles: ALL_STAFF },
  { method: 'GET', url: '/orders/:orderNo/actions', roles: ALL_STAFF, target: order },
  { method: 'GET', url: '/orders/:orderNo/timeline', roles: ALL_STAFF, target: order },
];

/**
 * Routes anyone may call without a token: liveness, the OpenAPI document, the
 * codec's sign-in page and the CORS preflights of the codec (browsers send
 * those without credentials).
 */
export const PUBLIC_ROUTES: readonly { method: 'GET' | 'POST' | 'OPTIONS'; url: string; prefix?: boolean }[] = [
  { method: 'GET', url: '/health' },
  { method: 'GET', url: '/docs' },
  { method: 'GET', url: '/docs/', prefix: true },
  { method: 'GET', url: '/codec/login' },
  { method: 'OPTIONS', url: '/codec/decode' },
  { method: 'OPTIONS', url: '/codec/encode' },
  // The console: sign-in (checks the password itself, audited), the session of a page reload (401 without one),
  // its configuration, and the web app's static files.
  { method: 'POST', url: '/auth/session' },
  { method: 'GET', url: '/auth/session' },
  { method: 'GET', url: '/console/config' },
  { method: 'GET', url: '/app', prefix: true },
];

export const routeKey = (method: string, url: string) => `${method.toUpperCase()} ${url}`;

const BY_KEY = new Map(ROUTE_ACCESS.map((r) => [routeKey(r.method, r.url), r]));
if (BY_KEY.size !== ROUTE_ACCESS.length) throw new Error('api/auth/roles.ts: a route is listed twice');

export function isPublic(method: string, url: string): boolean {
  const m = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
  return PUBLIC_ROUTES.some((p) => p.method === m && (p.prefix ? url.startsWith(p.url) : url === p.url));
}

/** The table entry of a route (HEAD routes follow their GET). */
export function accessFor(method: string, url: string): RouteAccess | undefined {
  const m = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
  return BY_KEY.get(routeKey(m, url));
}

export const isWrite = (method: string) => WRITE_METHODS.includes(method.toUpperCase());

// ---------------------------------------------------------------------------
// The table as Markdown (docs/ROLES.md, README)
// ---------------------------------------------------------------------------

const RULE_TEXT: Record<Rule, string> = {
  department: 'the `department` must be the caller’s (sales: sales, sales_manager; finance: finance, finance_manager; production; logistics)',
  taskRole: '`role=` must be the caller’s own role, unless sales_manager, finance_manager, admin or auditor',
  riskOwner: 'the risk’s owner role, or sales_manager / finance_manager',
  creditHold: 'a hold placed by finance or finance_manager (a credit hold) is released by finance_manager only',
  tokenOwner: 'the token’s owner, or admin',
};

export function renderRolesTable(): string {
  const lines = [
    '<!-- Generated from api/auth/roles.ts by `npx tsx scripts/roles-table.ts`; do not edit by hand. -->',
    '',
    '# Roles and routes',
    '',
    'Every route but the public ones needs `Authorization: Bearer <token>` (401 without a valid,',
    'unexpired, unrevoked token) or the console’s `so_session` cookie (then a state-changing request',
    'also needs `X-CSRF-Token`, docs/CONSOLE-API.md). A role not listed for a route gets 403. Auditors and marketing',
    'never write. The `carrier` role is a service caller (service token) for delivery confirmations.',
    '',
    '| route | roles | also |',
    '|---|---|---|',
    ...ROUTE_ACCESS.map((r) => {
      const also: string[] = [];
      if (r.rule) also.push(RULE_TEXT[r.rule]);
      const scoped = r.target?.kind === 'order' || r.target?.kind === 'productionOrder' || r.target?.kind === 'complaint' || r.target?.kind === 'risk';
      if (scoped && r.roles.some((x) => RECORD_SCOPED_ROLES.includes(x))) also.push('sales: own customers’ orders only (else 404)');
      if (['/orders', '/tasks', '/risks', '/customers'].includes(r.url) && r.method === 'GET') also.push('sales: filtered to own customers');
      if (r.method === 'POST' && r.url === '/orders') also.push('sales: own customers only (else 400 on customerId)');
      if (r.url === '/tokens' && r.method === 'GET') also.push('admin: all tokens; others: their own');
      if (r.sessionCookie) also.push(`or the \`${r.sessionCookie}\` cookie of \`POST /codec/session\` (Temporal Web UI); not audited per call`);
      if (r.csrf === false) also.push('with the `so_session` cookie: no X-CSRF-Token needed (changes nothing)');
      if (r.url === '/codec/session') also.push(`sets the \`${CODEC_COOKIE}\` cookie (HttpOnly, Path=/codec, at most 8 h)`);
      return `| \`${r.method} ${r.url}\` | ${r.roles.join(', ')} | ${also.join('; ')} |`;
    }),
    ...PUBLIC_ROUTES.filter((p) => !p.prefix).map((p) => `| \`${p.method} ${p.url}\`${p.url === '/docs' ? ', `/docs/*`' : ''} | public | |`),
    '',
    'Segregation of duties (enforced by the order workflow, answered 403): the user who entered an',
    'order cannot approve its finance review or its joint review; whoever filed a change cannot decide on it.',
    '',
    'Every successful command (POST, PATCH, DELETE) is written to the append-only audit trail with the',
    'caller, the action, the address, and the order’s state before and after; `GET /audit` reads it.',
    'The codec’s decode and encode change nothing and are not recorded one by one; signing in to it is.',
    '',
  ];
  return lines.join('\n');
}

/**
 * The console's sign-in (issue 11 item 2) through the real stack: password
 * sign-in, the session cookie on existing routes under the same role table,
 * CSRF on writes, idle expiry, sign-out, lockout, passwords set by an admin
 * and by their owner, and the audit trail of all of it.
 */
import { randomUUID } from 'node:crypto';
import { setPassword } from '../../api/auth/passwords';
import { createFixture } from '../support/fixtures';
import { browse, sessionPair, signIn } from '../support/console';
import { intakeBody } from '../support/orders';
import { startTestStack, useTestStack, type TestStack } from '../support/stack';

jest.setTimeout(120_000);

let stack: TestStack;
useTestStack((started) => {
  stack = started;
});

const auditRows = (action: string, actor: string) => stack.prisma.auditEntry.findMany({ where: { action, actor }, orderBy: { id: 'asc' } });

/** A person of `role` with a password, for tests that lock or change it (never a shared demo user). */
async function person(role: string, password = 'correct horse battery') {
  const username = `${role}.${randomUUID().slice(0, 8)}`;
  const user = await stack.prisma.user.create({ data: { username, name: username, email: `${username}@example.com`, role } });
  await setPassword(stack.prisma, user.id, password);
  return { username, password, id: user.id };
}

describe('sign-in', () => {
  it('a demo user signs in: the session, a strict HttpOnly cookie, and an audit row', async () => {
    const res = await stack.app.inject({ method: 'POST', url: '/auth/session', payload: { username: 'sales', password: 'demo-sales' } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ user: { username: 'sales', role: 'sales', name: '张明', email: 'sales@example.com' }, csrfToken: expect.any(String) });
    expect(Date.parse(body.idleExpiresAt)).toBeLessThanOrEqual(Date.parse(body.expiresAt));
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^so_session=ss_[A-Za-z0-9_-]{43}; /);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/;');
    expect(cookie).not.toContain('Secure');
    const row = (await auditRows('POST /auth/session', 'sales')).pop();
    expect(row).toMatchObject({ entity: 'session', ip: expect.any(String) });
    // Only a hash of the cookie value is stored.
    const value = sessionPair(res.headers['set-cookie']).split('=')[1];
    expect(await stack.prisma.consoleSession.count({ where: { tokenHash: value } })).toBe(0);
  });

  it('over https the cookie is Secure', async () => {
    const res = await stack.app.inject({
      method: 'POST',
      url: '/auth/session',
      payload: { username: 'finance', password: 'demo-finance' },
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(res.statusCode).toBe(200);
    expect(String(res.headers['set-cookie'])).toContain('; Secure');
  });

  it('a wrong password and an unknown user get the same 401, both audited', async () => {
    const p = await person('sales');
    const wrong = await browse(stack, null, 'POST', '/auth/session', { username: p.username, password: 'not it at all' });
    const unknown = await browse(stack, null, 'POST', '/auth/session', { username: `nobody-${randomUUID()}`, password: 'whatever1' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.message).toBe(unknown.body.message);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    expect(await auditRows('POST /auth/session failed', p.username)).toHaveLength(1);
    // A service caller has no password: the same answer.
    const service = await browse(stack, null, 'POST', '/auth/session', { username: 'carrier-webhook', password: 'demo-carrier-webhook' });
    expect(service.status).toBe(401);
  });

  it('repeated failures lock the username (429 + Retry-After), even for the right password; audited', async () => {
    const locked = await startTestStack({ env: { LOGIN_MAX_FAILURES: '3', LOGIN_LOCKOUT: '10m' } });
    try {
      const p = await person('finance');
      const attempt = (password: string) => locked.app.inject({ method: 'POST', url: '/auth/session', payload: { username: p.username, password } });
      expect((await attempt('wrong-1-password')).statusCode).toBe(401);
      expect((await attempt('wrong-2-password')).statusCode).toBe(401);
      const third = await attempt('wrong-3-password');
      expect(third.statusCode).toBe(429);
      expect(Number(third.headers['retry-after'])).toBeGreaterThan(500);
      const right = await attempt(p.password);
      expect(right.statusCode).toBe(429);
      expect(right.headers['set-cookie']).toBeUndefined();
      expect((await auditRows('POST /auth/session locked', p.username)).length).toBe(2);
      expect(await auditRows('POST /auth/session failed', p.username)).toHaveLength(3);
      // The admin's reset clears the lockout.
      const admin = await signIn(locked, 'admin');
      expect((await browse(locked, admin, 'PUT', `/users/${p.username}/password`, { password: 'a new start 123' })).status).toBe(204);
      expect((await attempt('a new start 123')).statusCode).toBe(200);
    } finally {
      await locked.stop();
    }
  });
});

describe('the session cookie on existing routes', () => {
  it('reads an existing route without a bearer token, under the same role table', async () => {
    const b = await signIn(stack, 'sales');
    const me = await browse(stack, b, 'GET', '/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ username: 'sales', role: 'sales', token: { name: 'console session' } });
    expect((await browse(stack, b, 'GET', '/orders?limit=1')).status).toBe(200);
    // sales may not read the audit trail, with a cookie as with a token.
    expect((await browse(stack, b, 'GET', '/audit')).status).toBe(403);
    // No cookie, no token: 401.
    expect((await browse(stack, null, 'GET', '/orders')).status).toBe(401);
    // A page reload finds the session and its CSRF token.
    const again = await browse(stack, b, 'GET', '/auth/session');
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ user: { username: 'sales' }, csrfToken: b.csrfToken });
  });

  it('a write without X-CSRF-Token is refused with 403 csrf and changes nothing; with it, it works', async () => {
    const f = await createFixture(stack.prisma);
    const b = await signIn(stack, 'sales');
    const before = await stack.prisma.order.count({ where: { customerId: f.customerId } });
    const key = { 'idempotency-key': `test-${randomUUID()}` };
    const missing = await browse(stack, b, 'POST', '/orders', intakeBody(f), { csrf: false, headers: key });
    expect(missing.status).toBe(403);
    expect(missing.body.error).toBe('csrf');
    const wrong = await browse(stack, b, 'POST', '/orders', intakeBody(f), { csrf: false, headers: { ...key, 'x-csrf-token': 'forged' } });
    expect(wrong.status).toBe(403);
    expect(await stack.prisma.order.count({ where: { customerId: f.customerId } })).toBe(before);
    // Another session's token is not this one's.
    const other = await signIn(stack, 'sales');
    const crossed = await browse(stack, b, 'POST', '/orders', intakeBody(f), { csrf: false, headers: { ...key, 'x-csrf-token': other.csrfToken } });
    expect(crossed.status).toBe(403);
    const ok = await browse(stack, b, 'POST', '/orders', intakeBody(f), { headers: key });
    expect(ok.status).toBe(201);
    expect(await stack.prisma.order.count({ where: { customerId: f.customerId } })).toBe(before + 1);
    // The audit trail names the person behind the cookie.
    const row = await stack.prisma.auditEntry.findFirst({ where: { action: 'POST /orders', orderNo: ok.body.orderNo } });
    expect(row?.actor).toBe('sales');
  });

  it('bearer callers are unaffected: no CSRF header needed', async () => {
    const { api } = await import('../support/orders');
    expect((await api(stack, 'GET', '/me', undefined, 'finance')).status).toBe(200);
  });
});

describe('sign-out and expiry', () => {
  it('sign-out ends the session on the server and clears the cookie', async () => {
    const b = await signIn(stack, 'logistics');
    expect((await browse(stack, b, 'DELETE', '/auth/session', undefined, { csrf: false })).status).toBe(403);
    const out = await browse(stack, b, 'DELETE', '/auth/session');
    expect(out.status).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^so_session=; .*Max-Age=0/);
    // The cookie (kept, or copied) no longer works anywhere.
    expect((await browse(stack, b, 'GET', '/me')).status).toBe(401);
    expect((await browse(stack, b, 'GET', '/auth/session')).status).toBe(401);
    const row = (await auditRows('DELETE /auth/session', 'logistics')).pop();
    expect(row).toBeDefined();
  });

  it('a session idle longer than SESSION_IDLE_TIMEOUT is over; activity keeps it alive', async () => {
    const short = await startTestStack({ env: { SESSION_IDLE_TIMEOUT: '2s' } });
    try {
      const b = await signIn(short, 'production');
      const first = await browse(short, b, 'GET', '/auth/session');
      expect(first.status).toBe(200);
      // A request moves the idle expiry forward.
      await new Promise((r) => setTimeout(r, 1000));
      const second = await browse(short, b, 'GET', '/auth/session');
      expect(second.status).toBe(200);
      expect(Date.parse(second.body.idleExpiresAt)).toBeGreaterThan(Date.parse(first.body.idleExpiresAt));
      // Then nothing for longer than the idle timeout.
      await new Promise((r) => setTimeout(r, 2500));
      const late = await browse(short, b, 'GET', '/me');
      expect(late.status).toBe(401);
      expect(late.body.message).toMatch(/session has expired/);
      expect((await browse(short, b, 'GET', '/auth/session')).status).toBe(401);
    } finally {
      await short.stop();
    }
  });
});

it('a session ends SESSION_MAX_AGE after sign-in, however active', async () => {
  const short = await startTestStack({ env: { SESSION_MAX_AGE: '3s' } });
  try {
    const b = await signIn(short, 'auditor');
    expect(Date.parse(b.body.expiresAt) - Date.now()).toBeLessThanOrEqual(3000);
    expect((await browse(short, b, 'GET', '/me')).status).toBe(200);
    // Busy all along: a request every half second never lets it go idle.
    const until = Date.parse(b.body.expiresAt) + 500;
    while (Date.now() < until) {
      await browse(short, b, 'GET', '/me');
      await new Promise((r) => setTimeout(r, 500));
    }
    expect((await browse(short, b, 'GET', '/me')).status).toBe(401);
  } finally {
    await short.stop();
  }
});

describe('passwords', () => {
  it('an admin resets a password: the old one stops working, the user’s sessions end, audited; others may not', async () => {
    const p = await person('logistics');
    const theirs = await signIn(stack, p.username, p.password);
    const admin = await signIn(stack, 'admin');
    const sales = await signIn(stack, 'sales');
    expect((await browse(stack, sales, 'PUT', `/users/${p.username}/password`, { password: 'by sales 12345' })).status).toBe(403);
    expect((await browse(stack, admin, 'PUT', `/users/${p.username}/password`, { password: 'short' })).body.field).toBe('password');
    expect((await browse(stack, admin, 'PUT', '/users/carrier-webhook/password', { password: 'a machine 12345' })).status).toBe(409);
    expect((await browse(stack, admin, 'PUT', `/users/${p.username}/password`, { password: 'reset by admin 1' })).status).toBe(204);
    expect((await browse(stack, theirs, 'GET', '/me')).status).toBe(401);
    expect((await browse(stack, null, 'POST', '/auth/session', { username: p.username, password: p.password })).status).toBe(401);
    expect((await browse(stack, null, 'POST', '/auth/session', { username: p.username, password: 'reset by admin 1' })).status).toBe(200);
    const row = await stack.prisma.auditEntry.findFirst({ where: { action: 'PUT /users/:username/password', actor: 'admin', entityId: p.username } });
    expect(row).not.toBeNull();
    expect(JSON.stringify(row?.after)).not.toContain('reset by admin 1');
    // The stored hash carries its salt and parameters.
    const stored = await stack.prisma.user.findUniqueOrThrow({ where: { id: p.id } });
    expect(stored.passwordParams).toEqual({ N: 16384, r: 8, p: 1, keylen: 64 });
    expect(stored.passwordSalt).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    // The user list is the admin's.
    const users = await browse(stack, admin, 'GET', '/users');
    expect(users.body.items.find((u: { username: string }) => u.username === p.username)).toMatchObject({ hasPassword: true, role: 'logistics' });
    expect((await browse(stack, sales, 'GET', '/users')).status).toBe(403);
  });

  it('a user changes their own password with the current one', async () => {
    const p = await person('finance');
    const b = await signIn(stack, p.username, p.password);
    const other = await signIn(stack, p.username, p.password);
    expect((await browse(stack, b, 'PUT', '/me/password', { currentPassword: 'not mine', newPassword: 'a fresh one 42' })).body.field).toBe('currentPassword');
    expect((await browse(stack, b, 'PUT', '/me/password', { currentPassword: p.password, newPassword: 'a fresh one 42' })).status).toBe(204);
    // This session goes on; the other one is over.
    expect((await browse(stack, b, 'GET', '/me')).status).toBe(200);
    expect((await browse(stack, other, 'GET', '/me')).status).toBe(401);
    expect((await browse(stack, null, 'POST', '/auth/session', { username: p.username, password: 'a fresh one 42' })).status).toBe(200);
  });
});

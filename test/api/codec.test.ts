/**
 * The Temporal Web UI's remote codec (api/routes/codec.ts) against the real
 * stack: what Temporal stores is ciphertext, the endpoint turns it back into
 * the order's data for authorized ops only (bearer token or the codec
 * session cookie), and CORS answers the Web UI's origin and nobody else.
 */
import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { CODEC_COOKIE, CODEC_ROLES } from '../../api/auth/roles';
import { issueToken, revokeToken } from '../../api/auth/tokens';
import { CORS_ALLOWED_HEADERS, MAX_PAYLOADS, MAX_SESSION_SECONDS } from '../../api/routes/codec';
import { createFixture, type Fixture } from '../support/fixtures';
import { api, orderHandle, placeOrder, waitForStage } from '../support/orders';
import { useTestStack, type TestStack } from '../support/stack';

jest.setTimeout(120_000);

let stack: TestStack;
let f: Fixture;
let orderNo: string;
let uiOrigin: string;

type JsonPayload = { metadata: Record<string, string>; data: string };

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
const jsonPayload = (value: unknown): JsonPayload => ({ metadata: { encoding: b64('json/plain') }, data: b64(JSON.stringify(value)) });
/** A payload from a history (protobuf bytes) as the Web UI sends it (proto3 JSON). */
const toJson = (p: temporal.api.common.v1.IPayload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});
const metadataText = (p: JsonPayload, key: string) => (p.metadata[key] === undefined ? undefined : unb64(p.metadata[key]));

const NEW_CONTACT = '李秀英';
const NEW_LINE1 = '静安区南京西路1266号';

useTestStack(async (started) => {
  stack = started;
  uiOrigin = new URL(stack.config.temporalUiUrl).origin;
  f = await createFixture(stack.prisma);
  orderNo = await placeOrder(stack, f);
  await waitForStage(stack, orderNo, 'sales_review');
});

const decode = (payloads: unknown[], actor: string | null = 'auditor', headers: Record<string, string> = {}) =>
  api(stack, 'POST', '/codec/decode', { payloads }, actor, headers);
const encode = (payloads: unknown[], actor: string | null = 'auditor', headers: Record<string, string> = {}) =>
  api(stack, 'POST', '/codec/encode', { payloads }, actor, headers);

describe('the codec endpoint', () => {
  it('encode -> decode round trip for every authorized role', async () => {
    const original = [jsonPayload({ name: '王经理', amount: '2712.00' }), jsonPayload('纯文本'), { metadata: { encoding: b64('binary/null') }, data: '' }];
    for (const role of CODEC_ROLES) {
      const enc = await encode(original, role);
      expect({ role, status: enc.status }).toEqual({ role, status: 200 });
      expect(enc.body.payloads).toHaveLength(3);
      for (const p of enc.body.payloads as JsonPayload[]) {
        expect(metadataText(p, 'encoding')).toBe('binary/encrypted');
        expect(metadataText(p, 'encryption-key-id')).toMatch(/^[0-9a-f]{12}$/);
        expect(unb64(p.data)).not.toContain('王经理');
      }
      const dec = await decode(enc.body.payloads, role);
      expect(dec.status).toBe(200);
      expect(dec.body.payloads).toEqual(original);
    }
    // Fresh IV per payload: the same plaintext never encrypts the same way twice.
    const again = await encode([original[0]]);
    const twice = await encode([original[0]]);
    expect(again.body.payloads[0].data).not.toBe(twice.body.payloads[0].data);
    // A payload that is not encrypted comes back as it is.
    expect((await decode([original[0]])).body.payloads).toEqual([original[0]]);
  });

  it('a real order’s history is ciphertext in Temporal and the order’s data through the endpoint', async () => {
    // A change with a new contact and address: personal data in an Update's arguments.
    const change = await api(
      stack,
      'POST',
      `/orders/${orderNo}/changes`,
      {
        changes: {
          contact: { name: NEW_CONTACT, phone: '+86 21 6666 0000' },
          deliveryAddress: { recipient: NEW_CONTACT, phone: '+86 21 6666 0000', region: f.region, city: '上海市', line1: NEW_LINE1 },
        },
        reason: '客户来函：更换联系人',
      },
      'sales',
      { 'idempotency-key': `codec-${randomUUID()}` },
    );
    expect(change.status).toBe(201);

    const history = await orderHandle(stack, orderNo).fetchHistory();
    const events = history.events ?? [];

    // Nothing readable in what Temporal stores: not the customer's name, not the contact, not the address.
    // (Search attributes, which Temporal must index, hold ids and stages only.)
    const raw = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
    for (const secret of [f.customerName, '王经理', '浦东新区世纪大道100号', NEW_CONTACT, NEW_LINE1, '1200.00'])
      expect({ secret, found: raw.includes(Buffer.from(secret, 'utf8')) }).toEqual({ secret, found: false });

    // The workflow input: ciphertext as stored, the order's data once decoded.
    const started = events[0].workflowExecutionStartedEventAttributes!;
    const input = toJson(started.input!.payloads![0]);
    expect(metadataText(input, 'encoding')).toBe('binary/encrypted');
    expect(unb64(input.data)).not.toContain(orderNo);
    const [plainInput] = (await decode([input])).body.payloads as JsonPayload[];
    expect(metadataText(plainInput, 'encoding')).toBe('json/plain');
    expect(JSON.parse(unb64(plainInput.data))).toMatchObject({
      orderNo,
      customerId: f.customerId,
      totalAmount: '2712.00',
      lines: [expect.objectContaining({ productId: f.inStockProductId, quantity: 2 })],
    });

    // The change's arguments: the new contact's Chinese name, readable only through the endpoint.
    const accepted = events.find((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'fileChange');
    const args = accepted!.workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest!.input!.args!.payloads!.map(toJson);
    expect(args.every((p) => metadataText(p, 'encoding') === 'binary/encrypted')).toBe(true);
    const decoded = await decode(args, 'sales_manager');
    expect(decoded.status).toBe(200);
    const text = decoded.body.payloads.map((p: JsonPayload) => unb64(p.data)).join('\n');
    expect(text).toContain(NEW_CONTACT);
    expect(JSON.parse(unb64(decoded.body.payloads[0].data))).toMatchObject({
      changes: { contact: { name: NEW_CONTACT }, deliveryAddress: { line1: NEW_LINE1 } },
      actor: 'sales',
    });

    // Every payload of the history decodes (results, queries' answers, timers' summaries are no exception).
    const all = events.flatMap((e) => collectPayloads(e)).map(toJson);
    expect(all.length).toBeGreaterThan(5);
    const everything = await decode(all, 'admin');
    expect(everything.status).toBe(200);
    expect(everything.body.payloads.every((p: JsonPayload) => metadataText(p, 'encoding') !== 'binary/encrypted')).toBe(true);
  });

  it('no token: 401; a role that is not an authorized op: 403; expired or revoked: 401', async () => {
    const body = [jsonPayload({ a: 1 })];
    for (const op of [decode, encode]) {
      const none = await op(body, null);
      expect(none).toMatchObject({ status: 401, body: { error: 'Unauthorized', message: expect.stringMatching(/Bearer/) } });
      expect(none.headers['www-authenticate']).toBe('Bearer');
      for (const role of ['sales', 'finance', 'production', 'logistics', 'marketing', 'carrier-webhook']) {
        const res = await op(body, role);
        expect({ role, status: res.status, error: res.body.error }).toEqual({ role, status: 403, error: 'Forbidden' });
      }
    }
    const expired = await issueToken(stack.prisma, { username: 'auditor', name: 'old', ttlDays: 1, now: new Date(Date.now() - 2 * 86_400_000) });
    expect((await decode(body, null, { authorization: `Bearer ${expired.token}` })).status).toBe(401);
    expect((await api(stack, 'POST', '/codec/session', undefined, null, { authorization: `Bearer ${expired.token}` })).status).toBe(401);
    expect((await api(stack, 'POST', '/codec/session', undefined, 'sales')).status).toBe(403);
    expect((await api(stack, 'POST', '/codec/session', undefined, 'marketing')).status).toBe(403);
  });

  it('the cookie flow: sign in once, then decode with the cookie alone; the session is audited, decodes are not', async () => {
    const t = await issueToken(stack.prisma, { username: 'finance_manager', name: 'codec-browser', ttlDays: 1 });
    const sessionsBefore = await stack.prisma.auditEntry.count({ where: { action: 'POST /codec/session', actor: 'finance_manager' } });

    const session = await api(stack, 'POST', '/codec/session', undefined, null, { authorization: `Bearer ${t.token}` });
    expect(session).toMatchObject({ status: 200, body: { username: 'finance_manager', role: 'finance_manager', expiresAt: expect.any(String) } });
    expect(session.headers['cache-control']).toBe('no-store');
    const setCookie = String(session.headers['set-cookie']);
    expect(setCookie).toMatch(new RegExp(`^${CODEC_COOKIE}=${t.token}; `));
    const attrs = setCookie.split(';').map((s) => s.trim());
    expect(attrs).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Lax', 'Path=/codec']));
    const maxAge = Number(attrs.find((a) => a.startsWith('Max-Age='))!.slice('Max-Age='.length));
    expect(maxAge).toBeGreaterThan(MAX_SESSION_SECONDS - 60);
    expect(maxAge).toBeLessThanOrEqual(MAX_SESSION_SECONDS);
    expect(setCookie).not.toMatch(/Domain=/i);

    const cookie = { cookie: `${CODEC_COOKIE}=${t.token}` };
    const enc = await encode([jsonPayload({ contact: '王经理' })], null, cookie);
    expect(enc.status).toBe(200);
    const dec = await decode(enc.body.payloads, null, { ...cookie, origin: uiOrigin, 'x-namespace': 'default' });
    expect(dec.status).toBe(200);
    expect(JSON.parse(unb64(dec.body.payloads[0].data))).toEqual({ contact: '王经理' });
    expect(dec.headers['access-control-allow-origin']).toBe(uiOrigin);
    expect(dec.headers['access-control-allow-credentials']).toBe('true');

    // The cookie works on the codec only, not as a way into the rest of the API.
    expect((await api(stack, 'GET', '/me', undefined, null, cookie)).status).toBe(401);

    // One audit row for the sign-in; none for the decodes.
    expect(await stack.prisma.auditEntry.count({ where: { action: 'POST /codec/session', actor: 'finance_manager' } })).toBe(sessionsBefore + 1);
    const row = await stack.prisma.auditEntry.findFirstOrThrow({ where: { action: 'POST /codec/session', actor: 'finance_manager' }, orderBy: { id: 'desc' } });
    expect(row).toMatchObject({ ip: '127.0.0.1', entity: 'codec' });
    expect(JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).not.toContain(t.token);
    expect(await stack.prisma.auditEntry.count({ where: { action: { in: ['POST /codec/decode', 'POST /codec/encode'] } } })).toBe(0);

    // Revoking the token ends the session at once.
    await revokeToken(stack.prisma, t.id);
    expect((await decode(enc.body.payloads, null, cookie)).status).toBe(401);
    expect((await decode(enc.body.payloads, null, { cookie: `${CODEC_COOKIE}=` })).status).toBe(401);
    expect((await decode(enc.body.payloads, null, { cookie: `${CODEC_COOKIE}=not-a-token` })).status).toBe(401);

    // A sales user's token in the cookie: 403, like the header.
    const sales = await issueToken(stack.prisma, { username: 'sales', name: 'codec-try', ttlDays: 1 });
    expect((await decode(enc.body.payloads, null, { cookie: `other=1; ${CODEC_COOKIE}=${sales.token}` })).status).toBe(403);
  });

  it('a session never outlives its token', async () => {
    // A token with about an hour left: the cookie lasts that hour, not 8.
    const t = await issueToken(stack.prisma, { username: 'admin', name: 'short', ttlDays: 1, now: new Date(Date.now() - 23 * 3_600_000) });
    const res = await api(stack, 'POST', '/codec/session', undefined, null, { authorization: `Bearer ${t.token}` });
    expect(res.status).toBe(200);
    const maxAge = Number(/Max-Age=(\d+)/.exec(String(res.headers['set-cookie']))![1]);
    expect(maxAge).toBeLessThanOrEqual(3600);
    expect(maxAge).toBeGreaterThan(3500);
    expect(Date.parse(res.body.expiresAt)).toBeLessThanOrEqual(t.expiresAt.getTime());
  });

  it('CORS: the preflight answers the Web UI’s exact origin with credentials; a foreign origin gets nothing', async () => {
    for (const url of ['/codec/decode', '/codec/encode']) {
      const pre = await stack.app.inject({
        method: 'OPTIONS',
        url,
        headers: { origin: uiOrigin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
      });
      expect(pre.statusCode).toBe(204);
      expect(pre.headers['access-control-allow-origin']).toBe(uiOrigin);
      expect(pre.headers['access-control-allow-credentials']).toBe('true');
      expect(pre.headers['access-control-allow-methods']).toMatch(/POST/);
      expect(String(pre.headers['access-control-allow-headers']).split(/,\s*/).sort()).toEqual(CORS_ALLOWED_HEADERS.split(/,\s*/).sort());
      expect(pre.headers.vary).toMatch(/Origin/);

      for (const origin of ['http://evil.example', `${uiOrigin}.evil.example`, 'null']) {
        const foreign = await stack.app.inject({ method: 'OPTIONS', url, headers: { origin, 'access-control-request-method': 'POST' } });
        expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
        expect(foreign.headers['access-control-allow-credentials']).toBeUndefined();
        const post = await decode([jsonPayload(1)], 'admin', { origin });
        expect(post.status).toBe(200);
        expect(post.headers['access-control-allow-origin']).toBeUndefined();
      }
    }
    // Errors carry the CORS headers too, so the UI can tell "sign in" from "network error".
    const denied = await decode([jsonPayload(1)], null, { origin: uiOrigin });
    expect(denied.status).toBe(401);
    expect(denied.headers['access-control-allow-origin']).toBe(uiOrigin);
    // No other route speaks CORS.
    const me = await api(stack, 'GET', '/me', undefined, 'admin', { origin: uiOrigin });
    expect(me.headers['access-control-allow-origin']).toBeUndefined();
    const login = await api(stack, 'POST', '/codec/session', undefined, 'admin', { origin: uiOrigin });
    expect(login.headers['access-control-allow-origin']).toBeUndefined();
    expect((await stack.app.inject({ method: 'OPTIONS', url: '/orders', headers: { origin: uiOrigin } })).headers['access-control-allow-origin']).toBeUndefined();
  });

  it('limits and bad payloads: 400 naming the field, nothing decrypted by accident', async () => {
    const many = await decode(Array.from({ length: MAX_PAYLOADS + 1 }, () => ({ metadata: {}, data: '' })), 'admin');
    expect(many).toMatchObject({ status: 400, body: { field: 'payloads' } });
    expect((await decode(Array.from({ length: MAX_PAYLOADS }, () => ({ metadata: {}, data: '' })), 'admin')).status).toBe(200);

    const [sealed] = (await encode([jsonPayload({ secret: 1 })], 'admin')).body.payloads as JsonPayload[];
    const tampered = Buffer.from(sealed.data, 'base64');
    tampered[tampered.length - 1] ^= 0xff;
    const bad = await decode([jsonPayload(1), { ...sealed, data: tampered.toString('base64') }], 'admin');
    expect(bad).toMatchObject({ status: 400, body: { field: 'payloads[1]', message: expect.stringMatching(/cannot be decoded/) } });
    const unknownKey = await decode([{ ...sealed, metadata: { ...sealed.metadata, 'encryption-key-id': b64('000000000000') } }], 'admin');
    expect(unknownKey).toMatchObject({ status: 400, body: { field: 'payloads[0]' } });
    expect(JSON.stringify(unknownKey.body)).not.toMatch(/PAYLOAD_CODEC|key [0-9a-f]{12}|at .*\.ts/);
  });

  it('GET /codec/login: a public, self-contained sign-in page', async () => {
    const res = await stack.app.inject({ method: 'GET', url: '/codec/login' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-store');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).toMatch(/form-action 'none'/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(res.body).toContain("fetch('session'");
    expect(res.body).toContain('/codec');
    expect(res.body).not.toMatch(/<script src=|<link /);
    // The inline script is exactly the one the CSP allows.
    const script = /<script>([\s\S]*?)<\/script>/.exec(res.body)![1];
    const { createHash } = await import('node:crypto');
    expect(csp).toContain(`'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'`);
  });
});

/** Every Payload in one history event (inputs, results, update arguments, summaries...). */
function collectPayloads(value: unknown, out: temporal.api.common.v1.IPayload[] = [], seen = new Set<unknown>()): temporal.api.common.v1.IPayload[] {
  if (!value || typeof value !== 'object' || seen.has(value) || value instanceof Uint8Array) return out;
  seen.add(value);
  const v = value as { metadata?: unknown; data?: unknown };
  if (v.data instanceof Uint8Array && v.metadata && typeof v.metadata === 'object') {
    out.push(value as temporal.api.common.v1.IPayload);
    return out;
  }
  for (const v of Object.values(value as Record<string, unknown>)) {
    if (Array.isArray(v)) v.forEach((x) => collectPayloads(x, out, seen));
    else collectPayloads(v, out, seen);
  }
  return out;
}

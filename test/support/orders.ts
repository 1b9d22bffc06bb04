/**
 * Driving orders in tests the way departments do: through the HTTP API
 * (app.inject) as a seeded user with a real bearer token, and reading the
 * workflow's live state by query.
 */
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../../activities/infra/db';
import { CALLER_ROLES } from '../../api/auth/roles';
import { issueToken } from '../../api/auth/tokens';
import { orderWorkflowId, getState, type OrderState, type Stage } from '../../workflows/order/contract';
import type { TestStack } from './stack';

/**
 * The role a test username stands for: its own name when it is a role, else
 * the longest role it starts with (`production_lead` -> production,
 * `sales.lead` -> sales, `finance2` -> finance).
 */
export function roleOfUsername(username: string): string {
  const role = [...CALLER_ROLES].sort((a, b) => b.length - a.length).find((r) => username === r || username.startsWith(r));
  if (!role) throw new Error(`test user ${username}: no role can be derived from the name; use a seeded user or a name starting with a role`);
  return role;
}

/** Tokens by username, for this test file (each file has its own module registry). */
const tokens = new Map<string, Promise<string>>();

/**
 * A bearer token of the named user, issued through the token service (the
 * user is created with the role its name implies when it does not exist).
 */
export function tokenFor(stack: { prisma: PrismaClient }, username: string): Promise<string> {
  let token = tokens.get(username);
  if (!token) {
    token = (async () => {
      const role = roleOfUsername(username);
      const user = await stack.prisma.user.upsert({
        where: { username },
        update: {},
        create: { username, name: username, email: `${username}@example.com`, role },
      });
      const issued = await issueToken(stack.prisma, {
        username,
        name: 'test',
        kind: user.role === 'carrier' ? 'service' : 'user',
        ttlDays: 1,
      });
      return issued.token;
    })();
    tokens.set(username, token);
    token.catch(() => tokens.delete(username));
  }
  return token;
}

/** `{ authorization: 'Bearer …' }` for the named user. */
export async function authHeaders(stack: { prisma: PrismaClient }, username: string): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await tokenFor(stack, username)}` };
}

export interface OrderFixture {
  customerId: string;
  inStockProductId: string;
  mtoProductId: string;
  region: string;
}

/** A valid intake body; `lines` default to 2 units of the in-stock product. */
export function intakeBody(f: OrderFixture, over: Record<string, unknown> = {}): Record<string, unknown> {
  const inTwoWeeks = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
  return {
    customerId: f.customerId,
    channel: 'phone',
    contact: { name: '王经理', phone: '+86 21 5555 0101', email: 'wang@example.cn' },
    requestedDeliveryDate: inTwoWeeks,
    deliveryAddress: { recipient: '王经理', phone: '+86 21 5555 0101', region: f.region, city: '上海市', line1: '浦东新区世纪大道100号', postcode: '200120' },
    paymentTerms: 'NET_30',
    lines: [{ productId: f.inStockProductId, quantity: 2, unitPrice: '1200.00', taxRate: '0.13' }],
    ...over,
  };
}

/** A request as `actor` (a username; null: no token). Headers given win, e.g. a test's own `authorization`. */
export async function api(
  stack: TestStack,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  body?: unknown,
  actor: string | null = 'sales',
  headers: Record<string, string> = {},
) {
  const auth = actor === null ? {} : await authHeaders(stack, actor);
  return injectJson(stack, method, url, body, { ...auth, ...headers });
}

/** One request through the app: status, headers and the body parsed as JSON (the raw text when it is not JSON). */
export async function injectJson(stack: TestStack, method: string, url: string, body: unknown, headers: Record<string, string>) {
  const res = await stack.app.inject({ method: method as 'GET', url, payload: body as object | undefined, headers });
  let parsed: any;
  try {
    parsed = res.body ? res.json() : undefined;
  } catch {
    parsed = res.body;
  }
  return { status: res.statusCode, headers: res.headers, body: parsed };
}

/** Intake through the API; returns the order number. */
export async function placeOrder(stack: TestStack, f: OrderFixture, over: Record<string, unknown> = {}): Promise<string> {
  const res = await api(stack, 'POST', '/orders', intakeBody(f, over), 'sales', { 'idempotency-key': `test-${randomUUID()}` });
  if (res.status !== 201) throw new Error(`intake failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.orderNo as string;
}

export function orderHandle(stack: TestStack, orderNo: string) {
  return stack.client.workflow.getHandle(orderWorkflowId(orderNo));
}

export async function liveState(stack: TestStack, orderNo: string): Promise<OrderState> {
  return orderHandle(stack, orderNo).query(getState);
}

/** Polls the workflow until `pred` holds (or fails after `timeoutMs`). */
export async function waitForState(
  stack: TestStack,
  orderNo: string,
  pred: (s: OrderState) => boolean,
  timeoutMs = 30_000,
): Promise<OrderState> {
  const deadline = Date.now() + timeoutMs;
  let last: OrderState | undefined;
  for (;;) {
    try {
      last = await liveState(stack, orderNo);
      if (pred(last)) return last;
    } catch {
      // not started yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting on ${orderNo}; last state ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export const waitForStage = (stack: TestStack, orderNo: string, stage: Stage, timeoutMs?: number) =>
  waitForState(stack, orderNo, (s) => s.stage === stage, timeoutMs);

/**
 * Saves the order's history (its latest run), exported from the dev server
 * with the Temporal CLI, under test/replay/histories when RECORD_HISTORIES=1,
 * for the replay test that guards running orders against incompatible
 * workflow changes. Re-record only when behaviour changes on purpose.
 */
/** Where new recordings go: one folder per workflow generation (v2: one command path, exception stage). */
export const RECORDING_GENERATION = 'v2-one-command-path';

export async function recordHistory(stack: TestStack, orderNo: string, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const { execFileSync } = await import('node:child_process');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const cli = join(__dirname, '..', '..', '.tools', 'bin', 'temporal');
  const json = execFileSync(
    cli,
    ['workflow', 'show', '--workflow-id', orderHandle(stack, orderNo).workflowId, '--address', stack.config.temporalAddress, '--namespace', stack.config.temporalNamespace, '--output', 'json'],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  // Histories of the current workflow code go to their own folder; the older ones stay as they were
  // recorded, so the replay test keeps proving that orders started on older code still replay.
  const dir = join(__dirname, '..', 'replay', 'histories', RECORDING_GENERATION);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), json);
}

/** The failure an update was refused with (validator or handler), for assertions on its type and message. */
export async function refusal(p: Promise<unknown>): Promise<{ type?: string; message: string }> {
  try {
    await p;
  } catch (e) {
    const cause = (e as { cause?: { type?: string; message?: string } }).cause;
    return { type: cause?.type, message: cause?.message ?? (e as Error).message };
  }
  throw new Error('expected the update to be refused, but it was accepted');
}

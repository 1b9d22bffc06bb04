/**
 * The console's browser session in API tests: sign in with a password (as
 * the web app does), then send the cookie and, on writes, the CSRF token.
 */
import type { TestStack } from './stack';
import { injectJson } from './orders';

export interface Browser {
  cookie: string;
  csrfToken: string;
  body: any;
}

/** The `so_session=…` pair of a Set-Cookie header. */
export function sessionPair(setCookie: string | string[] | undefined): string {
  const first = (Array.isArray(setCookie) ? setCookie : [setCookie ?? '']).find((c) => c.startsWith('so_session=')) ?? '';
  return first.split(';')[0];
}

export async function signIn(stack: TestStack, username: string, password = `demo-${username}`): Promise<Browser> {
  const res = await stack.app.inject({ method: 'POST', url: '/auth/session', payload: { username, password } });
  if (res.statusCode !== 200) throw new Error(`sign-in of ${username} failed: ${res.statusCode} ${res.body}`);
  return { cookie: sessionPair(res.headers['set-cookie']), csrfToken: res.json().csrfToken, body: res.json() };
}

/** A request with the session cookie; `csrf: false` leaves the X-CSRF-Token header out. */
export async function browse(
  stack: TestStack,
  b: Browser | null,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  body?: unknown,
  opts: { csrf?: boolean; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...(b ? { cookie: b.cookie } : {}), ...opts.headers };
  if (b && method !== 'GET' && opts.csrf !== false) headers['x-csrf-token'] = b.csrfToken;
  return injectJson(stack, method, url, body, headers);
}

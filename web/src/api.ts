/**
 * Every call to the API: same origin, the session cookie (credentials), the
 * session's CSRF token on every state-changing request, JSON in and out.
 * A 401 means the session is gone: the app goes back to sign-in.
 * Errors come back as ApiError with the API's `{ error, message, field? }`.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called on a 401 from any call but the sign-in itself. */
export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

const WRITES = ['POST', 'PUT', 'PATCH', 'DELETE'];

export interface RequestOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Do not treat a 401 as "session gone" (sign-in, session probe). */
  quiet401?: boolean;
}

export async function api<T = unknown>(path: string, opts: RequestOptions = {}): Promise<T> {
  const method = (opts.method ?? 'GET').toUpperCase();
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (WRITES.includes(method) && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
  } catch (err) {
    throw new ApiError(0, 'network', (err as Error).message || 'network error');
  }
  if (res.status === 401 && !opts.quiet401) onUnauthorized?.();
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('content-type') ?? '';
  const data: unknown = type.includes('json') ? await res.json().catch(() => null) : await res.text();
  if (!res.ok) {
    const e = (data && typeof data === 'object' ? data : {}) as { error?: string; message?: string; field?: string };
    throw new ApiError(res.status, e.error ?? res.statusText, e.message ?? (typeof data === 'string' && data ? data : res.statusText), e.field);
  }
  return data as T;
}

/** Query string from the defined values. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') s.set(k, String(v));
  const out = s.toString();
  return out ? `?${out}` : '';
}

/**
 * An idempotency key made once per form: 32 hex characters from the
 * browser's CSPRNG (crypto.randomUUID needs a secure context; this works
 * over plain http on a LAN too).
 */
export function newIdempotencyKey(prefix = 'web'): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return `${prefix}-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** `lines[0].quantity` -> ['lines', 0, 'quantity'] (an antd form name path). */
export function fieldPath(field: string): (string | number)[] {
  return field
    .replace(/\[(\d+)\]/g, '.$1')
    .split(/[./]/)
    .filter(Boolean)
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

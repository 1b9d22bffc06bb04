/**
 * The bench's HTTP client: node:http with a keep-alive agent (loopback only),
 * JSON in and out, and the one place the caller's identity goes into a
 * request (`authHeaders`).
 */
import { Agent, request as httpRequest } from 'node:http';

export interface HttpResult {
  status: number;
  body: any;
  /** Wall time from sending to the full answer, ms. */
  ms: number;
}

const tokens = new Map<string, string>();

/** Bearer tokens by username (issued by the bench for its run: bench/lib/bench.ts). */
export function setTokens(byUser: Record<string, string>): void {
  tokens.clear();
  for (const [user, token] of Object.entries(byUser)) tokens.set(user, token);
}

/**
 * Headers that say who is calling: THE one place. The API authenticates
 * `Authorization: Bearer <token>`; without a token for the user (an API from
 * before authentication), the old `X-Actor` header names them.
 */
export function authHeaders(actor: string): Record<string, string> {
  const token = tokens.get(actor);
  return token ? { authorization: `Bearer ${token}` } : { 'x-actor': actor };
}

export class HttpClient {
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string, maxSockets = 256) {
    const u = new URL(baseUrl);
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) throw new Error(`the bench only talks to loopback addresses, not ${u.hostname}`);
    this.host = u.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(u.port);
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  request(method: 'GET' | 'POST', path: string, opts: { actor?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<HttpResult> {
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const headers: Record<string, string | number> = {
      accept: 'application/json',
      ...(opts.actor ? authHeaders(opts.actor) : {}),
      ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
      ...opts.headers,
    };
    const started = performance.now();
    return new Promise<HttpResult>((resolve, reject) => {
      const req = httpRequest({ host: this.host, port: this.port, method, path, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const ms = performance.now() - started;
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          if ((res.headers['content-type'] ?? '').includes('json') && text) {
            try {
              body = JSON.parse(text);
            } catch {
              body = text;
            }
          }
          resolve({ status: res.statusCode ?? 0, body, ms });
        });
      });
      req.setTimeout(opts.timeoutMs ?? 60_000, () => req.destroy(new Error(`${method} ${path}: no answer within ${(opts.timeoutMs ?? 60_000) / 1000} s`)));
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

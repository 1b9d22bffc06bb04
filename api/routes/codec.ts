/**
 * The remote payload codec of the Temporal Web UI (issue 4, item 7).
 *
 * Everything the order system puts into Temporal is encrypted
 * (activities/infra/codec.ts), so the Web UI shows ciphertext until it is
 * pointed at this endpoint (the dev server is started with
 * `--ui-codec-endpoint http://HOST:PORT/codec`). The UI then calls, from the
 * browser:
 *
 *   POST /codec/decode   { payloads: [{ metadata: { k: base64 }, data: base64 }] } -> same shape, decrypted
 *   POST /codec/encode   the reverse (e.g. a signal or query argument typed into the UI)
 *
 * Only authorized ops (CODEC_ROLES: admin, auditor, sales_manager,
 * finance_manager) may call them. The UI cannot send our bearer token, so
 * there is a browser session: GET /codec/login (public) is a small page
 * where the user pastes a token; its script POSTs it to /codec/session
 * (Authorization header), which checks the token and role like any route and
 * sets `codec_session=<token>; HttpOnly; SameSite=Lax; Path=/codec` for at
 * most 8 hours and never past the token's expiry. decode/encode accept the
 * header or that cookie (api/auth/plugin.ts, `sessionCookie` in the role
 * table): expired or revoked -> 401, a role not allowed -> 403.
 *
 * CORS for decode/encode only, for exactly one origin (config.temporalUiUrl),
 * with credentials; never `*`. A foreign origin gets no Access-Control-*
 * header, so its browser keeps the answer from it. Signing in is audited;
 * single decode/encode calls change nothing and are not. A call holds at
 * most MAX_PAYLOADS payloads and the body is capped at 1 MiB (app.ts).
 */
import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Payload } from '@temporalio/common';
import { Type } from 'typebox';
import { escapeHtml } from '../../activities/email/templates';
import { EncryptionCodec } from '../../activities/infra/codec';
import { bearerToken, unauthorized, userOf } from '../auth/plugin';
import { CODEC_COOKIE, CODEC_ROLES } from '../auth/roles';
import { badRequest } from '../errors';
import { DateTime, errors } from '../schemas';

export const MAX_PAYLOADS = 1000;
/** A codec session lasts at most this long (and never past its token's expiry). */
export const MAX_SESSION_SECONDS = 8 * 3600;
export const CORS_ALLOWED_HEADERS = 'content-type, x-namespace, authorization';

/** Standard or URL-safe base64 (proto3 JSON accepts both). */
const Base64 = Type.String({ pattern: '^[A-Za-z0-9+/_-]*={0,2}$', description: 'base64' });

const PayloadJson = Type.Object(
  {
    metadata: Type.Optional(
      Type.Record(Type.String({ minLength: 1, maxLength: 256 }), Base64, { maxProperties: 64, description: 'metadata key -> base64 value' }),
    ),
    data: Type.Optional(Base64),
  },
  // Newer Temporal servers may add fields to Payload (proto3 JSON); they are ignored.
  { additionalProperties: true, description: 'A Temporal Payload in proto3 JSON' },
);

const PayloadsBody = Type.Object(
  { payloads: Type.Array(PayloadJson, { maxItems: MAX_PAYLOADS, description: `At most ${MAX_PAYLOADS}` }) },
  { additionalProperties: false },
);

const PayloadsResult = Type.Object({
  payloads: Type.Array(Type.Object({ metadata: Type.Record(Type.String(), Type.String()), data: Type.String() })),
});

const Session = Type.Object({
  username: Type.String(),
  role: Type.String(),
  expiresAt: DateTime('When the cookie expires'),
});

type PayloadIn = { metadata?: Record<string, string>; data?: string };

const fromBase64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
const toBase64 = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('base64');

export function payloadFromJson(p: PayloadIn): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, fromBase64(v)])),
    data: fromBase64(p.data ?? ''),
  };
}

export function payloadToJson(p: Payload): { metadata: Record<string, string>; data: string } {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, toBase64(v)])),
    data: toBase64(p.data),
  };
}

const cspHash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

const LOGIN_STYLE = `
body { font: 15px/1.5 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2330; }
main { max-width: 36rem; margin: 4rem auto; padding: 2rem; background: #fff; border-radius: 8px; box-shadow: 0 1px 4px #0002; }
h1 { font-size: 1.25rem; margin-top: 0; }
label { display: block; font-weight: 600; margin-bottom: .25rem; }
input { width: 100%; box-sizing: border-box; padding: .5rem; font: 14px ui-monospace, monospace; }
button { margin-top: .75rem; padding: .5rem 1.25rem; font: inherit; cursor: pointer; }
#out { min-height: 1.5em; font-weight: 600; }
#out.ok { color: #17692e; } #out.err { color: #a4161a; }
code { background: #eef0f3; padding: 0 .25rem; border-radius: 3px; }
`;

// Static, so its hash (in the page's CSP) is fixed. It posts to `session`, next to this page.
const LOGIN_SCRIPT = `
const form = document.getElementById('form');
const input = document.getElementById('token');
const out = document.getElementById('out');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  out.className = '';
  out.textContent = 'Signing in...';
  try {
    const res = await fetch('session', {
      method: 'POST',
      headers: { authorization: 'Bearer ' + input.value.trim() },
      credentials: 'same-origin',
      cache: 'no-store',
    });
    const body = await res.json().catch(() => ({}));
    if (res.ok) {
      input.value = '';
      out.className = 'ok';
      out.textContent = 'Signed in as ' + body.username + ' (' + body.role + ') until ' +
        new Date(body.expiresAt).toLocaleString() + '. The Temporal Web UI can now decode payloads; you may close this page.';
    } else {
      out.className = 'err';
      out.textContent = body.message || ('HTTP ' + res.status);
    }
  } catch (err) {
    out.className = 'err';
    out.textContent = 'Could not reach the API: ' + err;
  }
});
`;

const LOGIN_CSP = [
  "default-src 'none'",
  `script-src ${cspHash(LOGIN_SCRIPT)}`,
  `style-src ${cspHash(LOGIN_STYLE)}`,
  "connect-src 'self'",
  // The form is sent by the script only; a plain submission would put the token in a URL.
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

function loginPage(a: { uiUrl: string; endpoint: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Codec sign-in - Sales orders</title>
<style>${LOGIN_STYLE}</style>
</head>
<body>
<main>
<h1>Read encrypted payloads in the Temporal Web UI</h1>
<p>Order payloads are encrypted before they reach Temporal. Paste an API token of an authorized role
(${CODEC_ROLES.map((r) => `<code>${r}</code>`).join(', ')}) to let this browser decode them.
The token is kept in an HttpOnly cookie sent only to <code>/codec</code> of this API, for at most 8 hours
and never past its own expiry.</p>
<form id="form" method="post" autocomplete="off">
<label for="token">API token</label>
<input id="token" name="token" type="password" required spellcheck="false" placeholder="so_...">
<button type="submit">Sign in</button>
</form>
<p id="out" role="status" aria-live="polite"></p>
<p>Then open the <a href="${escapeHtml(a.uiUrl)}" rel="noreferrer">Temporal Web UI</a>; its codec server
setting must be <code>${escapeHtml(a.endpoint)}</code> with &ldquo;include cross-origin credentials&rdquo; on.</p>
</main>
<script>${LOGIN_SCRIPT}</script>
</body>
</html>
`;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url.replace(/\/+$/, '');
  }
}

const codec: FastifyPluginAsyncTypebox = async (app) => {
  const codecImpl = new EncryptionCodec(app.config.payloadCodecKeys);
  const uiOrigin = originOf(app.config.temporalUiUrl);

  /** CORS for the Web UI's origin only, on every answer of the route (errors included). */
  const cors = async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('Vary', 'Origin');
    reply.header('Cache-Control', 'no-store');
    if (request.headers.origin !== uiOrigin) return;
    reply.header('Access-Control-Allow-Origin', uiOrigin);
    reply.header('Access-Control-Allow-Credentials', 'true');
  };

  const preflight = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.headers.origin === uiOrigin) {
      reply.header('Access-Control-Allow-Methods', 'POST, OPTIONS');
      reply.header('Access-Control-Allow-Headers', CORS_ALLOWED_HEADERS);
      reply.header('Access-Control-Max-Age', '600');
      // Chrome's Private Network Access: the UI and the API may sit on different private addresses.
      if (request.headers['access-control-request-private-network'] === 'true')
        reply.header('Access-Control-Allow-Private-Network', 'true');
    }
    return reply.status(204).send();
  };

  app.get(
    '/codec/login',
    {
      schema: { summary: 'Sign-in page of the codec for the Temporal Web UI (HTML)', tags: ['codec'] },
    },
    async (request, reply) => {
      const endpoint = `${request.protocol}://${request.host}/codec`;
      return reply
        .type('text/html; charset=utf-8')
        .header('Content-Security-Policy', LOGIN_CSP)
        .header('Cache-Control', 'no-store')
        .send(loginPage({ uiUrl: app.config.temporalUiUrl, endpoint }));
    },
  );

  app.post(
    '/codec/session',
    {
      schema: {
        summary: 'Start a codec session in this browser',
        description:
          `Checks the bearer token and role like any route and sets the \`${CODEC_COOKIE}\` cookie (HttpOnly, SameSite=Lax, ` +
          `Path=/codec) for at most 8 hours and never past the token's expiry; /codec/decode and /codec/encode then accept the cookie.`,
        tags: ['codec'],
        response: { 200: Session, ...errors(401, 403) },
      },
    },
    async (request, reply) => {
      const user = userOf(request);
      const token = bearerToken(request);
      const row = await app.prisma.apiToken.findUnique({ where: { id: user.tokenId }, select: { expiresAt: true } });
      const now = Date.now();
      const seconds = row ? Math.floor(Math.min(MAX_SESSION_SECONDS * 1000, row.expiresAt.getTime() - now) / 1000) : 0;
      if (!token || seconds < 1) throw unauthorized('The bearer token is not valid');
      const secure = request.protocol === 'https' ? '; Secure' : '';
      return reply
        .header('Set-Cookie', `${CODEC_COOKIE}=${token}; HttpOnly; SameSite=Lax; Path=/codec; Max-Age=${seconds}${secure}`)
        .header('Cache-Control', 'no-store')
        .send({ username: user.username, role: user.role, expiresAt: new Date(now + seconds * 1000).toISOString() });
    },
  );

  for (const op of ['decode', 'encode'] as const) {
    const url = `/codec/${op}`;
    app.options(url, { onRequest: cors, schema: { hide: true } }, preflight);
    app.post(
      url,
      {
        onRequest: cors,
        schema: {
          summary: op === 'decode' ? 'Decrypt Temporal payloads (remote codec)' : 'Encrypt Temporal payloads (remote codec)',
          description:
            `Temporal's remote codec protocol: payloads in proto3 JSON (base64 metadata values and data), at most ${MAX_PAYLOADS} a call. ` +
            `Authorization: Bearer <token> or the \`${CODEC_COOKIE}\` cookie of POST /codec/session. ` +
            `CORS for the Temporal Web UI's origin (TEMPORAL_UI_URL) only, with credentials.` +
            (op === 'decode' ? ' A payload that is not encrypted comes back as it is; one that cannot be decrypted is 400.' : ''),
          tags: ['codec'],
          body: PayloadsBody,
          response: { 200: PayloadsResult, ...errors(400, 413, 415) },
        },
      },
      async (request) => {
        const input = request.body.payloads.map((p) => payloadFromJson(p as PayloadIn));
        const output: Payload[] = [];
        for (const [i, p] of input.entries()) {
          try {
            output.push(...(await (op === 'decode' ? codecImpl.decode([p]) : codecImpl.encode([p]))));
          } catch {
            throw badRequest(`payloads[${i}] cannot be ${op}d with the configured keys`, `payloads[${i}]`);
          }
        }
        return { payloads: output.map(payloadToJson) };
      },
    );
  }
};

export default codec;

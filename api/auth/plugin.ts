/**
 * Authentication, authorization and the command audit trail, attached to
 * every route as it is registered (an `onRoute` hook), so no route can be
 * left out:
 *
 *   - a route with no entry in api/auth/roles.ts (and not public) stops the
 *     app from starting; so does an entry for a route that does not exist;
 *   - onRequest (after the rate limit): `Authorization: Bearer <token>` ->
 *     `request.user = { id, username, role, kind }`, else the console's
 *     session cookie (api/auth/sessions.ts; a state-changing request made
 *     with it needs the session's X-CSRF-Token, else 403 `csrf`), else 401;
 *     a role the table does not list for the route -> 403, before the body
 *     is parsed.
 *     A route with a `sessionCookie` in the table also takes the token from
 *     that cookie when there is no Authorization header (the codec, for the
 *     Temporal Web UI), verified the same way;
 *   - preHandler (after validation): the target is loaded; a `sales` user
 *     gets 404 for orders of customers they do not own; the route's rule
 *     (api/auth/rules.ts) is checked;
 *   - onSend of a successful write: one audit_trail row (api/services/command-audit.ts),
 *     unless the table says `audit: false` (a write that changes nothing).
 *
 * Registered with skip-override so its hooks see the routes of every plugin.
 */
import type {
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  RouteOptions,
} from 'fastify';
import { CsrfError, ErrorResponse, HttpError, notFound } from '../errors';
import { recordCommand } from '../services/command-audit';
import { NOT_FOUND_MESSAGE, loadTarget, type Target } from '../services/targets';
import { maySeeOrder } from '../../workflows/domain/access';
import { RECORD_SCOPED_ROLES, ROUTE_ACCESS, accessFor, isPublic, isWrite, routeKey, type RouteAccess } from './roles';
import { checkRule, forbidden } from './rules';
import { verifyToken, type AuthUser } from './tokens';
import { CSRF_HEADER, SESSION_COOKIE, csrfMatches, verifySession } from './sessions';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller; null only on public routes. */
    user: AuthUser | null;
    /** What the request acts on, loaded before the handler (audit "before"). */
    authTarget: Target | null;
  }
  interface FastifyContextConfig {
    /** The route's entry in api/auth/roles.ts, or 'public'. */
    access?: RouteAccess | 'public';
  }
}

export const unauthorized = (message: string) => new HttpError(401, message, undefined, { 'WWW-Authenticate': 'Bearer' });

const MISSING = 'Authentication required: sign in, or send Authorization: Bearer <token>';
/** One message for unknown, malformed, expired and revoked tokens: never say which. */
const INVALID = 'The bearer token is not valid';
/** One message for an unknown, ended, idle or expired session. */
export const SESSION_EXPIRED = 'Your session has expired; sign in again';

export interface AuthPluginOptions {
  /** Called when a request carries a token that does not verify (rate limiting of failures). */
  onAuthFailure?: (request: FastifyRequest) => Promise<void>;
}

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
type SendHook = (request: FastifyRequest, reply: FastifyReply, payload: unknown) => Promise<unknown>;

function append<T>(existing: T | T[] | undefined, hook: T, where: 'first' | 'last' = 'last'): T[] {
  const list = existing === undefined ? [] : Array.isArray(existing) ? [...existing] : [existing];
  if (where === 'first') list.unshift(hook);
  else list.push(hook);
  return list;
}

/** The token of `Authorization: Bearer <token>`; undefined without the header, empty when it is malformed. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return m ? m[1] : '';
}

/** The value of the named cookie, or undefined. */
export function cookieValue(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  return undefined;
}

const authPlugin: FastifyPluginAsync<AuthPluginOptions> = async (app, opts) => {
  app.decorateRequest('user', null);
  app.decorateRequest('authTarget', null);

  const authenticate =
    (access: RouteAccess): Hook =>
    async (request) => {
      const bearer = bearerToken(request);
      const session = bearer === undefined ? cookieValue(request, SESSION_COOKIE) : undefined;
      let user: AuthUser | null;
      if (session !== undefined) {
        // The console's cookie (docs/CONSOLE-API.md): the same role table, plus CSRF on writes.
        user = await verifySession(app.prisma, session, app.config.console.sessionIdleMs);
        if (!user) throw unauthorized(SESSION_EXPIRED);
        if (isWrite(access.method) && access.csrf !== false && !csrfMatches(user.session!, request.headers[CSRF_HEADER]))
          throw new CsrfError(`Missing or wrong X-CSRF-Token header: a ${access.method} made with the session cookie must send the csrfToken of its session`);
      } else {
        const token = bearer ?? (access.sessionCookie ? cookieValue(request, access.sessionCookie) : undefined);
        if (token === undefined) throw unauthorized(MISSING);
        user = token ? await verifyToken(app.prisma, token) : null;
        if (!user) {
          await opts.onAuthFailure?.(request);
          throw unauthorized(INVALID);
        }
      }
      request.user = user;
      if (!access.roles.includes(user.role)) throw forbidden(`role ${user.role} may not call ${access.method} ${access.url}`);
    };

  const authorize =
    (access: RouteAccess): Hook =>
    async (request) => {
      const user = request.user!;
      let target: Target | null = null;
      const scoped = RECORD_SCOPED_ROLES.includes(user.role);
      if (access.target && (scoped || access.rule || isWrite(access.method))) {
        const key = (request.params as Record<string, string> | undefined)?.[access.target.param];
        if (key !== undefined) target = await loadTarget(app.prisma, access.target.kind, key);
      }
      request.authTarget = target;
      // Record level: a sales user's view ends at their own customers; the rest does not exist for them.
      if (scoped && target?.found && target.orderNo !== null && !maySeeOrder(user, target))
        throw notFound(NOT_FOUND_MESSAGE[target.kind](target.entityId));
      if (access.rule) await checkRule(access.rule, { request, user, target, prisma: app.prisma });
    };

  const audit =
    (access: RouteAccess): SendHook =>
    async (request, reply, payload) => {
      const status = reply.statusCode;
      if (status < 200 || status >= 300 || !request.user) return payload;
      if (String(reply.getHeader('idempotent-replay') ?? '') === 'true') return payload; // changed nothing
      try {
        const before = request.authTarget;
        let after: Target | null = null;
        if (access.creates) {
          const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : '';
          const key = (JSON.parse(text || '{}') as Record<string, unknown>)[access.creates.field];
          if (typeof key === 'string') after = await loadTarget(app.prisma, access.creates.kind, key);
        } else if (before) {
          after = await loadTarget(app.prisma, before.kind, before.entityId);
        }
        const subject = after ?? before;
        await recordCommand(app.prisma, {
          actor: request.user.username,
          action: `${access.method} ${access.url}`,
          entity: subject?.entity ?? access.url.split('/')[1] ?? 'api',
          entityId: subject?.entityId ?? '-',
          orderNo: subject?.orderNo ?? null,
          ip: request.ip,
          before: access.creates ? null : (before?.state ?? null),
          after: after?.state ?? null,
          body: request.body,
        });
      } catch (err) {
        // The command has happened; its answer must not turn into an error. Loudly logged instead.
        request.log.error({ err, action: `${access.method} ${access.url}` }, 'could not write the audit trail entry');
      }
      return payload;
    };

  const registered = new Set<string>();

  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).map((m) => m.toUpperCase());
    const url = route.url;
    if (methods.every((m) => isPublic(m, url))) {
      route.config = { ...(route.config ?? {}), access: 'public' };
      if (route.schema) route.schema = { ...route.schema, security: [] } as typeof route.schema;
      return;
    }
    const real = methods.filter((m) => m !== 'HEAD');
    const method = real.length ? real : methods;
    if (method.length !== 1)
      throw new Error(`route ${methods.join(',')} ${url}: register one method per route so api/auth/roles.ts can name it`);
    const access = accessFor(method[0], url);
    if (!access)
      throw new Error(`route ${method[0]} ${url} is not in the role table (api/auth/roles.ts): add it with the roles allowed, or list it as public`);
    registered.add(routeKey(access.method, access.url));

    route.config = { ...(route.config ?? {}), access };
    route.onRequest = append(route.onRequest as Hook | Hook[] | undefined, authenticate(access)) as RouteOptions['onRequest'];
    route.preHandler = append(route.preHandler as Hook | Hook[] | undefined, authorize(access), 'first') as RouteOptions['preHandler'];
    if (isWrite(access.method) && access.audit !== false)
      route.onSend = append(route.onSend as SendHook | SendHook[] | undefined, audit(access)) as RouteOptions['onSend'];
    if (route.schema) {
      const roles = `Roles: ${access.roles.join(', ')}.`;
      const description = route.schema.description ? `${route.schema.description}\n\n${roles}` : roles;
      const response = route.schema.response as Record<string, unknown> | undefined;
      route.schema = {
        ...route.schema,
        description,
        security: [{ bearerAuth: [] }],
        ...(response ? { response: { 401: ErrorResponse, 403: ErrorResponse, 429: ErrorResponse, ...response } } : {}),
      } as typeof route.schema;
    }
  });

  app.addHook('onReady', async () => {
    const stale = ROUTE_ACCESS.filter((r) => !registered.has(routeKey(r.method, r.url)));
    if (stale.length)
      throw new Error(`api/auth/roles.ts lists routes that do not exist: ${stale.map((r) => routeKey(r.method, r.url)).join(', ')}`);
  });
};

// skip-override (what fastify-plugin does): the hooks apply to the whole app, not a child context.
(authPlugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
(authPlugin as unknown as Record<symbol, string>)[Symbol.for('fastify.display-name')] = 'auth';

export default authPlugin;

/** The authenticated caller of a route that requires one. */
export function userOf(request: FastifyRequest): AuthUser {
  if (!request.user) throw unauthorized(MISSING);
  return request.user;
}

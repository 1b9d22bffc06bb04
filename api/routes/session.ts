/**
 * The console's sign-in (issue 11, docs/CONSOLE-API.md): username and
 * password -> a session cookie and its CSRF token; the session of a page
 * reload; sign-out; passwords (set by an admin, changed by their owner); the
 * user list for admins.
 *
 * Sign-in is public and audits itself: every success, failure and lockout is
 * an audit_trail row (action `POST /auth/session`, `… failed`, `… locked`),
 * with the address. One message for an unknown user, a wrong password, an
 * inactive user and a user without a password, and an unknown name costs the
 * same scrypt work as a known one.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { writeAudit } from '../../activities/audit';
import { sqlOf } from '../../activities/infra/db';
import { SESSION_EXPIRED, cookieValue, unauthorized, userOf } from '../auth/plugin';
import { PASSWORD_MAX, burnTime, passwordProblem, setPassword, verifyPassword } from '../auth/passwords';
import {
  SESSION_COOKIE,
  clearFailures,
  createSession,
  endSession,
  endUserSessions,
  lockedFor,
  recordFailure,
  verifySession,
  type SessionInfo,
} from '../auth/sessions';
import { HttpError, badRequest, conflict, notFound } from '../errors';
import { DateTime, Nullable, errors } from '../schemas';

const WRONG = 'Wrong username or password';

const SessionUserSchema = Type.Object({
  id: Type.String(),
  username: Type.String(),
  name: Type.String(),
  email: Type.String(),
  role: Type.String(),
});
const SessionSchema = Type.Object({
  user: SessionUserSchema,
  csrfToken: Type.String({ description: 'Send as X-CSRF-Token on every POST, PUT, PATCH and DELETE made with the cookie' }),
  idleExpiresAt: DateTime('Moves forward with every request'),
  expiresAt: DateTime('The absolute end of the session'),
});

const SignInBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX }),
  },
  { additionalProperties: false },
);

const UserView = Type.Object({
  id: Type.String(),
  username: Type.String(),
  name: Type.String(),
  email: Type.String(),
  role: Type.String(),
  active: Type.Boolean(),
  hasPassword: Type.Boolean(),
  passwordChangedAt: Nullable(DateTime()),
  lockedUntil: Nullable(DateTime('Set while the username is locked out after failed sign-ins')),
  lastSignInAt: Nullable(DateTime()),
});

const isHttps = (request: FastifyRequest) => request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https';

function sessionCookie(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.max(0, maxAgeSeconds)}${isHttps(request) ? '; Secure' : ''}`;
}

const sessionBody = (user: { id: string; username: string; name: string; email: string; role: string }, s: SessionInfo) => ({
  user: { id: user.id, username: user.username, name: user.name, email: user.email, role: user.role },
  csrfToken: s.csrfToken,
  idleExpiresAt: s.idleExpiresAt.toISOString(),
  expiresAt: s.expiresAt.toISOString(),
});

const session: FastifyPluginAsyncTypebox = async (app) => {
  const cfg = app.config.console;
  const audit = (request: FastifyRequest, a: { actor: string; action: string; entityId: string; after?: Record<string, unknown> }) =>
    writeAudit(sqlOf(app.prisma), { actor: a.actor, action: a.action, entity: 'session', entityId: a.entityId, ip: request.ip, after: a.after ?? null });

  app.post(
    '/auth/session',
    {
      schema: {
        summary: 'Sign in to the console',
        description:
          `Sets the \`${SESSION_COOKIE}\` cookie (HttpOnly, SameSite=Strict, Path=/, Secure over https). ` +
          'After repeated failures the username is locked for a while (429 with Retry-After). Every sign-in, failure and lockout is audited.',
        tags: ['auth'],
        body: SignInBody,
        response: { 200: SessionSchema, ...errors(400, 401, 429) },
      },
    },
    async (request, reply) => {
      const { password } = request.body;
      const username = request.body.username.trim();
      const attempted = username.slice(0, 64);
      const locked = await lockedFor(app.prisma, username);
      if (locked > 0) {
        await audit(request, { actor: attempted, action: 'POST /auth/session locked', entityId: attempted, after: { retryAfterSeconds: locked } });
        throw tooManyFailures(locked);
      }
      const user = await app.prisma.user.findUnique({ where: { username } });
      let ok = false;
      if (user && user.active && user.passwordHash) ok = await verifyPassword(password, { hash: user.passwordHash, salt: user.passwordSalt, params: user.passwordParams });
      else await burnTime(password);
      if (!ok || !user) {
        const lockedNow = await recordFailure(app.prisma, username, cfg);
        await audit(request, { actor: attempted, action: 'POST /auth/session failed', entityId: user?.id ?? attempted, after: { reason: 'wrong username or password' } });
        if (lockedNow > 0) {
          await audit(request, { actor: attempted, action: 'POST /auth/session locked', entityId: user?.id ?? attempted, after: { lockedForSeconds: lockedNow } });
          throw tooManyFailures(lockedNow);
        }
        throw unauthorized(WRONG);
      }
      await clearFailures(app.prisma, username);
      const s = await createSession(app.prisma, { userId: user.id, ip: request.ip, userAgent: request.headers['user-agent'], config: cfg });
      await audit(request, { actor: user.username, action: 'POST /auth/session', entityId: s.id, after: { userId: user.id, role: user.role, expiresAt: s.expiresAt.toISOString() } });
      return reply
        .header('Set-Cookie', sessionCookie(request, s.token, Math.floor(cfg.sessionMaxMs / 1000)))
        .header('Cache-Control', 'no-store')
        .send(sessionBody(user, s));
    },
  );

  app.get(
    '/auth/session',
    {
      schema: {
        summary: 'The current console session (page reload)',
        description: '401 when there is no session, or it has ended or expired.',
        tags: ['auth'],
        response: { 200: SessionSchema, ...errors(401) },
      },
    },
    async (request, reply) => {
      const value = cookieValue(request, SESSION_COOKIE);
      const caller = value ? await verifySession(app.prisma, value, cfg.sessionIdleMs) : null;
      if (!caller) throw unauthorized(value ? SESSION_EXPIRED : 'Not signed in');
      const user = await app.prisma.user.findUniqueOrThrow({ where: { id: caller.id } });
      return reply.header('Cache-Control', 'no-store').send(sessionBody(user, caller.session!));
    },
  );

  app.delete(
    '/auth/session',
    {
      schema: {
        summary: 'Sign out',
        description: 'Ends the session on the server and clears the cookie. Needs the session cookie and X-CSRF-Token.',
        tags: ['auth'],
        response: { 204: Type.Null(), ...errors(401, 403, 409) },
      },
    },
    async (request, reply) => {
      const caller = userOf(request);
      // A bearer caller has no console session to end (its token is revoked with POST /tokens/:id/revoke).
      if (!caller.session) throw conflict('No console session: sign-out ends the session of the cookie; revoke a bearer token with POST /tokens/:id/revoke');
      await endSession(app.prisma, caller.session.id, 'signed_out');
      return reply.header('Set-Cookie', sessionCookie(request, '', 0)).status(204).send(null);
    },
  );

  app.put(
    '/me/password',
    {
      schema: {
        summary: 'Change my password',
        description: 'Ends the user’s other console sessions.',
        tags: ['auth'],
        body: Type.Object(
          { currentPassword: Type.String({ minLength: 1, maxLength: PASSWORD_MAX }), newPassword: Type.String({ maxLength: PASSWORD_MAX + 1 }) },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null(), ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const caller = userOf(request);
      const user = await app.prisma.user.findUniqueOrThrow({ where: { id: caller.id } });
      const ok = await verifyPassword(request.body.currentPassword, { hash: user.passwordHash, salt: user.passwordSalt, params: user.passwordParams });
      if (!ok) throw badRequest('currentPassword is not your current password', 'currentPassword');
      const problem = passwordProblem(request.body.newPassword);
      if (problem) throw badRequest(`newPassword: ${problem}`, 'newPassword');
      await setPassword(app.prisma, user.id, request.body.newPassword);
      await endUserSessions(app.prisma, user.id, 'password_changed', caller.session?.id);
      return reply.status(204).send(null);
    },
  );

  app.put(
    '/users/:username/password',
    {
      schema: {
        summary: 'Set or reset a user’s password (admin)',
        description: 'Ends the user’s console sessions and clears a lockout. Service users (machine callers) have no password.',
        tags: ['auth'],
        params: Type.Object({ username: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9_.-]+$' }) }),
        body: Type.Object({ password: Type.String({ maxLength: PASSWORD_MAX + 1 }) }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const user = await app.prisma.user.findUnique({ where: { username: request.params.username } });
      if (!user) throw notFound(`user ${request.params.username} not found`);
      if (user.role === 'carrier') throw conflict(`${user.username} is a service caller: it uses tokens, not a password`, 'username');
      const problem = passwordProblem(request.body.password);
      if (problem) throw badRequest(`password: ${problem}`, 'password');
      await setPassword(app.prisma, user.id, request.body.password);
      await endUserSessions(app.prisma, user.id, 'password_reset');
      await clearFailures(app.prisma, user.username);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/users',
    {
      schema: {
        summary: 'Users (admin)',
        tags: ['auth'],
        response: { 200: Type.Object({ items: Type.Array(UserView) }), ...errors(401, 403) },
      },
    },
    async () => {
      const [users, throttles] = await Promise.all([
        app.prisma.user.findMany({ orderBy: [{ role: 'asc' }, { username: 'asc' }] }),
        app.prisma.signInThrottle.findMany({ where: { lockedUntil: { gt: new Date() } } }),
      ]);
      const locked = new Map(throttles.map((t) => [t.username, t.lockedUntil!]));
      return {
        items: users.map((u) => ({
          id: u.id,
          username: u.username,
          name: u.name,
          email: u.email,
          role: u.role,
          active: u.active,
          hasPassword: u.passwordHash !== null,
          passwordChangedAt: u.passwordChangedAt?.toISOString() ?? null,
          lockedUntil: locked.get(u.username.toLowerCase())?.toISOString() ?? null,
          lastSignInAt: u.lastSignInAt?.toISOString() ?? null,
        })),
      };
    },
  );
};

function tooManyFailures(seconds: number): HttpError {
  return new HttpError(429, `Too many failed sign-ins for this user; try again in ${seconds} seconds`, undefined, { 'Retry-After': String(seconds) });
}

export default session;

/**
 * Console sessions (issue 11): a browser signs in with username and password
 * and gets an opaque random cookie value; only its SHA-256 hash is stored
 * (console_sessions.token_hash), with a CSRF token the page sends back on
 * every state-changing request. A session ends when it has been idle for
 * `sessionIdleMs`, `sessionMaxMs` after sign-in, at sign-out, and when the
 * user's password is changed or reset. Every authenticated request moves the
 * idle expiry forward (never past the absolute one).
 *
 * The lockout: failed sign-ins are counted per username (known or not, so the
 * answer never tells whether a user exists); `loginMaxFailures` in a row lock
 * the name for `loginLockoutMs`; a successful sign-in resets the count.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { sqlOf, type PrismaClient } from '../../activities/infra/db';
import type { ConsoleConfig } from '../../activities/infra/config';
import type { CallerRole } from './roles';
import type { AuthUser } from './tokens';

/** The console's session cookie (HttpOnly, SameSite=Strict, Path=/). */
export const SESSION_COOKIE = 'so_session';
export const CSRF_HEADER = 'x-csrf-token';

const SESSION_RE = /^ss_[A-Za-z0-9_-]{43}$/;
const hash = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export interface SessionInfo {
  id: string;
  csrfToken: string;
  idleExpiresAt: Date;
  expiresAt: Date;
}

export interface NewSession extends SessionInfo {
  /** The cookie value; never stored. */
  token: string;
}

export async function createSession(
  prisma: PrismaClient,
  a: { userId: string; ip?: string; userAgent?: string; config: Pick<ConsoleConfig, 'sessionIdleMs' | 'sessionMaxMs'>; now?: Date },
): Promise<NewSession> {
  const now = a.now ?? new Date();
  const token = `ss_${randomBytes(32).toString('base64url')}`;
  const csrfToken = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + a.config.sessionMaxMs);
  const idleExpiresAt = new Date(Math.min(now.getTime() + a.config.sessionIdleMs, expiresAt.getTime()));
  const row = await prisma.consoleSession.create({
    data: {
      userId: a.userId,
      tokenHash: hash(token),
      csrfToken,
      createdAt: now,
      lastSeenAt: now,
      idleExpiresAt,
      expiresAt,
      ip: a.ip ?? null,
      userAgent: a.userAgent?.slice(0, 300) ?? null,
    },
  });
  await prisma.user.update({ where: { id: a.userId }, data: { lastSignInAt: now } });
  return { id: row.id, token, csrfToken, idleExpiresAt, expiresAt };
}

export type SessionUser = AuthUser & { session: SessionInfo };

/**
 * The user of a live session, its idle expiry moved forward; null when the
 * value is malformed, unknown, ended, idle too long, past its absolute expiry,
 * or its user is inactive (callers must not say which). One statement: the
 * UPDATE only matches a live session.
 */
export async function verifySession(prisma: PrismaClient, token: string, idleMs: number, now = new Date()): Promise<SessionUser | null> {
  if (!SESSION_RE.test(token)) return null;
  const nowIso = now.toISOString();
  const [row] = await sqlOf(prisma).query<{
    id: string;
    csrfToken: string;
    idleExpiresAt: Date;
    expiresAt: Date;
    userId: string;
    username: string;
    role: string;
  }>(
    `UPDATE console_sessions s
        SET last_seen_at = $2::timestamp(3),
            idle_expires_at = LEAST(s.expires_at, $2::timestamp(3) + make_interval(secs => $3::double precision / 1000))
       FROM users u
      WHERE s.token_hash = $1 AND u.id = s.user_id AND u.active
        AND s.ended_at IS NULL AND s.idle_expires_at > $2::timestamp(3) AND s.expires_at > $2::timestamp(3)
  RETURNING s.id, s.csrf_token, s.idle_expires_at, s.expires_at, u.id AS user_id, u.username, u.role`,
    [hash(token), nowIso, idleMs],
  );
  if (!row) return null;
  return {
    id: row.userId,
    username: row.username,
    role: row.role as CallerRole,
    kind: 'user',
    tokenId: '',
    session: { id: row.id, csrfToken: row.csrfToken, idleExpiresAt: row.idleExpiresAt, expiresAt: row.expiresAt },
  };
}

/** Whether `sent` is the session's CSRF token (constant time). */
export function csrfMatches(session: SessionInfo, sent: string | string[] | undefined): boolean {
  if (typeof sent !== 'string' || !sent) return false;
  const a = Buffer.from(sent, 'utf8');
  const b = Buffer.from(session.csrfToken, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function endSession(prisma: PrismaClient, sessionId: string, reason: string, now = new Date()): Promise<void> {
  await prisma.consoleSession.updateMany({ where: { id: sessionId, endedAt: null }, data: { endedAt: now, endReason: reason } });
}

/** Ends the user's live sessions (all, or all but one); returns how many. */
export async function endUserSessions(prisma: PrismaClient, userId: string, reason: string, except?: string, now = new Date()): Promise<number> {
  const r = await prisma.consoleSession.updateMany({
    where: { userId, endedAt: null, ...(except ? { id: { not: except } } : {}) },
    data: { endedAt: now, endReason: reason },
  });
  return r.count;
}

// ---------------------------------------------------------------------------
// Lockout after repeated failures
// ---------------------------------------------------------------------------

/** Usernames are compared lower-case for the count, so `Sales` and `sales` share it. */
const throttleKey = (username: string) => username.trim().toLowerCase().slice(0, 200);

/** Seconds the username stays locked, or 0. */
export async function lockedFor(prisma: PrismaClient, username: string, now = new Date()): Promise<number> {
  const row = await prisma.signInThrottle.findUnique({ where: { username: throttleKey(username) } });
  if (!row?.lockedUntil || row.lockedUntil.getTime() <= now.getTime()) return 0;
  return Math.ceil((row.lockedUntil.getTime() - now.getTime()) / 1000);
}

/**
 * Counts a failure (one statement, so concurrent failures all count); when
 * the count reaches `maxFailures` the name is locked and the count starts
 * again. Returns the seconds locked (0 when not locked by this failure).
 */
export async function recordFailure(
  prisma: PrismaClient,
  username: string,
  config: Pick<ConsoleConfig, 'loginMaxFailures' | 'loginLockoutMs'>,
  now = new Date(),
): Promise<number> {
  const [row] = await sqlOf(prisma).query<{ failures: number }>(
    `INSERT INTO sign_in_throttle AS t (username, failures, last_failure_at) VALUES ($1, 1, $2::timestamp(3))
     ON CONFLICT (username) DO UPDATE SET failures = t.failures + 1, last_failure_at = EXCLUDED.last_failure_at
     RETURNING failures`,
    [throttleKey(username), now.toISOString()],
  );
  if ((row?.failures ?? 0) < config.loginMaxFailures) return 0;
  const until = new Date(now.getTime() + config.loginLockoutMs);
  await prisma.signInThrottle.update({ where: { username: throttleKey(username) }, data: { failures: 0, lockedUntil: until } });
  return Math.ceil(config.loginLockoutMs / 1000);
}

export async function clearFailures(prisma: PrismaClient, username: string): Promise<void> {
  await prisma.signInThrottle.deleteMany({ where: { username: throttleKey(username) } });
}

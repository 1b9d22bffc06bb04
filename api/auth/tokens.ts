/**
 * Bearer tokens: `so_` + 32 random bytes (base64url). Only the SHA-256 hash
 * is stored (api_tokens.token_hash), so a leaked table holds no usable
 * token; the token itself is shown once, when issued. Tokens expire, can be
 * revoked, and are of kind `user` (a person) or `service` (a machine caller
 * such as the carrier webhook).
 *
 * Used by the auth plugin (verify), the token routes (issue, revoke), the
 * demo script and the tests (issue).
 */
import { createHash, randomBytes } from 'node:crypto';
import { sqlOf, type PrismaClient } from '../../activities/infra/db';
import type { CallerRole } from './roles';

export const TOKEN_PREFIX = 'so_';
export const TOKEN_KINDS = ['user', 'service'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];
export const MAX_TTL_DAYS = 365;
export const DEFAULT_TTL_DAYS = 30;
/** lastUsedAt is written at most this often per token. */
export const LAST_USED_EVERY_MS = 60_000;

/** `so_` and 43 base64url characters (32 bytes). */
const TOKEN_RE = /^so_[A-Za-z0-9_-]{43}$/;
const DAY_MS = 86_400_000;

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');
export const looksLikeToken = (text: string): boolean => TOKEN_RE.test(text);
export const newToken = (): string => `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;

/** The caller of an authenticated request (`request.user`). */
export interface AuthUser {
  id: string;
  username: string;
  role: CallerRole;
  kind: TokenKind;
  /** The bearer token's id; '' for a console session. */
  tokenId: string;
  /** Set when the caller came with the console's session cookie (api/auth/sessions.ts). */
  session?: { id: string; csrfToken: string; idleExpiresAt: Date; expiresAt: Date };
}

export interface IssuedToken {
  id: string;
  /** Shown once; never stored. */
  token: string;
  userId: string;
  username: string;
  name: string;
  kind: TokenKind;
  expiresAt: Date;
  createdAt: Date;
}

export async function issueToken(
  prisma: PrismaClient,
  a: { username: string; name: string; kind?: TokenKind; ttlDays?: number; now?: Date },
): Promise<IssuedToken> {
  const ttlDays = a.ttlDays ?? DEFAULT_TTL_DAYS;
  if (!(ttlDays > 0 && ttlDays <= MAX_TTL_DAYS)) throw new RangeError(`ttlDays must be 1..${MAX_TTL_DAYS}`);
  const user = await prisma.user.findUnique({ where: { username: a.username }, select: { id: true, username: true, active: true } });
  if (!user) throw new TokenError('unknown_user', `user ${a.username} does not exist`);
  if (!user.active) throw new TokenError('inactive_user', `user ${a.username} is not active`);
  const now = a.now ?? new Date();
  const token = newToken();
  const row = await prisma.apiToken.create({
    data: {
      userId: user.id,
      kind: a.kind ?? 'user',
      name: a.name,
      tokenHash: hashToken(token),
      expiresAt: new Date(now.getTime() + ttlDays * DAY_MS),
      createdAt: now,
    },
  });
  return {
    id: row.id,
    token,
    userId: user.id,
    username: user.username,
    name: row.name,
    kind: row.kind as TokenKind,
    expiresAt: row.expiresAt,
    createdAt: row.createdAt,
  };
}

export class TokenError extends Error {
  constructor(
    readonly code: 'unknown_user' | 'inactive_user',
    message: string,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

/**
 * The user behind a token, or null when the token is malformed, unknown,
 * expired, revoked, or its user is inactive (callers must not say which).
 */
export async function verifyToken(prisma: PrismaClient, token: string, now = new Date()): Promise<AuthUser | null> {
  if (!looksLikeToken(token)) return null;
  // Plain SQL (activities/infra/sql.ts): every request runs this. The time
  // tests are made in SQL, where the columns' UTC values are compared as stored.
  const sql = sqlOf(prisma);
  const nowIso = now.toISOString();
  const staleBefore = new Date(now.getTime() - LAST_USED_EVERY_MS).toISOString();
  const [row] = await sql.query<{ id: string; kind: string; usable: boolean; stale: boolean; userId: string; username: string; role: string }>(
    `SELECT t.id, t.kind, u.id AS user_id, u.username, u.role,
            (t.revoked_at IS NULL AND t.expires_at > $2::timestamp(3) AND u.active) AS usable,
            (t.last_used_at IS NULL OR t.last_used_at <= $3::timestamp(3)) AS stale
       FROM api_tokens t JOIN users u ON u.id = t.user_id
      WHERE t.token_hash = $1`,
    [hashToken(token), nowIso, staleBefore],
  );
  if (!row || !row.usable) return null;
  if (row.stale)
    // Conditional, so concurrent requests of one token write it once.
    await sql.execute(`UPDATE api_tokens SET last_used_at = $2::timestamp(3) WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3::timestamp(3))`, [
      row.id,
      nowIso,
      staleBefore,
    ]);
  return {
    id: row.userId,
    username: row.username,
    role: row.role as CallerRole,
    kind: row.kind as TokenKind,
    tokenId: row.id,
  };
}

/** Revokes a token (idempotent: an already revoked one keeps its time). Returns false when there is no such token. */
export async function revokeToken(prisma: PrismaClient, id: string, now = new Date()): Promise<boolean> {
  const found = await prisma.apiToken.findUnique({ where: { id }, select: { id: true } });
  if (!found) return false;
  await prisma.apiToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: now } });
  return true;
}

/** Revokes the user's unrevoked tokens of this name (e.g. the previous demo tokens); returns how many. */
export async function revokeNamed(prisma: PrismaClient, username: string, name: string, now = new Date()): Promise<number> {
  const r = await prisma.apiToken.updateMany({ where: { name, revokedAt: null, user: { username } }, data: { revokedAt: now } });
  return r.count;
}

export type TokenStatus = 'active' | 'expired' | 'revoked';

export function tokenStatus(t: { expiresAt: Date; revokedAt: Date | null }, now = new Date()): TokenStatus {
  if (t.revokedAt) return 'revoked';
  return t.expiresAt.getTime() <= now.getTime() ? 'expired' : 'active';
}

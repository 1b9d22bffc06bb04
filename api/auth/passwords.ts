/**
 * Console passwords: scrypt (node:crypto), a random 16-byte salt per user,
 * and the parameters stored beside the hash (users.password_params), so the
 * cost can be raised later and old hashes still verify with their own.
 * Verification compares in constant time.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { PrismaClient } from '../../activities/infra/db';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  keylen: number;
}

/** OWASP's scrypt minimum (N=2^17 is better on a server; 2^14 keeps sign-in fast on the 2-core build machines). */
export const SCRYPT_PARAMS: ScryptParams = { N: 16384, r: 8, p: 1, keylen: 64 };
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 200;

function scrypt(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) =>
    scryptCb(password.normalize('NFC'), salt, params.keylen, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export interface StoredPassword {
  hash: string;
  salt: string;
  params: ScryptParams;
}

export async function hashPassword(password: string, params: ScryptParams = SCRYPT_PARAMS): Promise<StoredPassword> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, params);
  return { hash: key.toString('base64'), salt: salt.toString('base64'), params };
}

const isParams = (v: unknown): v is ScryptParams =>
  !!v && typeof v === 'object' && ['N', 'r', 'p', 'keylen'].every((k) => Number.isInteger((v as Record<string, unknown>)[k]));

export async function verifyPassword(password: string, stored: { hash: string | null; salt: string | null; params: unknown }): Promise<boolean> {
  if (!stored.hash || !stored.salt || !isParams(stored.params)) return false;
  const expected = Buffer.from(stored.hash, 'base64');
  const key = await scrypt(password, Buffer.from(stored.salt, 'base64'), stored.params);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A password's problem, or null: length only (NIST 800-63B: no composition rules). */
export function passwordProblem(password: string): string | null {
  if (password.length < PASSWORD_MIN) return `a password has at least ${PASSWORD_MIN} characters`;
  if (password.length > PASSWORD_MAX) return `a password has at most ${PASSWORD_MAX} characters`;
  return null;
}

/** Sets a user's password (hash, salt, parameters, time). */
export async function setPassword(prisma: PrismaClient, userId: string, password: string, now = new Date()): Promise<void> {
  const p = await hashPassword(password);
  await prisma.user.update({
    where: { id: userId },
    data: { passwordHash: p.hash, passwordSalt: p.salt, passwordParams: { ...p.params }, passwordChangedAt: now },
  });
}

/** A hash of nothing, verified against when the user is unknown, so an unknown name takes as long as a wrong password. */
let dummy: Promise<StoredPassword> | null = null;
export async function burnTime(password: string): Promise<void> {
  dummy ??= hashPassword('not a password of anyone');
  await verifyPassword(password, await dummy);
}

/**
 * Demo tokens: one bearer token per seeded user (SEED_USERS), valid 7 days,
 * beside each person's console password (prisma/seed.ts demoPasswordOf; set
 * by the seed while the user has none),
 * named `demo`; the user's earlier `demo` tokens are revoked first, so only
 * the newest set works. Prints a table (username, role, token) and writes it
 * to .data/demo-tokens.txt, and as shell variables (TOKEN_SALES, TOKEN_FINANCE, ...)
 * to .data/demo-tokens.env for the README's curl walkthrough (both gitignored,
 * readable by this user only).
 * `npm start` runs it after the database step and shows the table.
 *
 *   npx tsx scripts/demo-tokens.ts [--quiet]   (DATABASE_URL from .env / the environment)
 *
 * For a demo on one machine only: real users get their tokens from an admin
 * (POST /users/:username/tokens).
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadConfig } from '../activities/infra/config';
import { createPrisma, type PrismaClient } from '../activities/infra/db';
import { issueToken, revokeNamed } from '../api/auth/tokens';
import { SEED_USERS, demoPasswordOf } from '../prisma/seed';

export const DEMO_TOKEN_NAME = 'demo';
export const DEMO_TOKEN_DAYS = 7;
export const DEMO_TOKENS_FILE = join(__dirname, '..', '.data', 'demo-tokens.txt');
export const DEMO_TOKENS_ENV = join(__dirname, '..', '.data', 'demo-tokens.env');

export interface DemoToken {
  username: string;
  role: string;
  /** The console password of the demo (service callers have none). */
  password: string | null;
  token: string;
  expiresAt: Date;
}

export async function issueDemoTokens(prisma: PrismaClient, now = new Date()): Promise<DemoToken[]> {
  const out: DemoToken[] = [];
  for (const u of SEED_USERS) {
    const user = await prisma.user.findUnique({ where: { username: u.username }, select: { role: true, active: true } });
    if (!user?.active) continue;
    await revokeNamed(prisma, u.username, DEMO_TOKEN_NAME, now);
    const t = await issueToken(prisma, {
      username: u.username,
      name: DEMO_TOKEN_NAME,
      kind: u.service ? 'service' : 'user',
      ttlDays: DEMO_TOKEN_DAYS,
      now,
    });
    out.push({ username: u.username, role: user.role, password: u.service ? null : demoPasswordOf(u.username), token: t.token, expiresAt: t.expiresAt });
  }
  return out;
}

/** `export TOKEN_SALES_MANAGER=so_...` lines, for `source .data/demo-tokens.env`. */
export function formatEnv(tokens: DemoToken[]): string {
  return tokens.map((t) => `export TOKEN_${t.username.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}=${t.token}`).join('\n');
}

export function formatTable(tokens: DemoToken[]): string {
  const w1 = Math.max(8, ...tokens.map((t) => t.username.length));
  const w2 = Math.max(4, ...tokens.map((t) => t.role.length));
  const w3 = Math.max(16, ...tokens.map((t) => (t.password ?? '-').length));
  const row = (a: string, b: string, c: string, d: string) => `${a.padEnd(w1)}  ${b.padEnd(w2)}  ${c.padEnd(w3)}  ${d}`;
  const expires = tokens[0]?.expiresAt.toISOString().slice(0, 16).replace('T', ' ') ?? '-';
  return [
    row('username', 'role', 'console password', `token (valid until ${expires} UTC; send as Authorization: Bearer <token>)`),
    ...tokens.map((t) => row(t.username, t.role, t.password ?? '-', t.token)),
  ].join('\n');
}

async function main(): Promise<void> {
  const quiet = process.argv.includes('--quiet');
  const prisma = createPrisma(loadConfig().databaseUrl);
  try {
    const tokens = await issueDemoTokens(prisma);
    const table = formatTable(tokens);
    mkdirSync(dirname(DEMO_TOKENS_FILE), { recursive: true });
    writeFileSync(DEMO_TOKENS_FILE, `${table}\n`, { mode: 0o600 });
    chmodSync(DEMO_TOKENS_FILE, 0o600);
    writeFileSync(DEMO_TOKENS_ENV, `${formatEnv(tokens)}\n`, { mode: 0o600 });
    chmodSync(DEMO_TOKENS_ENV, 0o600);
    if (!quiet) process.stdout.write(`${table}\n`);
  } finally {
    await prisma.$disconnect();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`demo-tokens failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}

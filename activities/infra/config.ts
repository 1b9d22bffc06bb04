/**
 * Runtime configuration shared by the worker, the API and the scripts.
 *
 * Every key has a default that works on one machine with no set-up (see
 * `.env.example`); `loadConfig` validates all of them at once and throws one
 * Error naming every bad key and what it expects, so a misconfigured process
 * stops at boot instead of failing on its first request.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { TASK_QUEUE } from '../../workflows/order/contract';
import { DEFAULT_POLICY, resolvePolicy, type Policy } from '../../workflows/domain/policy';
import { isDuration, parseDuration } from '../../workflows/domain/duration';
import { keyId, parseCodecKey } from './codec';
import { DEFAULT_COMPANY, companyProblems, resolveCompany, type CompanyProfile } from '../documents/company';

export interface Config {
  /** PostgreSQL connection string (the Prisma pg adapter connects with it). */
  databaseUrl: string;
  /** Temporal frontend gRPC address, `host:port`. */
  temporalAddress: string;
  temporalNamespace: string;
  temporalTaskQueue: string;
  /** Base URL of the Temporal Web UI (links in the API and banner). */
  temporalUiUrl: string;
  /** `smtp://[user:pass@]host:port` or `smtps://...`. */
  smtpUrl: string;
  /** From header of every email, e.g. `"Sales Orders <orders@example.com>"`. */
  mailFrom: string;
  /** API listen address. */
  host: string;
  port: number;
  /** HTTP port of the local mail catcher's inbox (scripts/mail-catcher.ts). */
  mailCatcherHttpPort: number;
  /** Absolute path of the policy overrides file, when POLICY_FILE is set. */
  policyFile?: string;
  /** DEFAULT_POLICY with POLICY_FILE's overrides laid over it. */
  policy: Policy;
  /** Payload encryption keys: the first encrypts, all decrypt (rotation). */
  payloadCodecKeys: Buffer[];
  /** API rate limit: requests per caller (token, else IP address) per window. */
  rateLimitMax: number;
  rateLimitWindowMs: number;
  /** Workflows the worker keeps in memory between tasks (sticky cache); the rest replay from history when they wake. */
  workerCachedWorkflows: number;
  /** The outbox dispatcher (activities/email/dispatcher.ts). */
  mail: MailDispatchConfig;
  /** How often the worker's reconciler looks for orders without a workflow (worker/reconciler.ts). */
  reconcileIntervalMs: number;
  /** The company on the documents: DEFAULT_COMPANY with COMPANY_FILE's keys over it. */
  company: CompanyProfile;
  companyFile?: string;
  /** The approvers' console (issue 11): sessions, sign-in lockout, links and the web app's files. */
  console: ConsoleConfig;
}

export interface ConsoleConfig {
  /** A session ends after this long without a request. */
  sessionIdleMs: number;
  /** A session ends this long after sign-in, whatever the activity. */
  sessionMaxMs: number;
  /** Failed sign-ins in a row for one username before it is locked out. */
  loginMaxFailures: number;
  loginLockoutMs: number;
  /** Base URL people open the console at (links in staff emails), without a trailing slash. */
  publicUrl: string;
  /** IANA time zone the console shows times in. */
  timeZone: string;
  /** The built web app (served at /app). */
  webDist: string;
}

export interface MailDispatchConfig {
  /** The outbox queue this process's activities write to and its dispatcher sends. */
  queue: string;
  /** Whether the worker process runs a dispatcher (off when `npm run mail:dispatch` runs elsewhere). */
  dispatchInWorker: boolean;
  /** Mails sent at the same time by one dispatcher. */
  concurrency: number;
  /** Backoff after a transient failure: retryMinMs, doubling per attempt, at most retryMaxMs. */
  retryMinMs: number;
  retryMaxMs: number;
  /** Attempts before a mail that keeps failing transiently is marked failed (and alerted). */
  maxAttempts: number;
  /** How long a claimed row is reserved for its sender; past it (the sender died mid-send) it is sent again. */
  leaseMs: number;
  /** Poll for due rows this often besides the LISTEN/NOTIFY wake-up. */
  pollMs: number;
}

/** Every key with its default; `.env.example` mirrors this table. */
export const CONFIG_DEFAULTS = {
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/salesorder',
  TEMPORAL_ADDRESS: '127.0.0.1:7233',
  TEMPORAL_NAMESPACE: 'default',
  TEMPORAL_TASK_QUEUE: TASK_QUEUE,
  TEMPORAL_UI_URL: 'http://127.0.0.1:8233',
  SMTP_URL: 'smtp://127.0.0.1:1025',
  MAIL_FROM: 'Sales Orders <orders@example.com>',
  HOST: '127.0.0.1',
  PORT: '3000',
  MAIL_CATCHER_HTTP_PORT: '8025',
  POLICY_FILE: '',
  /** Secret, no default: base64 of 32 random bytes. scripts/start.sh writes one into .env on first run. */
  PAYLOAD_CODEC_KEY: '',
  /** Earlier keys, comma-separated, kept so old histories still decode after a rotation. */
  PAYLOAD_CODEC_OLD_KEYS: '',
  /** API requests one caller (bearer token, else IP address) may make per RATE_LIMIT_WINDOW. */
  RATE_LIMIT_MAX: '600',
  /** A duration: 90s, 1m, 1h. */
  RATE_LIMIT_WINDOW: '1m',
  /**
   * The worker's sticky cache of workflows. The SDK's default (derived from
   * the memory size) let 10,000 waiting orders take 1.5 GiB here; a workflow
   * evicted from the cache replays its (short) history when it next wakes.
   */
  WORKER_CACHED_WORKFLOWS: '500',
  /** The outbox queue (a name): dispatchers send only their queue's mails, so separate deployments may share a database. */
  MAIL_QUEUE: 'default',
  /** true: the worker process also sends the outbox; false when `npm run mail:dispatch` runs on its own. */
  MAIL_DISPATCH_IN_WORKER: 'true',
  /** Mails one dispatcher sends at the same time (the SMTP pool has 3 connections). */
  MAIL_DISPATCH_CONCURRENCY: '3',
  /** Backoff after a transient SMTP failure (a duration), doubling per attempt up to MAIL_RETRY_MAX. */
  MAIL_RETRY_MIN: '5s',
  MAIL_RETRY_MAX: '10m',
  /** Attempts before a mail that keeps failing transiently is marked failed and alerted (50 at the defaults: about 7 hours). */
  MAIL_MAX_ATTEMPTS: '50',
  /** A claimed mail whose sender died is sent again after this (a duration longer than any SMTP timeout). */
  MAIL_SEND_LEASE: '2m',
  /** Poll for due mails this often, besides the wake-up on every new mail. */
  MAIL_POLL_INTERVAL: '1s',
  /** A duration: how often the worker looks for saved orders whose workflow was never started (worker/reconciler.ts). */
  RECONCILE_INTERVAL: '1m',
  /** JSON file of the company on the documents (name, address, bank, contract terms); unset: a placeholder company. */
  COMPANY_FILE: '',
  /** Console sessions: idle and absolute expiry (durations). */
  SESSION_IDLE_TIMEOUT: '30m',
  SESSION_MAX_AGE: '12h',
  /** Failed sign-ins in a row for one username before it is locked out for LOGIN_LOCKOUT. */
  LOGIN_MAX_FAILURES: '5',
  LOGIN_LOCKOUT: '15m',
  /** Base URL of the console for links in staff emails; unset: http://127.0.0.1:<PORT>. */
  PUBLIC_URL: '',
  /** The time zone the console shows times in. */
  CONSOLE_TIME_ZONE: 'Asia/Shanghai',
  /** The built web app served at /app; unset: <repository>/web/dist. */
  WEB_DIST: '',
} as const;

export type ConfigKey = keyof typeof CONFIG_DEFAULTS;

type Env = Record<string, string | undefined>;

/** The repository's `.env` (gitignored; scripts/start.sh writes the codec key into it). ENV_FILE names another. */
export const DOTENV_FILE = resolve(__dirname, '..', '..', '.env');

/**
 * `KEY=VALUE` lines of a .env file: blank lines and `#` comments skipped, an
 * optional `export ` prefix, values optionally in single or double quotes
 * (double quotes understand \n), an unquoted value ends at ` #`.
 */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(raw);
    if (!m) continue;
    let v = m[2];
    const q = v[0];
    if ((q === '"' || q === "'") && v.length >= 2 && v.endsWith(q)) {
      v = v.slice(1, -1);
      if (q === '"') v = v.replace(/\\n/g, '\n').replace(/\\"/g, '"');
    } else {
      v = v.replace(/\s+#.*$/, '');
    }
    out[m[1]] = v;
  }
  return out;
}

/**
 * The process environment with the .env file's keys added where the
 * environment has none: a real environment variable always wins. So `npm run
 * api` or `npm run worker` started alone read the same settings as `npm
 * start`, which sources .env itself. Missing file: the environment as it is.
 */
export function withDotEnv(env: NodeJS.ProcessEnv = process.env, file = env.ENV_FILE || DOTENV_FILE): NodeJS.ProcessEnv {
  if (!existsSync(file)) return env;
  for (const [k, v] of Object.entries(parseDotEnv(readFileSync(file, 'utf8')))) if (env[k] === undefined) env[k] = v;
  return env;
}

/** Reads, defaults and validates the configuration (by default from the environment and .env); throws listing every problem. */
export function loadConfig(env: Env = withDotEnv()): Config {
  const problems: string[] = [];
  const get = (key: ConfigKey): string => {
    const v = env[key];
    return v === undefined || v.trim() === '' ? CONFIG_DEFAULTS[key] : v.trim();
  };

  const url = (key: ConfigKey, protocols: string[]): string => {
    const value = get(key);
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      problems.push(`${key}: "${value}" is not a URL; expected e.g. ${CONFIG_DEFAULTS[key]}`);
      return value;
    }
    if (!protocols.includes(parsed.protocol)) {
      problems.push(`${key}: "${value}" must use ${protocols.map((p) => `${p}//`).join(' or ')}`);
    } else if (!parsed.hostname) {
      problems.push(`${key}: "${value}" has no host`);
    } else if (parsed.port !== '' && !validPort(parsed.port)) {
      problems.push(`${key}: "${value}" has a bad port; expected an integer 1-65535`);
    }
    return value;
  };

  const port = (key: ConfigKey): number => {
    const value = get(key);
    if (!validPort(value)) {
      problems.push(`${key}: "${value}" is not a port; expected an integer 1-65535`);
      return Number(CONFIG_DEFAULTS[key]);
    }
    return Number(value);
  };

  /** A whole number >= 1 of `what`, e.g. `example`. */
  const count = (key: ConfigKey, what: string, example: number): number => {
    const text = get(key);
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n) || n < 1) problems.push(`${key}: "${text}" is not valid; expected a whole number of ${what} >= 1, e.g. ${example}`);
    return n;
  };

  const nonEmpty = (key: ConfigKey, what: string, re = /\S/): string => {
    const value = get(key);
    if (!re.test(value)) problems.push(`${key}: "${value}" is not valid; expected ${what}`);
    return value;
  };

  const databaseUrl = url('DATABASE_URL', ['postgresql:', 'postgres:']);
  if (!problems.some((p) => p.startsWith('DATABASE_URL'))) {
    const dbName = new URL(databaseUrl).pathname.replace(/^\//, '');
    if (!dbName) problems.push(`DATABASE_URL: "${databaseUrl}" names no database; expected .../<database>`);
  }

  const temporalAddress = get('TEMPORAL_ADDRESS');
  {
    const m = /^([^\s:/]+|\[[0-9a-fA-F:]+\]):(\d+)$/.exec(temporalAddress);
    if (!m || !validPort(m[2]))
      problems.push(`TEMPORAL_ADDRESS: "${temporalAddress}" is not valid; expected host:port with a port 1-65535, e.g. 127.0.0.1:7233`);
  }
  const temporalNamespace = nonEmpty('TEMPORAL_NAMESPACE', 'a namespace name (letters, digits, . _ -)', /^[A-Za-z0-9][A-Za-z0-9._-]*$/);
  const temporalTaskQueue = nonEmpty('TEMPORAL_TASK_QUEUE', 'a task queue name without spaces', /^\S+$/);
  const temporalUiUrl = url('TEMPORAL_UI_URL', ['http:', 'https:']);
  const smtpUrl = url('SMTP_URL', ['smtp:', 'smtps:']);
  const mailFrom = nonEmpty('MAIL_FROM', 'an address like "Sales Orders <orders@example.com>"', /[^\s@<>]+@[^\s@<>]+/);
  const host = nonEmpty('HOST', 'a host name or IP address to listen on, e.g. 127.0.0.1 or 0.0.0.0', /^\S+$/);
  const apiPort = port('PORT');
  const mailCatcherHttpPort = port('MAIL_CATCHER_HTTP_PORT');

  let policy: Policy = DEFAULT_POLICY;
  let policyFile: string | undefined;
  const policyPath = get('POLICY_FILE');
  if (policyPath) {
    policyFile = resolve(policyPath);
    if (!existsSync(policyFile) || !statSync(policyFile).isFile()) {
      problems.push(`POLICY_FILE: "${policyPath}" does not exist; expected the path of a JSON file of policy overrides`);
    } else {
      let overrides: unknown;
      let parsed = false;
      try {
        overrides = JSON.parse(readFileSync(policyFile, 'utf8'));
        parsed = true;
      } catch (err) {
        problems.push(`POLICY_FILE: "${policyPath}" is not valid JSON (${(err as Error).message})`);
      }
      if (parsed) {
        if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
          problems.push(`POLICY_FILE: "${policyPath}" must hold a JSON object of policy overrides`);
        } else {
          try {
            policy = resolvePolicy(overrides);
          } catch (err) {
            const lines = (err as Error).message.split('\n').slice(1).map((l) => l.trim()).filter(Boolean);
            for (const l of lines) problems.push(`POLICY_FILE: ${l}`);
          }
        }
      }
    }
  }

  const payloadCodecKeys: Buffer[] = [];
  const currentKey = get('PAYLOAD_CODEC_KEY');
  if (!currentKey) {
    problems.push('PAYLOAD_CODEC_KEY: missing; expected base64 of 32 random bytes (make one with `openssl rand -base64 32`; `npm start` writes one into .env on first run)');
  } else {
    for (const [i, k] of [currentKey, ...get('PAYLOAD_CODEC_OLD_KEYS').split(',').map((x) => x.trim()).filter(Boolean)].entries()) {
      try {
        payloadCodecKeys.push(parseCodecKey(k));
      } catch {
        problems.push(`${i === 0 ? 'PAYLOAD_CODEC_KEY' : 'PAYLOAD_CODEC_OLD_KEYS'}: not base64 of exactly 32 bytes (make one with \`openssl rand -base64 32\`)`);
      }
    }
  }

  const rateLimitMax = count('RATE_LIMIT_MAX', 'requests', 600);
  const rateLimitWindowText = get('RATE_LIMIT_WINDOW');
  const rateLimitWindowMs = isDuration(rateLimitWindowText) ? parseDuration(rateLimitWindowText) : NaN;
  if (!(rateLimitWindowMs >= 1000))
    problems.push(`RATE_LIMIT_WINDOW: "${rateLimitWindowText}" is not valid; expected a duration of at least 1s, e.g. 1m or 90s`);

  const workerCachedWorkflows = count('WORKER_CACHED_WORKFLOWS', 'workflows', 500);

  /** A duration of at least `minMs`, e.g. `example`. */
  const duration = (key: ConfigKey, minMs: number, example: string): number => {
    const text = get(key);
    const ms = isDuration(text) ? parseDuration(text) : NaN;
    if (!(ms >= minMs)) problems.push(`${key}: "${text}" is not valid; expected a duration of at least ${minMs} ms, e.g. ${example}`);
    return ms;
  };
  const dispatchInWorkerText = get('MAIL_DISPATCH_IN_WORKER').toLowerCase();
  if (!['true', 'false'].includes(dispatchInWorkerText)) problems.push(`MAIL_DISPATCH_IN_WORKER: "${dispatchInWorkerText}" is not valid; expected true or false`);
  const mail: MailDispatchConfig = {
    queue: nonEmpty('MAIL_QUEUE', 'a queue name without spaces', /^\S+$/),
    dispatchInWorker: dispatchInWorkerText !== 'false',
    concurrency: count('MAIL_DISPATCH_CONCURRENCY', 'mails', 3),
    retryMinMs: duration('MAIL_RETRY_MIN', 10, '5s'),
    retryMaxMs: duration('MAIL_RETRY_MAX', 10, '10m'),
    maxAttempts: count('MAIL_MAX_ATTEMPTS', 'attempts', 50),
    leaseMs: duration('MAIL_SEND_LEASE', 1000, '2m'),
    pollMs: duration('MAIL_POLL_INTERVAL', 10, '1s'),
  };
  if (mail.retryMaxMs < mail.retryMinMs) problems.push(`MAIL_RETRY_MAX: must not be shorter than MAIL_RETRY_MIN`);
  const reconcileIntervalMs = duration('RECONCILE_INTERVAL', 1000, '1m');
  let company: CompanyProfile = DEFAULT_COMPANY;
  let companyFile: string | undefined;
  if (get('COMPANY_FILE')) {
    companyFile = resolve(get('COMPANY_FILE'));
    try {
      const over: unknown = JSON.parse(readFileSync(companyFile, 'utf8'));
      const bad = companyProblems(over);
      for (const b of bad) problems.push(`COMPANY_FILE: ${b}`);
      if (bad.length === 0) company = resolveCompany(over as Partial<CompanyProfile>);
    } catch (err) {
      problems.push(`COMPANY_FILE: "${get('COMPANY_FILE')}" is not a readable JSON file (${(err as Error).message})`);
    }
  }

  const sessionIdleMs = duration('SESSION_IDLE_TIMEOUT', 1000, '30m');
  const sessionMaxMs = duration('SESSION_MAX_AGE', 1000, '12h');
  const loginMaxFailures = count('LOGIN_MAX_FAILURES', 'failures', 5);
  const loginLockoutMs = duration('LOGIN_LOCKOUT', 1000, '15m');
  let publicUrl = `http://127.0.0.1:${apiPort}`;
  if (get('PUBLIC_URL')) publicUrl = url('PUBLIC_URL', ['http:', 'https:']).replace(/\/+$/, '');
  const timeZone = get('CONSOLE_TIME_ZONE');
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    problems.push(`CONSOLE_TIME_ZONE: "${timeZone}" is not a time zone; expected an IANA name such as Asia/Shanghai`);
  }
  const webDist = resolve(get('WEB_DIST') || resolve(__dirname, '..', '..', 'web', 'dist'));

  if (problems.length) throw new Error(`invalid configuration:\n  ${problems.join('\n  ')}`);

  return {
    databaseUrl,
    temporalAddress,
    temporalNamespace,
    temporalTaskQueue,
    temporalUiUrl: temporalUiUrl.replace(/\/+$/, ''),
    smtpUrl,
    mailFrom,
    host,
    port: apiPort,
    mailCatcherHttpPort,
    policyFile,
    policy,
    payloadCodecKeys,
    rateLimitMax,
    rateLimitWindowMs,
    workerCachedWorkflows,
    mail,
    reconcileIntervalMs,
    company,
    companyFile,
    console: { sessionIdleMs, sessionMaxMs, loginMaxFailures, loginLockoutMs, publicUrl, timeZone, webDist },
  };
}

function validPort(text: string): boolean {
  if (!/^\d+$/.test(text)) return false;
  const n = Number(text);
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

/** The configuration with secrets (URL passwords) masked, for start-up banners and logs. */
export function describeConfig(c: Config): Record<string, string | number> {
  return {
    DATABASE_URL: maskUrl(c.databaseUrl),
    TEMPORAL_ADDRESS: c.temporalAddress,
    TEMPORAL_NAMESPACE: c.temporalNamespace,
    TEMPORAL_TASK_QUEUE: c.temporalTaskQueue,
    TEMPORAL_UI_URL: c.temporalUiUrl,
    SMTP_URL: maskUrl(c.smtpUrl),
    MAIL_FROM: c.mailFrom,
    HOST: c.host,
    PORT: c.port,
    MAIL_CATCHER_HTTP_PORT: c.mailCatcherHttpPort,
    POLICY_FILE: c.policyFile ?? '(built-in defaults)',
    RATE_LIMIT_MAX: c.rateLimitMax,
    RATE_LIMIT_WINDOW: `${c.rateLimitWindowMs / 1000}s`,
    WORKER_CACHED_WORKFLOWS: c.workerCachedWorkflows,
    MAIL_QUEUE: c.mail.queue,
    MAIL_DISPATCH_IN_WORKER: String(c.mail.dispatchInWorker),
    MAIL_DISPATCH_CONCURRENCY: c.mail.concurrency,
    MAIL_RETRY: `${c.mail.retryMinMs / 1000}s..${c.mail.retryMaxMs / 1000}s x ${c.mail.maxAttempts}`,
    MAIL_SEND_LEASE: `${c.mail.leaseMs / 1000}s`,
    MAIL_POLL_INTERVAL: `${c.mail.pollMs / 1000}s`,
    RECONCILE_INTERVAL: `${c.reconcileIntervalMs / 1000}s`,
    COMPANY_FILE: c.companyFile ?? '(placeholder company)',
    PUBLIC_URL: c.console.publicUrl,
    SESSION: `idle ${c.console.sessionIdleMs / 1000}s, at most ${c.console.sessionMaxMs / 1000}s`,
    LOGIN_LOCKOUT: `${c.console.loginMaxFailures} failures -> ${c.console.loginLockoutMs / 1000}s`,
    CONSOLE_TIME_ZONE: c.console.timeZone,
    PAYLOAD_CODEC_KEY: `set (key id ${keyId(c.payloadCodecKeys[0])}${c.payloadCodecKeys.length > 1 ? `, +${c.payloadCodecKeys.length - 1} old` : ''})`,
  };
}

function maskUrl(u: string): string {
  try {
    const parsed = new URL(u);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return u;
  }
}

/**
 * docker-compose.yml cannot be run here (no Docker engine), so it is checked
 * statically: against the Compose specification's JSON schema (a vendored
 * copy, see README.md beside this file), and every service's environment
 * against what reads it: the app's configuration keys (activities/infra/config.ts)
 * for the app's services, the deploy/ files for Temporal's.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { CONFIG_DEFAULTS, loadConfig } from '../../activities/infra/config';
import { SA } from '../../workflows/order/contract';

const ROOT = resolve(__dirname, '../..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

type Service = {
  image?: string;
  build?: unknown;
  environment?: Record<string, string | number | boolean | null>;
  volumes?: string[];
  healthcheck?: unknown;
  deploy?: { replicas?: number };
  restart?: string;
};
type ComposeFile = { services: Record<string, Service> };

// YAML merge keys (<<: *app) resolved, as docker compose does before validating.
const loadCompose = (text: string): ComposeFile => parse(text, { merge: true });
const compose = loadCompose(read('docker-compose.yml'));

function validator() {
  const schema = JSON.parse(read('test/deploy/compose-spec.json'));
  // The schema names its draft by an https URL Ajv does not know; it is draft-07, Ajv's default.
  delete schema.$schema;
  return new Ajv({ allErrors: true, strict: false }).compile(schema);
}

describe('docker-compose.yml', () => {
  const validate = validator();

  test('is valid against the Compose specification', () => {
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  test('the schema check rejects a malformed file (so the check above can fail)', () => {
    const broken = loadCompose(read('docker-compose.yml'));
    // A misspelt key and a condition compose does not know.
    (broken.services.worker as Record<string, unknown>).replica = 2;
    (broken.services.api as Record<string, unknown>).depends_on = { migrate: { condition: 'service_finished' } };
    expect(validate(broken)).toBe(false);
    const found = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.params.additionalProperty ?? ''}`.trim());
    expect(found).toEqual(expect.arrayContaining(['/services/worker replica', '/services/api/depends_on/migrate/condition']));
  });

  const appServices = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);

  test('the app runs as migrate, two workers and two APIs from one image', () => {
    expect(appServices.map(([n]) => n).sort()).toEqual(['api', 'migrate', 'worker']);
    expect(compose.services.worker.deploy?.replicas).toBe(2);
    expect(compose.services.api.deploy?.replicas).toBe(2);
  });

  test.each(appServices.map(([n, s]) => [n, s] as const))('%s: every environment key is an app configuration key, and the values load', (_name, service) => {
    const env = Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, String(v ?? '')]));
    const unknown = Object.keys(env).filter((k) => !(k in CONFIG_DEFAULTS));
    expect(unknown).toEqual([]);
    // The secret comes from the shell (${PAYLOAD_CODEC_KEY:?...}); a real key stands in for it here.
    expect(env.PAYLOAD_CODEC_KEY).toMatch(/^\$\{PAYLOAD_CODEC_KEY:\?/);
    const config = loadConfig({ ...env, PAYLOAD_CODEC_KEY: Buffer.alloc(32, 7).toString('base64'), PAYLOAD_CODEC_OLD_KEYS: '' });
    expect(config.temporalAddress).toBe('temporal:7233');
    expect(new URL(config.databaseUrl).hostname).toBe('postgres');
  });

  // What each Temporal service runs reads these environment variables.
  const templateKeys = (file: string) => new Set([...read(file).matchAll(/env "([A-Z0-9_]+)"/g)].map((m) => m[1]));
  const shellKeys = (file: string) => new Set([...read(file).matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]));
  const readers: Record<string, Set<string>> = {
    'temporal-schema': shellKeys('deploy/temporal/setup-schema.sh'),
    temporal: templateKeys('deploy/temporal/sales-orders.yaml'),
    'temporal-namespace': shellKeys('deploy/temporal/setup-namespace.sh'),
    'temporal-ui': templateKeys('deploy/temporal-ui/sales-orders.yaml'),
  };

  test.each(Object.keys(readers))('%s: every environment key is read by its deploy/ file', (name) => {
    const service = compose.services[name];
    expect(service).toBeDefined();
    const keys = Object.keys(service.environment ?? {});
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((k) => !readers[name].has(k))).toEqual([]);
    // ...and the deploy/ files it reads are the mounted ones.
    expect((service.volumes ?? []).some((v) => v.startsWith('./deploy/'))).toBe(true);
  });

  test('Temporal images are the versions scripts/cluster.sh builds natively', () => {
    const script = read('scripts/cluster.sh');
    const server = /SERVER_VERSION="v([\d.]+)"/.exec(script)![1];
    const ui = /UI_VERSION="v([\d.]+)"/.exec(script)![1];
    expect(compose.services.temporal.image).toBe(`temporalio/server:${server}`);
    expect(compose.services['temporal-schema'].image).toMatch(new RegExp(`^temporalio/admin-tools:${server.replace(/\./g, '\\.')}(-|$)`));
    expect(compose.services['temporal-namespace'].image).toBe(compose.services['temporal-schema'].image);
    expect(compose.services['temporal-ui'].image).toBe(`temporalio/ui:${ui}`);
    expect(Object.values(compose.services).some((s) => s.image?.startsWith('temporalio/auto-setup'))).toBe(false);
  });

  test('every long-running service has a health check; the UI decodes through the API', () => {
    const longRunning = Object.entries(compose.services).filter(([, s]) => s.restart !== 'no');
    expect(longRunning.filter(([, s]) => !s.healthcheck).map(([n]) => n)).toEqual([]);
    expect(compose.services['temporal-ui'].environment?.TEMPORAL_CODEC_ENDPOINT).toBe('http://localhost:3000/codec');
  });
});

test('deploy/temporal/setup-namespace.sh creates exactly the contract\'s search attributes', () => {
  const list = /SEARCH_ATTRIBUTES="([^"]*)"/.exec(read('deploy/temporal/setup-namespace.sh'))![1].split(/\s+/).sort();
  const typeName = (t: string) => ({ KEYWORD: 'Keyword', DOUBLE: 'Double', INT: 'Int', BOOL: 'Bool', DATETIME: 'Datetime', TEXT: 'Text', KEYWORD_LIST: 'KeywordList' })[t];
  const expected = Object.values(SA).map((k) => `${k.name}=${typeName(k.type)}`).sort();
  expect(list).toEqual(expected);
});

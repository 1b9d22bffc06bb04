/**
 * Runs the API: configuration, one Prisma client, one Temporal connection
 * (lazy and fail-fast: the API starts while Temporal is down, answers 503
 * within seconds and /health says not ready; activities/infra/temporal.ts),
 * the app from app.ts, listen; on SIGINT/SIGTERM stop taking requests, let
 * the running ones finish, then close Temporal and the database.
 */
import { describeConfig, loadConfig } from '../activities/infra/config';
import { createTemporalClient } from '../activities/infra/temporal';
import { createPrisma } from '../activities/infra/db';
import { buildApp } from './app';

async function main(): Promise<void> {
  const config = loadConfig();
  const prisma = createPrisma(config.databaseUrl);
  const { client: temporal, connection } = createTemporalClient(config);
  const app = await buildApp({ config, prisma, temporal, logger: { level: process.env.LOG_LEVEL ?? 'info' } });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      app.log.error('shutdown took too long; exiting');
      process.exit(1);
    }, 15_000);
    force.unref();
    try {
      await app.close();
      await connection.close();
      await prisma.$disconnect();
      process.exit(0);
    } catch (err) {
      app.log.error({ err }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    app.log.error({ err }, 'cannot listen');
    await connection.close().catch(() => undefined);
    await prisma.$disconnect().catch(() => undefined);
    process.exit(1);
  }

  const base = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  const lines = [
    `Sales order API listening on ${base}`,
    `  API docs:          ${base}/docs`,
    `  health:            ${base}/health`,
    `  Temporal Web UI:   ${config.temporalUiUrl}/namespaces/${config.temporalNamespace}/workflows`,
    '  configuration:',
    ...Object.entries(describeConfig(config)).map(([k, v]) => `    ${k}=${v}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`api failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

/**
 * Readiness: the database and Temporal both answer.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';

const CHECK_TIMEOUT_MS = 3_000;

const Status = Type.Enum(['ok', 'error']);
const Health = Type.Object({ status: Status, database: Status, temporal: Status });

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health',
    {
      schema: {
        summary: 'Database and Temporal reachable',
        tags: ['health'],
        response: { 200: Health, 503: Health },
      },
    },
    async (request, reply) => {
      const [database, temporal] = await Promise.all([
        withTimeout(app.prisma.$queryRaw`SELECT 1`, CHECK_TIMEOUT_MS).then(
          () => 'ok' as const,
          (err: unknown) => {
            request.log.warn({ err }, 'health: database check failed');
            return 'error' as const;
          },
        ),
        app.temporal.connection
          .withDeadline(Date.now() + CHECK_TIMEOUT_MS, () => app.temporal.connection.workflowService.getSystemInfo({}))
          .then(
            () => 'ok' as const,
            (err: unknown) => {
              request.log.warn({ err }, 'health: temporal check failed');
              return 'error' as const;
            },
          ),
      ]);
      const ok = database === 'ok' && temporal === 'ok';
      return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'error', database, temporal });
    },
  );
};

export default health;

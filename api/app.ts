/**
 * The HTTP API as an app factory: tests build the same app with the same
 * options and call `app.inject`; `server.ts` only listens.
 *
 * Order of registration: the shared resources (Prisma, Temporal client,
 * configuration; created once by the caller, who also closes them), then
 * security headers, the rate limit (per caller: bearer token, else address)
 * and authentication/authorization/audit (api/auth/plugin.ts, which attaches
 * itself to every route registered after it and refuses a route missing from
 * the role table), then OpenAPI, then the routes. One error handler shapes
 * every error (api/errors.ts).
 */
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Client } from '@temporalio/client';
import type { Config } from '../activities/infra/config';
import type { PrismaClient } from '../activities/infra/db';
import authPlugin, { cookieValue } from './auth/plugin';
import { SESSION_COOKIE } from './auth/sessions';
import { hashToken } from './auth/tokens';
import { HttpError, errorHandler, notFoundHandler } from './errors';
import audit from './routes/audit';
import auth from './routes/auth';
import catalog from './routes/catalog';
import changes from './routes/changes';
import codec from './routes/codec';
import consoleRoutes from './routes/console';
import session from './routes/session';
import work from './routes/work';
import creditHold from './routes/credit-hold';
import customer from './routes/customer';
import health from './routes/health';
import holds from './routes/holds';
import exceptions from './routes/exceptions';
import kpis from './routes/kpis';
import documents from './routes/documents';
import analysis from './routes/analysis';
import contract from './routes/contract';
import logistics from './routes/logistics';
import orders from './routes/orders';
import payments from './routes/payments';
import production from './routes/production';
import refunds from './routes/refunds';
import reviews from './routes/reviews';
import risks from './routes/risks';
import tasks from './routes/tasks';

declare module 'fastify' {
  interface FastifyInstance {
    prisma: PrismaClient;
    temporal: Client;
    config: Config;
  }
}

export interface AppOptions {
  config: Config;
  prisma: PrismaClient;
  temporal: Client;
  /** Fastify logger options; off by default (tests). */
  logger?: boolean | object;
}

export const BODY_LIMIT = 1024 * 1024;

/** Rate-limit key: the caller's token (hashed), else their console session (hashed), else their address. */
function callerKey(request: FastifyRequest): string {
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  if (m) return `token:${hashToken(m[1])}`;
  const session = cookieValue(request, SESSION_COOKIE);
  return session ? `session:${hashToken(session)}` : `ip:${request.ip}`;
}

const tooMany = (after: string) => new HttpError(429, `Too many requests; retry in ${after}`);

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: BODY_LIMIT,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // TypeBox validation: converts querystring/params/headers to their types, never the body.
  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);

  app.decorate('prisma', opts.prisma);
  app.decorate('temporal', opts.temporal);
  app.decorate('config', opts.config);

  await app.register(helmet, { global: true });
  const window = { max: opts.config.rateLimitMax, timeWindow: opts.config.rateLimitWindowMs };
  await app.register(rateLimit, {
    global: true,
    ...window,
    keyGenerator: callerKey,
    errorResponseBuilder: (_request, context) => tooMany(context.after),
  });
  // Tokens that do not verify also count against the caller's address, so guessing is limited too.
  const failures = app.createRateLimit({ ...window, keyGenerator: (request) => `auth-failure:${request.ip}` });
  await app.register(authPlugin, {
    onAuthFailure: async (request) => {
      const r = await failures(request);
      if (!r.isAllowed && r.isExceeded) throw tooMany(`${r.ttlInSeconds} seconds`);
    },
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Sales order API',
        description:
          'Orders from intake to payment. Each order is a Temporal workflow; lists read the database. ' +
          'Errors are `{ error, message, field? }`. Every route but /health, /docs and the console’s public ones needs `Authorization: Bearer <token>` ' +
          'or the console’s session cookie with X-CSRF-Token on writes (docs/CONSOLE-API.md); ' +
          'each route lists the roles allowed (docs/ROLES.md).',
        version: '0.1.0',
      },
      tags: [
        { name: 'orders' },
        { name: 'reviews' },
        { name: 'production' },
        { name: 'logistics' },
        { name: 'finance' },
        { name: 'customer' },
        { name: 'tasks' },
        { name: 'risks' },
        { name: 'audit' },
        { name: 'kpis' },
        { name: 'auth' },
        { name: 'codec', description: 'The Temporal Web UI’s remote payload codec (decrypts workflow payloads for authorized ops)' },
        { name: 'health' },
      ],
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'so_… token issued by an admin' } },
      },
      security: [{ bearerAuth: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  await app.register(health);
  await app.register(orders);
  await app.register(catalog);
  await app.register(reviews);
  await app.register(changes);
  await app.register(holds);
  await app.register(exceptions);
  await app.register(production);
  await app.register(logistics);
  await app.register(payments);
  await app.register(customer);
  await app.register(creditHold);
  await app.register(refunds);
  await app.register(tasks);
  await app.register(risks);
  await app.register(audit);
  await app.register(kpis);
  await app.register(documents);
  await app.register(analysis);
  await app.register(contract);
  await app.register(auth);
  await app.register(codec);
  await app.register(session);
  await app.register(work);
  await app.register(consoleRoutes);

  return app as unknown as FastifyInstance;
}

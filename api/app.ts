/**
 * The HTTP API as an app factory: tests build the same app with the same
 * options and call `app.inject`; `server.ts` only listens.
 *
 * Order of registration: third-party plugins (security headers, OpenAPI),
 * then the shared resources (Prisma, Temporal client, configuration; created
 * once by the caller, who also closes them), then the routes. One error
 * handler shapes every error (api/errors.ts).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Client } from '@temporalio/client';
import type { Config } from '../activities/infra/config';
import type { PrismaClient } from '../activities/infra/db';
import { errorHandler, notFoundHandler } from './errors';
import changes from './routes/changes';
import customer from './routes/customer';
import health from './routes/health';
import holds from './routes/holds';
import logistics from './routes/logistics';
import orders from './routes/orders';
import payments from './routes/payments';
import production from './routes/production';
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

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: BODY_LIMIT,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // TypeBox validation: converts querystring/params/headers to their types, never the body.
  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);

  await app.register(helmet, { global: true });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Sales order API',
        description:
          'Orders from intake to payment. Each order is a Temporal workflow; lists read the database. ' +
          'Errors are `{ error, message, field? }`. Until authentication exists, name yourself in the `X-Actor` header.',
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
        { name: 'health' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  app.decorate('prisma', opts.prisma);
  app.decorate('temporal', opts.temporal);
  app.decorate('config', opts.config);

  await app.register(health);
  await app.register(orders);
  await app.register(reviews);
  await app.register(changes);
  await app.register(holds);
  await app.register(production);
  await app.register(logistics);
  await app.register(payments);
  await app.register(customer);
  await app.register(tasks);
  await app.register(risks);

  return app as unknown as FastifyInstance;
}

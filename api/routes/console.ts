/**
 * The console's web app and its configuration (issue 11, docs/CONSOLE-API.md):
 *
 *   GET /console/config   public: time zone, Temporal UI link, namespace, language
 *   GET /app, /app/*      the built single-page app (web/dist, WEB_DIST) with
 *                         @fastify/static; a path that is not a file answers
 *                         index.html (the app's router takes it from there);
 *                         503 naming the build command while it is not built.
 *
 * The files are looked up at each request, so building the app while the API
 * runs is enough (no restart).
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { HttpError } from '../errors';

export const CONSOLE_PREFIX = '/app';
export const NOT_BUILT = 'The console is not built: run npm run build:web (web/dist is missing)';

/** The app's own policy: the helmet default also asks browsers to upgrade to https, which breaks a plain-http install on a LAN address. */
const APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // Ant Design injects its styles at run time.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const ConsoleConfig = Type.Object({
  timeZone: Type.String({ description: 'IANA time zone the console shows times in (CONSOLE_TIME_ZONE)' }),
  temporalUiUrl: Type.String(),
  namespace: Type.String(),
  defaultLanguage: Type.Literal('zh'),
  publicUrl: Type.String({ description: 'The console’s base URL (PUBLIC_URL); staff emails link to <publicUrl>/app/orders/<orderNo>' }),
  session: Type.Object({ idleSeconds: Type.Integer(), maxSeconds: Type.Integer() }),
});

const consoleRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const cfg = app.config;
  const root = resolve(cfg.console.webDist);

  app.get(
    '/console/config',
    {
      schema: { summary: 'The console’s settings (public)', tags: ['auth'], response: { 200: ConsoleConfig } },
    },
    async () => ({
      timeZone: cfg.console.timeZone,
      temporalUiUrl: cfg.temporalUiUrl,
      namespace: cfg.temporalNamespace,
      defaultLanguage: 'zh' as const,
      publicUrl: cfg.console.publicUrl,
      session: { idleSeconds: Math.floor(cfg.console.sessionIdleMs / 1000), maxSeconds: Math.floor(cfg.console.sessionMaxMs / 1000) },
    }),
  );

  // reply.sendFile only: the routes below decide what is a file and what is the app.
  await app.register(fastifyStatic, { root, serve: false });

  const isFile = (path: string) => {
    try {
      return statSync(path).isFile();
    } catch {
      return false;
    }
  };

  const serve = (rest: string, reply: FastifyReply) => {
    if (!existsSync(join(root, 'index.html'))) throw new HttpError(503, NOT_BUILT);
    reply.header('Content-Security-Policy', APP_CSP);
    let relative = '';
    try {
      relative = decodeURIComponent(rest.split('?')[0]);
    } catch {
      relative = '';
    }
    const file = resolve(root, relative);
    if (relative && (file.startsWith(root + sep) || file === root) && isFile(file)) {
      // Vite's hashed assets never change; index.html must be read afresh.
      const immutable = relative.startsWith('assets/');
      return reply
        .header('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
        .sendFile(relative, { cacheControl: false });
    }
    return reply.header('Cache-Control', 'no-cache').sendFile('index.html', { cacheControl: false });
  };

  app.get(CONSOLE_PREFIX, { schema: { hide: true } }, async (_request, reply) => reply.redirect(`${CONSOLE_PREFIX}/`));
  app.get(`${CONSOLE_PREFIX}/*`, { schema: { hide: true } }, async (request, reply) =>
    serve((request.params as { '*': string })['*'] ?? '', reply),
  );
};

export default consoleRoutes;

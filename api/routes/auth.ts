/**
 * Callers and their tokens: who am I, tokens issued by an admin (shown
 * once), the token list (an admin sees all, everyone else their own, never
 * a hash), and revocation (an admin, or the token's owner).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { userOf } from '../auth/plugin';
import { MAX_TTL_DAYS, TOKEN_KINDS, TokenError, issueToken, revokeToken, tokenStatus } from '../auth/tokens';
import { HttpError, notFound } from '../errors';
import { DateTime, Id, Line, Nullable, errors } from '../schemas';

const Username = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9_.-]+$' });

const Me = Type.Object({
  id: Type.String(),
  username: Type.String(),
  name: Type.String(),
  email: Type.String(),
  role: Type.String(),
  kind: Type.String({ description: 'user | service: the kind of the token used' }),
  token: Type.Object({ id: Type.String(), name: Type.String(), expiresAt: DateTime() }, { description: 'The bearer token in use, or the console session' }),
});

const IssueBody = Type.Object(
  {
    name: Line(100, { description: 'What the token is for, e.g. "laptop" or "carrier webhook"' }),
    kind: Type.Optional(Type.Enum([...TOKEN_KINDS], { description: 'user (default) or service' })),
    ttlDays: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_TTL_DAYS, default: 30 })),
  },
  { additionalProperties: false },
);

const Issued = Type.Object({
  id: Type.String(),
  token: Type.String({ description: 'The bearer token. Shown this once; only its hash is stored.' }),
  username: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  expiresAt: DateTime(),
  createdAt: DateTime(),
});

const TokenView = Type.Object({
  id: Type.String(),
  username: Type.String(),
  role: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  status: Type.String({ description: 'active | expired | revoked' }),
  expiresAt: DateTime(),
  revokedAt: Nullable(DateTime()),
  lastUsedAt: Nullable(DateTime('Updated at most once a minute')),
  createdAt: DateTime(),
});

const TokenQuery = Type.Object(
  {
    username: Type.Optional(Username),
    status: Type.Optional(Type.Enum(['active', 'expired', 'revoked'])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  },
  { additionalProperties: false },
);

type TokenRow = {
  id: string;
  name: string;
  kind: string;
  expiresAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  createdAt: Date;
  user: { username: string; role: string };
};

const iso = (d: Date | null) => (d ? d.toISOString() : null);

const view = (t: TokenRow, now = new Date()) => ({
  id: t.id,
  username: t.user.username,
  role: t.user.role,
  name: t.name,
  kind: t.kind,
  status: tokenStatus(t, now),
  expiresAt: t.expiresAt.toISOString(),
  revokedAt: iso(t.revokedAt),
  lastUsedAt: iso(t.lastUsedAt),
  createdAt: t.createdAt.toISOString(),
});

const TOKEN_SELECT = {
  id: true,
  name: true,
  kind: true,
  expiresAt: true,
  revokedAt: true,
  lastUsedAt: true,
  createdAt: true,
  user: { select: { username: true, role: true } },
} as const;

const auth: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/me',
    {
      schema: {
        summary: 'The caller: user, role and the token in use',
        tags: ['auth'],
        response: { 200: Me, ...errors(401) },
      },
    },
    async (request) => {
      const caller = userOf(request);
      const [user, token] = await Promise.all([
        app.prisma.user.findUniqueOrThrow({ where: { id: caller.id }, select: { name: true, email: true } }),
        // A console session stands where the token would (docs/CONSOLE-API.md).
        caller.session
          ? { id: caller.session.id, name: 'console session', expiresAt: caller.session.expiresAt }
          : app.prisma.apiToken.findUniqueOrThrow({ where: { id: caller.tokenId }, select: { id: true, name: true, expiresAt: true } }),
      ]);
      return {
        id: caller.id,
        username: caller.username,
        name: user.name,
        email: user.email,
        role: caller.role,
        kind: caller.kind,
        token: { id: token.id, name: token.name, expiresAt: token.expiresAt.toISOString() },
      };
    },
  );

  app.post(
    '/users/:username/tokens',
    {
      schema: {
        summary: 'Issue a token for a user',
        description: `The token is in the answer once and never again (only its SHA-256 hash is stored). It expires after ttlDays (1-${MAX_TTL_DAYS}, default 30).`,
        tags: ['auth'],
        params: Type.Object({ username: Username }),
        body: IssueBody,
        response: { 201: Issued, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      try {
        const t = await issueToken(app.prisma, {
          username: request.params.username,
          name: request.body.name.trim() || 'token',
          kind: request.body.kind,
          ttlDays: request.body.ttlDays,
        });
        return reply
          .status(201)
          .header('Cache-Control', 'no-store')
          .send({
            id: t.id,
            token: t.token,
            username: t.username,
            name: t.name,
            kind: t.kind,
            expiresAt: t.expiresAt.toISOString(),
            createdAt: t.createdAt.toISOString(),
          });
      } catch (err) {
        if (err instanceof TokenError)
          throw err.code === 'unknown_user' ? notFound(err.message) : new HttpError(409, err.message, 'username');
        throw err;
      }
    },
  );

  app.get(
    '/tokens',
    {
      schema: {
        summary: 'API tokens (never the token or its hash)',
        description: 'An admin sees every token; everyone else their own. Newest first.',
        tags: ['auth'],
        querystring: TokenQuery,
        response: { 200: Type.Object({ items: Type.Array(TokenView) }), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const caller = userOf(request);
      const now = new Date();
      const { username, status, limit } = request.query;
      const rows = await app.prisma.apiToken.findMany({
        where: {
          ...(caller.role === 'admin' ? {} : { userId: caller.id }),
          ...(username ? { user: { username } } : {}),
          ...(status === 'revoked' ? { revokedAt: { not: null } } : {}),
          ...(status === 'active' ? { revokedAt: null, expiresAt: { gt: now } } : {}),
          ...(status === 'expired' ? { revokedAt: null, expiresAt: { lte: now } } : {}),
        },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: limit ?? 100,
        select: TOKEN_SELECT,
      });
      return { items: rows.map((r) => view(r, now)) };
    },
  );

  app.post(
    '/tokens/:id/revoke',
    {
      schema: {
        summary: 'Revoke a token',
        description: 'By an admin or the token’s owner; a revoked token answers 401 from then on. Revoking again changes nothing.',
        tags: ['auth'],
        params: Type.Object({ id: Id }),
        response: { 200: TokenView, ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      const { id } = request.params;
      if (!(await revokeToken(app.prisma, id))) throw notFound(`token ${id} not found`);
      return view(await app.prisma.apiToken.findUniqueOrThrow({ where: { id }, select: TOKEN_SELECT }));
    },
  );
};

export default auth;

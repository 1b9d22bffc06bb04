/**
 * Look-ups for the intake form (the console's order entry): customers with
 * their credit standing and allowed payment terms, products with list price
 * and stock. A sales user finds only the customers they own (the same rule
 * as intake, which refuses another's customer).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { scopedOwnerId } from '../auth/rules';
import { creditFigures } from '../../activities/checks';
import { creditExposure } from '../../workflows/domain/credit';
import { Amount, Line, Nullable, errors } from '../schemas';

const SearchQuery = Type.Object(
  {
    q: Type.Optional(Line(100, { description: 'Part of the name or code (customers) / SKU (products); empty: the first ones by name' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 20 })),
  },
  { additionalProperties: false },
);

const CustomerItem = Type.Object({
  id: Type.String(),
  code: Type.String(),
  name: Type.String(),
  creditLimit: Amount,
  creditCurrency: Type.String(),
  creditHold: Type.Boolean(),
  creditHoldReason: Nullable(Type.String()),
  exposure: Type.String({ description: 'Open receivables + open orders, in the credit currency' }),
  available: Type.String({ description: 'Credit limit - exposure (negative when over)' }),
  allowedPaymentTerms: Type.Array(Type.String()),
  contacts: Type.Array(Type.Object({ name: Type.String(), phone: Nullable(Type.String()), email: Nullable(Type.String()) })),
});

const ProductItem = Type.Object({
  id: Type.String(),
  sku: Type.String(),
  name: Type.String(),
  listPrice: Amount,
  currency: Type.String(),
  onHand: Type.Integer(),
  reserved: Type.Integer(),
  available: Type.Integer({ description: 'onHand - reserved' }),
  makeToOrder: Type.Boolean(),
});

const contains = (q: string | undefined) => (q && q.trim() ? { contains: q.trim(), mode: 'insensitive' as const } : undefined);

const catalog: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/customers',
    {
      schema: {
        summary: 'Find customers, with credit standing and allowed payment terms',
        tags: ['customers'],
        querystring: SearchQuery,
        response: { 200: Type.Object({ items: Type.Array(CustomerItem) }), ...errors(400) },
      },
    },
    async (request) => {
      const { q, limit } = request.query;
      const match = contains(q);
      const ownerId = scopedOwnerId(request.user);
      const rows = await app.prisma.customer.findMany({
        where: { ...(ownerId ? { ownerId } : {}), ...(match ? { OR: [{ name: match }, { code: match }] } : {}) },
        orderBy: [{ name: 'asc' }, { id: 'asc' }],
        take: limit ?? 20,
        include: { contacts: { orderBy: { id: 'asc' }, take: 5 } },
      });
      const rates = app.config.policy.exchangeRates;
      const items = await Promise.all(
        rows.map(async (c) => {
          // No order is excluded: the id matches none.
          const figures = await creditFigures(app.prisma, c.id, '', c.creditCurrency, rates);
          const credit = creditExposure({ creditLimit: c.creditLimit.toFixed(2), ...figures, thisOrder: '0', creditHold: c.creditHold });
          return {
            id: c.id,
            code: c.code,
            name: c.name,
            creditLimit: c.creditLimit.toFixed(2),
            creditCurrency: c.creditCurrency,
            creditHold: c.creditHold,
            creditHoldReason: c.creditHoldReason,
            exposure: credit.exposure,
            available: credit.available,
            allowedPaymentTerms: c.allowedPaymentTerms,
            contacts: c.contacts.map((k) => ({ name: k.name, phone: k.phone, email: k.email })),
          };
        }),
      );
      return { items };
    },
  );

  app.get(
    '/products',
    {
      schema: {
        summary: 'Find active products, with list price and stock',
        tags: ['products'],
        querystring: SearchQuery,
        response: { 200: Type.Object({ items: Type.Array(ProductItem) }), ...errors(400) },
      },
    },
    async (request) => {
      const { q, limit } = request.query;
      const match = contains(q);
      const rows = await app.prisma.product.findMany({
        where: { active: true, ...(match ? { OR: [{ name: match }, { sku: match }] } : {}) },
        orderBy: [{ sku: 'asc' }],
        take: limit ?? 20,
        include: { inventory: true },
      });
      return {
        items: rows.map((p) => ({
          id: p.id,
          sku: p.sku,
          name: p.name,
          listPrice: p.listPrice.toFixed(2),
          currency: p.currency,
          onHand: p.inventory?.onHand ?? 0,
          reserved: p.inventory?.reserved ?? 0,
          available: (p.inventory?.onHand ?? 0) - (p.inventory?.reserved ?? 0),
          makeToOrder: p.makeToOrder,
        })),
      };
    },
  );
};

export default catalog;

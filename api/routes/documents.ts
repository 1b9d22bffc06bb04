/**
 * An order's documents (SPEC section 11): every version of the sales
 * contract, order confirmation, delivery note and invoice, as stored when
 * they were made and mailed (activities/documents/). Same roles and record
 * rule as the order itself (api/auth/roles.ts): a caller who may not see the
 * order gets 404 for its documents.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { sqlOf } from '../../activities/infra/db';
import { DOCUMENT_KINDS, KIND_TITLE } from '../../activities/documents/model';
import { documentContent, fileNameOf, listDocuments } from '../../activities/documents/store';
import { notFound } from '../errors';
import { DateTime, Id, OrderNo, errors } from '../schemas';

const DocumentItem = Type.Object({
  id: Type.String(),
  kind: Type.Enum([...DOCUMENT_KINDS]),
  title: Type.String({ description: 'e.g. 销售合同 Sales Contract' }),
  version: Type.Integer({ minimum: 1 }),
  latest: Type.Boolean({ description: 'The newest version of its kind' }),
  docNo: Type.String({ description: 'The number printed on it, e.g. HT-2026-000123-V1' }),
  sha256: Type.String({ description: 'Of the PDF bytes: a download is byte-identical to this' }),
  size: Type.Integer(),
  issuedAt: DateTime('The date printed on it'),
  createdAt: DateTime(),
  url: Type.String({ description: 'Download path' }),
});

async function orderIdOf(prisma: Parameters<typeof sqlOf>[0], orderNo: string): Promise<string> {
  const [o] = await sqlOf(prisma).query<{ id: string }>(`SELECT id FROM orders WHERE order_no = $1`, [orderNo]);
  if (!o) throw notFound(`order ${orderNo} not found`);
  return o.id;
}

const documents: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/orders/:orderNo/documents',
    {
      schema: {
        summary: 'The order’s documents, every version',
        tags: ['documents'],
        params: Type.Object({ orderNo: OrderNo }),
        response: { 200: Type.Object({ items: Type.Array(DocumentItem) }), ...errors(400, 404) },
      },
    },
    async (request) => {
      const { orderNo } = request.params;
      const rows = await listDocuments(sqlOf(app.prisma), await orderIdOf(app.prisma, orderNo));
      const newest = new Map<string, number>();
      for (const r of rows) newest.set(r.kind, Math.max(newest.get(r.kind) ?? 0, r.version));
      return {
        items: rows.map((r) => ({
          id: r.id,
          kind: r.kind,
          title: `${KIND_TITLE[r.kind].zh} ${KIND_TITLE[r.kind].en}`,
          version: r.version,
          latest: newest.get(r.kind) === r.version,
          docNo: r.docNo,
          sha256: r.sha256,
          size: r.size,
          issuedAt: r.issuedAt.toISOString(),
          createdAt: r.createdAt.toISOString(),
          url: `/orders/${orderNo}/documents/${r.id}.pdf`,
        })),
      };
    },
  );

  app.get(
    '/orders/:orderNo/documents/:docId.pdf',
    {
      schema: {
        summary: 'One document version as PDF',
        description: 'application/pdf, exactly the bytes stored (and mailed); `ETag` and `X-Document-Sha256` carry their sha256.',
        tags: ['documents'],
        produces: ['application/pdf'],
        params: Type.Object({ orderNo: OrderNo, docId: Id }),
        response: { 200: Type.Any({ description: 'PDF' }), ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      const { orderNo, docId } = request.params;
      const doc = await documentContent(sqlOf(app.prisma), await orderIdOf(app.prisma, orderNo), docId);
      if (!doc) throw notFound(`document ${docId} of order ${orderNo} not found`);
      return reply
        .header('content-type', 'application/pdf')
        .header('content-disposition', `inline; filename="${fileNameOf(doc)}"`)
        .header('etag', `"${doc.sha256}"`)
        .header('x-document-sha256', doc.sha256)
        .header('x-document-version', String(doc.version))
        .send(doc.content);
    },
  );
};

export default documents;

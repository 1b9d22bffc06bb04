/**
 * The contract signature step (activities/documents/signature.ts): sales
 * records the customer's signature with a scan of the signed contract,
 * finance confirms its financial terms; anyone who may see the order reads
 * the status and the scan.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { sqlOf } from '../../activities/infra/db';
import {
  MAX_SCAN_BYTES,
  SignatureInputError,
  confirmContractTerms,
  contractStatus,
  recordContractSignature,
  signatureScan,
  type ContractStatus,
} from '../../activities/documents/signature';
import { actorOf } from '../actor';
import { HttpError, badRequest, notFound } from '../errors';
import { DateOnly, FreeText, Line, Nullable, OrderNo, errors, todayIso } from '../schemas';
import { contractSignatureChanged, orderWorkflowId } from '../../workflows/order/contract';

const Params = Type.Object({ orderNo: OrderNo });
const S = Type.String();
const NS = Nullable(Type.String());

const Status = Type.Object({
  contract: Nullable(Type.Object({ documentId: S, version: Type.Integer(), docNo: S })),
  signature: Nullable(
    Type.Object({
      signedOn: S,
      signer: S,
      scanName: S,
      scanType: S,
      scanSize: Type.Integer(),
      scanSha256: S,
      recordedBy: S,
      recordedAt: S,
      financeConfirmedBy: NS,
      financeConfirmedAt: NS,
      financeComment: NS,
    }),
  ),
  signed: Type.Boolean(),
  financeConfirmed: Type.Boolean(),
  complete: Type.Boolean({ description: 'Signed by the customer and confirmed by finance (the newest version)' }),
});

/** Base64 of at most MAX_SCAN_BYTES, with room for padding. */
const BASE64_MAX = Math.ceil(MAX_SCAN_BYTES / 3) * 4;
/** The JSON body: the scan as base64 (4/3 of its size) and a few short fields. */
const SIGNATURE_BODY_LIMIT = BASE64_MAX + 64 * 1024;

/**
 * A scan over 5 MiB is one answer, 413 naming the scan, whatever its size: up to the
 * body limit the size rule of recordContractSignature says so (the schema sets no
 * maxLength, which would make it a 400), above it this check, on the declared length,
 * before the body is read, parsed or validated (Fastify's own limit would answer
 * 413 too, but after reading it, and without the field).
 */
const TOO_LARGE = new HttpError(413, `the scan must be at most ${MAX_SCAN_BYTES} bytes (5 MiB); this request is larger than a 5 MiB scan in base64`, 'scan.contentBase64');
async function refuseOversizedBody(request: FastifyRequest): Promise<void> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > SIGNATURE_BODY_LIMIT) throw TOO_LARGE;
}

const SignatureBody = Type.Object(
  {
    signedOn: DateOnly('The date the customer signed; not in the future'),
    signer: Line(100, { minLength: 1, description: 'Who signed for the customer, e.g. 王经理' }),
    scan: Type.Object(
      {
        fileName: Line(200, { minLength: 1 }),
        // No schema pattern: a regular expression over a 7 MB string overflows V8's backtracking
        // stack (a 500 seen when the suite ran in one process); isBase64 checks it in one pass.
        contentBase64: Type.String({
          minLength: 4,
          description: 'The signed contract as scanned: a PDF, PNG or JPEG file of at most 5 MiB, base64',
        }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

/** Standard base64 (A-Z a-z 0-9 + /, at most two '=' at the end), checked character by character. */
export function isBase64(s: string): boolean {
  let end = s.length;
  while (end > 0 && end > s.length - 2 && s.charCodeAt(end - 1) === 61 /* = */) end--;
  if (end === 0) return false;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47;
    if (!ok) return false;
  }
  return true;
}

async function orderIdOf(prisma: Parameters<typeof sqlOf>[0], orderNo: string): Promise<string> {
  const [o] = await sqlOf(prisma).query<{ id: string }>(`SELECT id FROM orders WHERE order_no = $1`, [orderNo]);
  if (!o) throw notFound(`order ${orderNo} not found`);
  return o.id;
}

/** The signature module's refusals as HTTP answers. */
async function answer(p: Promise<ContractStatus>): Promise<ContractStatus> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof SignatureInputError) throw new HttpError(err.status, err.message, err.field);
    throw err;
  }
}

const contract: FastifyPluginAsyncTypebox = async (app) => {
  /**
   * Tells the order's workflow that the step changed. The write has been made
   * and answered from the database; an order not waiting in the stage yet
   * reads the status when it gets there, so a failed signal is only logged.
   */
  const tellWorkflow = async (orderNo: string, log: { warn(o: object, m: string): void }) => {
    try {
      await app.temporal.workflow.getHandle(orderWorkflowId(orderNo)).signal(contractSignatureChanged);
    } catch (err) {
      log.warn({ err, orderNo }, 'contract signature recorded; signalling the order workflow failed');
    }
  };

  app.get(
    '/orders/:orderNo/contract',
    {
      schema: {
        summary: 'The contract signature step: newest version, customer signature, finance confirmation',
        tags: ['documents'],
        params: Params,
        response: { 200: Status, ...errors(400, 404) },
      },
    },
    async (request) => contractStatus(sqlOf(app.prisma), await orderIdOf(app.prisma, request.params.orderNo)),
  );

  app.post(
    '/orders/:orderNo/contract/signature',
    {
      bodyLimit: SIGNATURE_BODY_LIMIT,
      preParsing: refuseOversizedBody,
      schema: {
        summary: 'Record the customer’s signature of the newest contract version, with its scan',
        description: 'The scan must be a PDF, PNG or JPEG (checked by its content), at most 5 MiB (413 above). 409 when there is no contract yet or this version is already signed.',
        tags: ['documents'],
        params: Params,
        body: SignatureBody,
        response: { 201: Status, ...errors(400, 404, 409, 413) },
      },
    },
    async (request, reply) => {
      const { signedOn, signer, scan } = request.body;
      if (signedOn > todayIso()) throw badRequest(`signedOn ${signedOn} is in the future`, 'signedOn');
      if (!isBase64(scan.contentBase64)) throw badRequest('scan.contentBase64 must be base64 (A-Z, a-z, 0-9, +, /, = padding)', 'scan.contentBase64');
      const bytes = Buffer.from(scan.contentBase64, 'base64');
      const status = await answer(
        recordContractSignature(sqlOf(app.prisma), {
          orderId: await orderIdOf(app.prisma, request.params.orderNo),
          signedOn,
          signer,
          scanName: scan.fileName,
          scan: bytes,
          actor: actorOf(request),
          at: new Date().toISOString(),
        }),
      );
      await tellWorkflow(request.params.orderNo, request.log);
      return reply.status(201).send(status);
    },
  );

  app.post(
    '/orders/:orderNo/contract/finance-confirmation',
    {
      schema: {
        summary: 'Finance confirms the financial terms of the newest contract version',
        description: '409 when the customer’s signature is not recorded yet or the terms are already confirmed.',
        tags: ['documents'],
        params: Params,
        body: Type.Object({ comment: Type.Optional(FreeText(500)) }, { additionalProperties: false }),
        response: { 200: Status, ...errors(400, 404, 409) },
      },
    },
    async (request) => {
      const status = await answer(
        confirmContractTerms(sqlOf(app.prisma), {
          orderId: await orderIdOf(app.prisma, request.params.orderNo),
          comment: request.body.comment,
          actor: actorOf(request),
          at: new Date().toISOString(),
        }),
      );
      await tellWorkflow(request.params.orderNo, request.log);
      return status;
    },
  );

  app.get(
    '/orders/:orderNo/contract/signature/scan',
    {
      schema: {
        summary: 'The scan of the signed contract (newest version)',
        tags: ['documents'],
        produces: ['application/pdf', 'image/png', 'image/jpeg'],
        params: Params,
        response: { 200: Type.Any({ description: 'The scan as uploaded' }), ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      const s = await signatureScan(sqlOf(app.prisma), await orderIdOf(app.prisma, request.params.orderNo));
      if (!s) throw notFound(`order ${request.params.orderNo} has no signed contract scan`);
      return reply
        .header('content-type', s.scanType)
        .header('content-disposition', `attachment; filename="${encodeURIComponent(s.scanName)}"`)
        .header('x-scan-sha256', s.scanSha256)
        .send(s.scan);
    },
  );
};

export default contract;

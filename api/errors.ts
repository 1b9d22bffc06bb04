/**
 * The API's one error shape and its one error handler.
 *
 * Every error leaves as JSON `{ error, message, field? }`: `error` is the
 * HTTP reason phrase, `message` says what is wrong in words a caller can act
 * on, and `field` names the offending input (`lines[0].quantity`,
 * `Idempotency-Key`) when there is one. 4xx messages are ours or Fastify's
 * and safe to show; anything else is logged and answered with a generic 500,
 * never a stack trace, a SQL statement or a driver message.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { Type } from 'typebox';
import { httpErrorFromTemporal } from './temporal-errors';

export const ErrorResponse = Type.Object(
  {
    error: Type.String({ description: 'HTTP reason phrase, e.g. "Bad Request"' }),
    message: Type.String({ description: 'What went wrong' }),
    field: Type.Optional(Type.String({ description: 'The input at fault, e.g. lines[0].quantity' })),
  },
  { description: 'Error' },
);

/** An error that maps to one HTTP answer. Throw it from services and routes. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }

  get error(): string {
    return STATUS_CODES[this.statusCode] ?? 'Error';
  }

  toJSON(): { error: string; message: string; field?: string } {
    return { error: this.error, message: this.message, ...(this.field ? { field: this.field } : {}) };
  }
}

/** 403 with `error: 'csrf'`: a state-changing request made with the session cookie lacks its X-CSRF-Token. */
export class CsrfError extends HttpError {
  constructor(message: string) {
    super(403, message);
  }
  override get error(): string {
    return 'csrf';
  }
}

export const badRequest = (message: string, field?: string) => new HttpError(400, message, field);
export const notFound = (message: string) => new HttpError(404, message);
export const conflict = (message: string, field?: string) => new HttpError(409, message, field);
export const unavailable = (message: string) => new HttpError(503, message);

/** `/lines/0/quantity` -> `lines[0].quantity`. */
export function pointerToField(pointer: string, child?: string): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined && child !== '') parts.push(child);
  let out = '';
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

/** `idempotency-key` -> `Idempotency-Key`. */
const headerName = (h: string) => h.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());

/**
 * The field named by a schema validation error, from ajv (`missingProperty`,
 * `additionalProperty`) or the TypeBox compiler (`requiredProperties`,
 * `additionalProperties`), and a message that starts with it.
 */
export function describeValidation(
  errors: FastifySchemaValidationError[],
  context: string | undefined,
): { field: string; message: string } {
  // TypeBox reports an extra property twice: `schema is false` at the property, then at the object.
  const e = errors.find((x) => x.keyword === 'additionalProperties') ?? errors[0];
  const params = (e?.params ?? {}) as Record<string, unknown>;
  const first = (v: unknown) => (Array.isArray(v) ? String(v[0]) : typeof v === 'string' ? v : undefined);
  let child: string | undefined;
  let message = e?.message ?? 'is invalid';
  if (e?.keyword === 'required') {
    child = first(params.missingProperty) ?? first(params.requiredProperties);
    message = 'is required';
  } else if (e?.keyword === 'additionalProperties') {
    child = first(params.additionalProperty) ?? first(params.additionalProperties);
    message = 'is not an allowed field';
  } else if (e?.keyword === 'boolean') {
    message = 'is not an allowed field';
  }
  let field = pointerToField(e?.instancePath ?? '', child);
  if (context === 'headers') field = headerName(field);
  if (!field) field = context === 'body' ? 'body' : (context ?? 'request');
  return { field, message: `${field} ${message}` };
}

type Reply = { error: string; message: string; field?: string };

function send(reply: FastifyReply, status: number, body: Reply, headers: Record<string, string> = {}) {
  for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  return reply.status(status).send(body);
}

/** The app's error handler (registered once, in app.ts). */
export function errorHandler(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  if (err instanceof HttpError) {
    if (err.statusCode >= 500) request.log.warn({ err }, 'request failed');
    return send(reply, err.statusCode, err.toJSON(), err.headers);
  }

  const fe = err as FastifyError;
  if (fe.validation) {
    const { field, message } = describeValidation(fe.validation, fe.validationContext);
    return send(reply, 400, { error: STATUS_CODES[400]!, message, field });
  }

  const mapped = httpErrorFromTemporal(err);
  if (mapped) {
    if (mapped.statusCode >= 500) request.log.error({ err }, 'temporal call failed');
    const status = mapped.statusCode;
    return send(reply, status, {
      error: STATUS_CODES[status] ?? 'Error',
      message: mapped.message,
      ...(mapped.field ? { field: mapped.field } : {}),
    });
  }

  // Fastify's own 4xx (bad JSON, body too large, unsupported media type, rate limit...) are safe to show.
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    return send(reply, status, { error: STATUS_CODES[status] ?? 'Error', message: fe.message });
  }

  request.log.error({ err }, 'unhandled error');
  return send(reply, 500, { error: STATUS_CODES[500]!, message: 'Something went wrong on our side; the error has been logged.' });
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply) {
  return send(reply, 404, { error: STATUS_CODES[404]!, message: `Route ${request.method} ${request.url.split('?')[0]} not found` });
}

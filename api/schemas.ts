/**
 * TypeBox schemas shared by the routes: the building blocks (money, dates,
 * order numbers, stages) and the error responses. Each route file declares
 * its own request and response shapes from these.
 */
import { Format } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from 'typebox';
import { STAGES } from '../workflows/order/contract';
import { ROLES } from '../workflows/domain/policy';
import { ErrorResponse } from './errors';

export { ErrorResponse };

// ---------------------------------------------------------------------------
// Text: what characters a string field may hold
// ---------------------------------------------------------------------------
//
// Two string formats, registered here (before any route schema is compiled:
// the TypeBox compiler looks formats up at compile time) and used by every
// text field a caller sends:
//
//   text-line  names, references, ids, addresses, payment terms: one line of
//              printable text. Refused: every C0 control (NUL..US, tab and
//              newline included), DEL, the C1 controls, the bidi embedding,
//              override and isolate controls (U+202A-U+202E, U+2066-U+2069),
//              the line/paragraph separators U+2028/U+2029 and unpaired
//              surrogates.
//   text       comments, notes, reasons, complaint texts: free text over
//              several lines. Tab, LF and CR are allowed; everything else
//              text-line refuses is refused here too.
//
// NUL matters beyond looks: PostgreSQL cannot store it in text or jsonb, so
// it would otherwise reach the database and fail there. Everything else
// (quotes, `<script>`, `{{7*7}}`, SQL) is stored verbatim: queries are
// parameterised, answers are JSON, and the HTML report escapes what it shows.

/** C0 (except tab, LF, CR), DEL, C1, bidi embedding/override/isolate controls, unpaired surrogates. */
const CONTROL_IN_TEXT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** As above, plus tab, LF, CR and the line/paragraph separators. */
const CONTROL_IN_LINE = /[\u0009\u000A\u000D\u2028\u2029]/;

export const TEXT_FORMAT = 'text';
export const LINE_FORMAT = 'text-line';

export const isCleanText = (value: string): boolean => !CONTROL_IN_TEXT.test(value);
export const isCleanLine = (value: string): boolean => isCleanText(value) && !CONTROL_IN_LINE.test(value);

Format.Set(TEXT_FORMAT, isCleanText);
Format.Set(LINE_FORMAT, isCleanLine);

type StringOptions = { minLength?: number; maxLength: number; pattern?: string; description?: string; examples?: unknown[] };

/** One line of printable text (names, references, addresses); non-empty unless minLength says otherwise. */
export const Line = (maxLength: number, opts: Omit<StringOptions, 'maxLength'> = {}) =>
  Type.String({ minLength: 1, ...opts, maxLength, format: LINE_FORMAT });

/** Free text over several lines (comments, notes, reasons); may be empty unless minLength says otherwise. */
export const FreeText = (maxLength: number, opts: Omit<StringOptions, 'maxLength'> = {}) =>
  Type.String({ ...opts, maxLength, format: TEXT_FORMAT });

/** Idempotency-Key header: 8-100 visible ASCII characters (a UUID is a good one). */
export const IdempotencyKey = (description: string) =>
  Type.String({ minLength: 8, maxLength: 100, pattern: '^[\\x21-\\x7E]+$', description });

/** Money travels as a decimal string with up to 12 integer digits and 2 decimals. */
export const MONEY_PATTERN = '^\\d{1,12}(\\.\\d{1,2})?$';
export const Money = (description?: string) =>
  Type.String({ pattern: MONEY_PATTERN, maxLength: 15, examples: ['1234.50'], ...(description ? { description } : {}) });

/** Amounts we send out: always 2 decimals. */
export const Amount = Type.String({ examples: ['1234.50'] });

/** A tax rate 0..1 with up to 4 decimals, as a decimal string ("0.13"). */
export const TaxRate = Type.String({ pattern: '^(0(\\.\\d{1,4})?|1(\\.0{1,4})?)$', maxLength: 6, examples: ['0.13'] });

export const DateOnly = (description?: string) =>
  Type.String({ format: 'date', maxLength: 10, examples: ['2026-12-01'], ...(description ? { description } : {}) });
export const DateTime = (description?: string) =>
  Type.String({ format: 'date-time', maxLength: 40, ...(description ? { description } : {}) });

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const ORDER_NO_PATTERN = '^SO-\\d{4}-\\d{6,}$';
export const OrderNo = Type.String({ pattern: ORDER_NO_PATTERN, maxLength: 32, examples: ['SO-2026-000123'] });
export const OrderNoParams = Type.Object({ orderNo: OrderNo });

/** Row ids are cuids. */
export const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });

export const StageSchema = Type.Enum([...STAGES]);
export const RoleSchema = Type.Enum([...ROLES]);
export const Escalation = Type.String({ description: 'none | reminded | escalated | timed_out', maxLength: 20 });

export const StageResult = Type.Object({ orderNo: Type.String(), stage: Type.String() });

/** Error responses for the given status codes, plus the generic 5xx. */
export function errors<C extends number>(...codes: C[]) {
  const out = {} as Record<C | '5xx', typeof ErrorResponse>;
  for (const c of codes) out[c] = ErrorResponse;
  out['5xx'] = ErrorResponse;
  return out;
}

/** Today's date (UTC) as YYYY-MM-DD; ISO dates compare as strings. */
export const todayIso = (now = new Date()) => now.toISOString().slice(0, 10);

/** A reason for a command (cancel, hold, release, change request). */
export const Reason = FreeText(500, { minLength: 1 });
export const ReasonBody = Type.Object({ reason: Reason }, { additionalProperties: false });

export const Phone = Type.String({ minLength: 3, maxLength: 40, pattern: '^[0-9+() -]+$' });
export const Postcode = Type.String({ minLength: 1, maxLength: 16, pattern: '^[A-Za-z0-9 -]+$' });
const Text = (maxLength: number) => Line(maxLength);

/**
 * A customer's change or a correction (contract OrderChanges): give only
 * what changes; `lines` is the full new set of lines (a product left out is
 * removed).
 */
export const OrderChangesSchema = Type.Object(
  {
    lines: Type.Optional(
      Type.Array(
        Type.Object(
          {
            productId: Line(64),
            quantity: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
            unitPrice: Money('Unit price before tax'),
            taxRate: TaxRate,
            specification: Type.Optional(FreeText(500)),
          },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: 200, description: 'The full new set of lines' },
      ),
    ),
    requestedDeliveryDate: Type.Optional(DateOnly('Not in the past')),
    deliveryAddress: Type.Optional(
      Type.Object(
        {
          recipient: Text(100),
          phone: Phone,
          region: Text(50),
          city: Text(50),
          line1: Text(200),
          postcode: Type.Optional(Postcode),
        },
        { additionalProperties: false },
      ),
    ),
    paymentTerms: Type.Optional(Line(32)),
    contact: Type.Optional(
      Type.Object(
        {
          name: Text(100),
          phone: Type.Optional(Phone),
          email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, description: 'What changes (at least one field)' },
);

/** A complaint with its owner and resolution (routes/customer.ts, and in the order). */
export const Complaint = Type.Object({
  id: Type.String(),
  orderNo: Type.String(),
  text: Type.String(),
  owner: Type.String(),
  status: Type.String({ description: 'open | resolved' }),
  resolution: Nullable(Type.String()),
  resolvedBy: Nullable(Type.String()),
  resolvedAt: Nullable(DateTime()),
  createdBy: Type.String(),
  createdAt: DateTime(),
});

// ---------------------------------------------------------------------------
// Refunds (api/routes/refunds.ts, and in GET /orders/:orderNo)
// ---------------------------------------------------------------------------

export const RefundSchema = Type.Object({
  id: Type.String(),
  invoiceId: Type.String(),
  amount: Amount,
  currency: Type.String(),
  reason: Type.String(),
  status: Type.String({ description: 'due | paid | cancelled (a later change raised the amount again)' }),
  createdBy: Type.String(),
  createdAt: DateTime(),
  reference: Nullable(Type.String()),
  settledBy: Nullable(Type.String()),
  settledAt: Nullable(DateTime()),
});

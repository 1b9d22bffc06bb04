/**
 * TypeBox schemas shared by the routes: the building blocks (money, dates,
 * order numbers, stages) and the error responses. Each route file declares
 * its own request and response shapes from these.
 */
import { Type, type TSchema } from 'typebox';
import { STAGES } from '../workflows/order/contract';
import { ROLES } from '../workflows/domain/policy';
import { ErrorResponse } from './errors';

export { ErrorResponse };

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

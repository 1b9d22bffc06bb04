/**
 * Order numbers (SPEC 3.1 intake: "a unique, human-readable number, e.g.
 * SO-2026-000123"). The sequence itself comes from the database; this module
 * only writes and reads the format.
 *
 * Choices: the sequence is zero-padded to 6 digits and simply grows longer
 * past 999999 rather than wrapping, so numbers stay unique and sortable
 * within a year up to a million orders.
 */
export const ORDER_NO_RE = /^SO-\d{4}-\d{6,}$/;

export function formatOrderNo(year: number, seq: number): string {
  if (!Number.isInteger(year) || year < 1000 || year > 9999) throw new Error(`year must have 4 digits: ${year}`);
  if (!Number.isSafeInteger(seq) || seq < 1) throw new Error(`sequence must be a positive whole number: ${seq}`);
  return `SO-${year}-${String(seq).padStart(6, '0')}`;
}

/** Year and sequence of a valid order number, else null. */
export function parseOrderNo(orderNo: string): { year: number; seq: number } | null {
  if (!ORDER_NO_RE.test(orderNo)) return null;
  const [, year, seq] = orderNo.split('-');
  return { year: Number(year), seq: Number(seq) };
}

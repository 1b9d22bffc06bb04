/**
 * Reading a message mailparser has parsed, for the two SMTP catchers that
 * keep what they receive: the local mail catcher (scripts/mail-catcher.ts)
 * and the tests' capture (test/support/smtp.ts). One reading, so both see
 * a message alike.
 */
import type { AddressObject, ParsedMail } from 'mailparser';

/** The bare addresses of an address header (To, Cc), in order; empty when there is none. */
export function addresses(a: AddressObject | AddressObject[] | undefined): string[] {
  if (!a) return [];
  return (Array.isArray(a) ? a : [a]).flatMap((o) => o.value.map((v) => v.address ?? '').filter(Boolean));
}

/** Header name (lower case) -> decoded value as a string. */
export function headerStrings(p: ParsedMail): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of p.headers) {
    if (typeof value === 'string') out[key] = value;
    else if (value instanceof Date) out[key] = value.toISOString();
    else if (value && typeof value === 'object' && 'text' in value) out[key] = String((value as { text: unknown }).text);
    else if (value && typeof value === 'object' && 'value' in value) out[key] = String((value as { value: unknown }).value);
    else out[key] = JSON.stringify(value);
  }
  return out;
}

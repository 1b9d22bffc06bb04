/**
 * Payload encryption for everything the order system puts into Temporal:
 * workflow inputs (customer, contact, address), update arguments, activity
 * results and query answers. Temporal's server and its database only ever
 * see ciphertext; the worker, the API and the codec endpoint (for the Web UI)
 * hold the key.
 *
 * AES-256-GCM, a fresh 12-byte IV per payload. The encoded payload names the
 * key it was made with (`encryption-key-id`), so keys can be rotated: new
 * payloads use the current key, old histories decode with the old ones.
 *
 * One exception: the workflow's timer summaries (`sales_review: reminded
 * (sales) at …`, workflows/order/timer-summary.ts) carry no personal data and
 * stay plain JSON, so the Web UI's timeline is readable without the codec.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { isTimerSummary } from '../../workflows/order/timer-summary';

const ENCODING = 'binary/encrypted';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined) => (b ? new TextDecoder().decode(b) : '');

/** A key as configured: base64 of 32 random bytes (e.g. `openssl rand -base64 32`). */
export function parseCodecKey(base64: string): Buffer {
  const key = Buffer.from(base64.trim(), 'base64');
  if (key.length !== 32) throw new Error('a payload codec key is base64 of exactly 32 bytes (try: openssl rand -base64 32)');
  return key;
}

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

export class EncryptionCodec implements PayloadCodec {
  private readonly current: { id: string; key: Buffer };
  private readonly byId: Map<string, Buffer>;

  /** `keys[0]` encrypts; every key decrypts (older ones stay for old histories). */
  constructor(keys: Buffer[]) {
    if (keys.length === 0) throw new Error('EncryptionCodec needs at least one key');
    this.current = { id: keyId(keys[0]), key: keys[0] };
    this.byId = new Map(keys.map((k) => [keyId(k), k]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (isPublicSummary(p)) return p;
      const plain = temporal.api.common.v1.Payload.encode(p).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { encoding: utf8(ENCODING), 'encryption-key-id': utf8(this.current.id) },
        data: new Uint8Array(sealed),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (text(p.metadata?.encoding) !== ENCODING) return p;
      const id = text(p.metadata?.['encryption-key-id']);
      const key = this.byId.get(id);
      if (!key) throw new Error(`payload was encrypted with key ${id}, which is not configured (PAYLOAD_CODEC_KEY / PAYLOAD_CODEC_OLD_KEYS)`);
      const sealed = Buffer.from(p.data ?? new Uint8Array());
      const iv = sealed.subarray(0, IV_BYTES);
      const tag = sealed.subarray(sealed.length - TAG_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAuthTag(tag);
      const plain = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain) as Payload;
    });
  }
}

/** A JSON string payload that is one of the workflow's timer summaries (no personal data). */
export function isPublicSummary(p: Payload): boolean {
  if (text(p.metadata?.encoding) !== 'json/plain' || !p.data || p.data.length > 400) return false;
  try {
    const value: unknown = JSON.parse(text(p.data));
    return typeof value === 'string' && isTimerSummary(value);
  } catch {
    return false;
  }
}

/** The data converter every Temporal client and worker of this system uses. */
export function dataConverterFor(keys: Buffer[]): DataConverter {
  return { payloadCodecs: [new EncryptionCodec(keys)] };
}

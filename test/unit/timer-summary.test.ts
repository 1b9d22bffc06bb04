/**
 * Timer summaries stay readable in the Temporal UI (issue 11 item 9): the
 * codec leaves exactly the workflow's summary formats unencrypted and
 * encrypts everything else, names and amounts included.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { EncryptionCodec, isPublicSummary } from '../../activities/infra/codec';
import { isTimerSummary } from '../../workflows/order/timer-summary';

const codec = new EncryptionCodec([randomBytes(32)]);
const payload = (v: unknown) => defaultPayloadConverter.toPayload(v)!;
const enc = (p: { metadata?: Record<string, Uint8Array> | null }) => new TextDecoder().decode(p.metadata?.encoding ?? new Uint8Array());

describe('timer summaries', () => {
  it('the workflow still writes the formats the codec knows (source check)', () => {
    const clock = readFileSync(join(__dirname, '../../workflows/order/stage-clock.ts'), 'utf8');
    const flow = readFileSync(join(__dirname, '../../workflows/order/workflow.ts'), 'utf8');
    expect(clock).toContain('`${c.stage}: ${step.level} (${step.role}) at ${new Date(fireAt).toISOString()}`');
    expect(flow).toContain('`dunning: ${level.code} at ${level.at}`');
    expect(flow).toContain('`progress update every ${run.policy.progressUpdateInterval}`');
  });

  it.each([
    'sales_review: reminded (sales) at 2026-12-01T08:00:00.000Z',
    'finance_review: escalated (finance_manager) at 2026-12-01T08:00:00.000Z',
    'change_review: timed_out (sales_manager) at 2026-12-01T08:00:00.000Z',
    'dunning: R1 at 2026-12-31T00:00:00.000Z',
    'progress update every 7d',
  ])('"%s" stays plain and decodes as it is', async (text) => {
    expect(isTimerSummary(text)).toBe(true);
    const [out] = await codec.encode([payload(text)]);
    expect(enc(out)).toBe('json/plain');
    expect(defaultPayloadConverter.fromPayload(out)).toBe(text);
    const [back] = await codec.decode([out]);
    expect(defaultPayloadConverter.fromPayload(back)).toBe(text);
  });

  it.each([
    '上海某某贸易有限公司',
    '王经理 +86 21 5555 0101',
    'sales_review: reminded (sales) at 2026-12-01T08:00:00.000Z 王经理',
    '6554.00',
  ])('"%s" is encrypted', async (text) => {
    const [out] = await codec.encode([payload(text)]);
    expect(enc(out)).toBe('binary/encrypted');
    expect(Buffer.from(out.data!).toString('utf8')).not.toContain(text);
    const [back] = await codec.decode([out]);
    expect(defaultPayloadConverter.fromPayload(back)).toBe(text);
  });

  it('a summary-shaped string inside an object is encrypted (only whole summary payloads stay plain)', async () => {
    const p = payload({ note: 'progress update every 7d' });
    expect(isPublicSummary(p)).toBe(false);
    expect(enc((await codec.encode([p]))[0])).toBe('binary/encrypted');
  });
});

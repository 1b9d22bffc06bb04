/**
 * Policy durations are written the way people say them: "90s", "15m", "24h",
 * "3d", "2w", "500ms", optionally signed ("-3d" = three days before).
 * Pure: used by the workflow (timers), the API (validation) and tests.
 */
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

const DURATION_RE = /^([+-]?)(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;

export function isDuration(text: unknown): text is string {
  return typeof text === 'string' && DURATION_RE.test(text.trim());
}

/** Milliseconds of a duration string; throws on anything else so a bad policy fails at start. */
export function parseDuration(text: string): number {
  const m = DURATION_RE.exec(text.trim());
  if (!m) throw new Error(`not a duration: "${text}" (expected e.g. 90s, 15m, 24h, 3d)`);
  const ms = Math.round(Number(m[2]) * UNIT_MS[m[3]]);
  return m[1] === '-' ? -ms : ms;
}

export function addDuration(isoTime: string, duration: string): string {
  return new Date(new Date(isoTime).getTime() + parseDuration(duration)).toISOString();
}

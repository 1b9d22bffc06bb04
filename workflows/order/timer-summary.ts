/**
 * The shapes of the order workflow's timer summaries (the labels the Temporal
 * UI shows on its timeline), written by the stage clock
 * (`<stage>: <level> (<role>) at <ISO time>`, stage-clock.ts), the dunning
 * loop (`dunning: <level code> at <ISO time>`) and the progress-mail loop
 * (`progress update every <duration>`), workflow.ts.
 *
 * They name a stage, a role, a level and a time, never a customer, a person
 * or an amount, so the payload codec leaves them unencrypted
 * (activities/infra/codec.ts) and the UI's timeline is readable without the
 * codec. Matching the text, not marking it in the workflow, keeps the
 * workflow's commands as they were: nothing to replay differently, and old
 * histories (encrypted summaries) still decode. Keep this in step with those
 * strings; test/unit/timer-summary.test.ts checks the real formats.
 */
export const TIMER_SUMMARY_RE =
  /^(?:[a-z_]+: [a-z_]+ \([a-z_]+\) at \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z|dunning: [A-Za-z0-9_-]{1,40} at [0-9T:.+Z-]{10,30}|progress update every [0-9a-z]{1,12})$/;

export const isTimerSummary = (text: string): boolean => text.length <= 200 && TIMER_SUMMARY_RE.test(text);

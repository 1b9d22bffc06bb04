/**
 * The order policy (SPEC section 6): every time limit, escalation step,
 * timeout action, threshold and dunning level. Configuration, not code:
 * the defaults below are realistic; a JSON file named by POLICY_FILE
 * overrides any part of them (tests and demos shrink the times to seconds).
 *
 * A copy of the resolved policy travels in each order's workflow input, so a
 * running order keeps the rules it started with and replays deterministically.
 */
import { isDuration, parseDuration } from './duration';

export const ROLES = [
  'sales',
  'sales_manager',
  'finance',
  'finance_manager',
  'production',
  'logistics',
  'marketing',
  'admin',
  'auditor',
] as const;
export type Role = (typeof ROLES)[number];

/** What a stage does when its time limit, reminder and escalation have all run out. */
export type TimeoutAction = 'reject' | 'cancel' | 'keep_waiting';

export interface StagePolicy {
  /** Time allowed in the stage before the assignee is reminded. */
  limit: string;
  /** After the reminder, time before the manager role is alerted. */
  escalateAfter: string;
  /** After the escalation, time before the timeout action is taken. */
  actionAfter: string;
  timeoutAction: TimeoutAction;
  assignee: Role;
  manager: Role;
}

/** Stages whose waits are bounded by a StagePolicy. */
export const TIMED_STAGES = [
  'sales_review',
  'correction',
  'finance_review',
  'joint_review',
  'change_review',
  'stock_preparation',
  'awaiting_prepayment',
  'shipping',
  'in_transit',
  'exception',
] as const;
export type TimedStage = (typeof TIMED_STAGES)[number];

export interface PaymentTermPolicy {
  /** Time from invoice to due date. */
  creditPeriod: string;
  /** Invoice at confirmation and ship only when paid. */
  prepayment: boolean;
}

export interface DunningLevel {
  code: string;
  /** Offset from the due date ("-3d" = three days before it). */
  offset: string;
  /** The last level: the customer goes on credit hold and the finance manager is alerted. */
  final?: boolean;
}

export interface Policy {
  stages: Record<TimedStage, StagePolicy>;
  paymentTerms: Record<string, PaymentTermPolicy>;
  dunning: DunningLevel[];
  /** Added to a production order's planned finish before it counts as late. */
  productionGrace: string;
  /** Added to a shipment's ETA before it counts as late. */
  deliveryGrace: string;
  progressUpdateInterval: string;
  /**
   * Early warning: how long before a stage's limit the assignee is warned that
   * it is about to pass (no warning when the whole limit is shorter).
   */
  earlyWarning: string;
  /** Orders above this total (in the order's currency) need joint review. */
  jointReviewThreshold: string;
  /** Minimum gross margin on list cost, as a fraction ("0.15" = 15 %). */
  minMargin: string;
  /** Sales pre-check flags unit prices further than this fraction from list. */
  priceDeviation: string;
  /** How many days a carrier booking is made before the requested delivery date at the latest. */
  shipLeadDays: number;
  /** Payment terms that need no joint review; any other term makes the order "special". */
  standardPaymentTerms: string[];
  /**
   * History length at which a long-lived order continues as new (its state
   * carried over), so months of waiting never grow one history without bound.
   */
  maxHistoryEvents: number;
}

const stage = (
  limit: string,
  escalateAfter: string,
  actionAfter: string,
  timeoutAction: TimeoutAction,
  assignee: Role,
  manager: Role,
): StagePolicy => ({ limit, escalateAfter, actionAfter, timeoutAction, assignee, manager });

export const DEFAULT_POLICY: Policy = {
  stages: {
    sales_review: stage('1d', '4h', '2d', 'reject', 'sales', 'sales_manager'),
    correction: stage('2d', '1d', '5d', 'cancel', 'sales', 'sales_manager'),
    finance_review: stage('1d', '4h', '2d', 'reject', 'finance', 'finance_manager'),
    // Joint review: each department (production, logistics, finance) has this clock;
    // finance escalates to finance_manager, the others to the manager below.
    joint_review: stage('2d', '1d', '3d', 'reject', 'production', 'sales_manager'),
    // A change request under review; a change that times out is refused, the order goes on.
    change_review: stage('1d', '1d', '2d', 'reject', 'sales', 'sales_manager'),
    // Stock preparation's limit is the production plan (planned finish + grace) when
    // something must be made; this limit applies when everything was in stock.
    stock_preparation: stage('2d', '1d', '7d', 'keep_waiting', 'production', 'sales_manager'),
    awaiting_prepayment: stage('7d', '3d', '14d', 'cancel', 'finance', 'finance_manager'),
    shipping: stage('2d', '1d', '7d', 'keep_waiting', 'logistics', 'sales_manager'),
    in_transit: stage('10d', '2d', '30d', 'keep_waiting', 'logistics', 'sales_manager'),
    // "Needs attention" (SPEC 3a): a step failed for a reason retrying will not fix. The
    // failed stage's assignee and manager are reminded and alerted; it waits for a person
    // (retry or cancel), so its only timeout action is to keep waiting.
    exception: stage('4h', '4h', '1d', 'keep_waiting', 'sales', 'sales_manager'),
  },
  paymentTerms: {
    PREPAYMENT: { creditPeriod: '7d', prepayment: true },
    NET_15: { creditPeriod: '15d', prepayment: false },
    NET_30: { creditPeriod: '30d', prepayment: false },
    NET_60: { creditPeriod: '60d', prepayment: false },
  },
  dunning: [
    { code: 'friendly', offset: '-3d' },
    { code: 'overdue_1', offset: '1d' },
    { code: 'overdue_7', offset: '7d' },
    { code: 'overdue_15', offset: '15d' },
    { code: 'final', offset: '30d', final: true },
  ],
  productionGrace: '2d',
  deliveryGrace: '1d',
  progressUpdateInterval: '7d',
  earlyWarning: '4h',
  jointReviewThreshold: '500000',
  minMargin: '0.15',
  priceDeviation: '0.2',
  shipLeadDays: 3,
  standardPaymentTerms: ['NET_30', 'PREPAYMENT'],
  maxHistoryEvents: 2000,
};

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };
export type PolicyOverrides = DeepPartial<Policy>;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Lays `over` onto `base` key by key (arrays and scalars replace). */
export function deepMerge<T>(base: T, over: unknown): T {
  if (!isPlainObject(over) || !isPlainObject(base)) return (over === undefined ? base : over) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge((base as Record<string, unknown>)[k], v);
  return out as T;
}

/** Policy problems as "path: message" lines; empty when the policy is usable. */
export function policyProblems(p: Policy): string[] {
  const problems: string[] = [];
  const dur = (path: string, v: unknown, allowNegative = false) => {
    if (!isDuration(v)) problems.push(`${path}: "${String(v)}" is not a duration like 90s, 15m, 24h, 3d`);
    else if (!allowNegative && v.trim().startsWith('-')) problems.push(`${path}: must not be negative`);
  };
  for (const name of TIMED_STAGES) {
    const s = p.stages?.[name];
    if (!s) {
      problems.push(`stages.${name}: missing`);
      continue;
    }
    dur(`stages.${name}.limit`, s.limit);
    dur(`stages.${name}.escalateAfter`, s.escalateAfter);
    dur(`stages.${name}.actionAfter`, s.actionAfter);
    if (!['reject', 'cancel', 'keep_waiting'].includes(s.timeoutAction))
      problems.push(`stages.${name}.timeoutAction: must be reject, cancel or keep_waiting`);
    if (!ROLES.includes(s.assignee)) problems.push(`stages.${name}.assignee: unknown role "${s.assignee}"`);
    if (!ROLES.includes(s.manager)) problems.push(`stages.${name}.manager: unknown role "${s.manager}"`);
  }
  if (p.stages?.exception && p.stages.exception.timeoutAction !== 'keep_waiting')
    problems.push('stages.exception.timeoutAction: must be keep_waiting (an exception waits for a person)');
  if (!isPlainObject(p.paymentTerms) || Object.keys(p.paymentTerms).length === 0)
    problems.push('paymentTerms: at least one payment term is required');
  for (const [code, t] of Object.entries(p.paymentTerms ?? {})) {
    if (!/^[A-Z][A-Z0-9_]{1,31}$/.test(code)) problems.push(`paymentTerms.${code}: codes are UPPER_SNAKE_CASE`);
    dur(`paymentTerms.${code}.creditPeriod`, t.creditPeriod);
    if (typeof t.prepayment !== 'boolean') problems.push(`paymentTerms.${code}.prepayment: must be true or false`);
  }
  if (!Array.isArray(p.dunning) || p.dunning.length === 0) problems.push('dunning: at least one level is required');
  else {
    p.dunning.forEach((l, i) => dur(`dunning[${i}].offset`, l.offset, true));
    const ms = p.dunning.filter((l) => isDuration(l.offset)).map((l) => parseDuration(l.offset));
    if (ms.some((v, i) => i > 0 && v <= ms[i - 1])) problems.push('dunning: offsets must increase level by level');
    if (p.dunning.filter((l) => l.final).length > 1) problems.push('dunning: only one level can be final');
    if (p.dunning.some((l, i) => l.final && i !== p.dunning.length - 1)) problems.push('dunning: the final level must be the last');
  }
  dur('productionGrace', p.productionGrace);
  dur('deliveryGrace', p.deliveryGrace);
  dur('progressUpdateInterval', p.progressUpdateInterval);
  dur('earlyWarning', p.earlyWarning);
  for (const key of ['jointReviewThreshold', 'minMargin', 'priceDeviation'] as const)
    if (typeof p[key] !== 'string' || !/^\d+(\.\d+)?$/.test(p[key])) problems.push(`${key}: must be a non-negative decimal string`);
  if (!Number.isInteger(p.shipLeadDays) || p.shipLeadDays < 0) problems.push('shipLeadDays: must be a whole number of days');
  if (!Array.isArray(p.standardPaymentTerms) || p.standardPaymentTerms.some((t) => !(t in (p.paymentTerms ?? {}))))
    problems.push('standardPaymentTerms: must list payment term codes defined in paymentTerms');
  if (!Number.isInteger(p.maxHistoryEvents) || p.maxHistoryEvents < 100)
    problems.push('maxHistoryEvents: must be a whole number of at least 100');
  return problems;
}

/** Defaults with the overrides laid over them; throws listing every problem. */
export function resolvePolicy(overrides?: unknown): Policy {
  const policy = deepMerge(DEFAULT_POLICY, overrides ?? {});
  const problems = policyProblems(policy);
  if (problems.length) throw new Error(`invalid policy:\n  ${problems.join('\n  ')}`);
  return policy;
}

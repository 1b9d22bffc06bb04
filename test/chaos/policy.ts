/**
 * The policy of a chaos run (POLICY_FILE of its worker and API): every clock
 * shrunk to seconds, so reminders, escalations, timeouts, the production and
 * delivery grace, progress mails and the whole dunning ladder fire while the
 * run lasts; a low joint-review threshold so many orders are jointly
 * reviewed; a short history limit so long orders continue as new mid-run.
 */
import type { PolicyOverrides } from '../../workflows/domain/policy';

const clock = (limit: string, escalateAfter: string, actionAfter: string) => ({ limit, escalateAfter, actionAfter });

export const CHAOS_POLICY: PolicyOverrides = {
  stages: {
    // Long enough that a loaded two-core machine can still decide most reviews in time.
    sales_review: clock('30s', '15s', '45s'),
    correction: clock('30s', '15s', '45s'),
    finance_review: clock('30s', '15s', '45s'),
    joint_review: clock('30s', '15s', '45s'),
    change_review: clock('30s', '15s', '45s'),
    stock_preparation: clock('25s', '10s', '40s'),
    awaiting_prepayment: clock('30s', '10s', '40s'),
    shipping: clock('25s', '10s', '40s'),
    in_transit: clock('25s', '10s', '40s'),
    exception: clock('20s', '10s', '30s'),
  },
  paymentTerms: {
    PREPAYMENT: { creditPeriod: '40s', prepayment: true },
    NET_15: { creditPeriod: '30s', prepayment: false },
    NET_30: { creditPeriod: '40s', prepayment: false },
    NET_60: { creditPeriod: '60s', prepayment: false },
  },
  dunning: [
    { code: 'friendly', offset: '-10s' },
    { code: 'overdue_1', offset: '5s' },
    { code: 'overdue_7', offset: '15s' },
    { code: 'overdue_15', offset: '25s' },
    { code: 'final', offset: '40s', final: true },
  ],
  productionGrace: '20s',
  deliveryGrace: '20s',
  progressUpdateInterval: '30s',
  earlyWarning: '5s',
  jointReviewThreshold: '20000',
  maxHistoryEvents: 300,
};

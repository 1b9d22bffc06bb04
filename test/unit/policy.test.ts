import { DEFAULT_POLICY, policyProblems, resolvePolicy, type Policy } from '../../workflows/domain/policy';

const clone = (): Policy => JSON.parse(JSON.stringify(DEFAULT_POLICY));

describe('resolvePolicy', () => {
  it('returns the defaults without overrides', () => {
    expect(resolvePolicy()).toEqual(DEFAULT_POLICY);
    expect(policyProblems(DEFAULT_POLICY)).toEqual([]);
  });
  it('lays deep overrides over the defaults without mutating them', () => {
    const p = resolvePolicy({ stages: { sales_review: { limit: '5s' } }, minMargin: '0.2', shipLeadDays: 1 });
    expect(p.stages.sales_review).toEqual({ ...DEFAULT_POLICY.stages.sales_review, limit: '5s' });
    expect(p.stages.finance_review).toEqual(DEFAULT_POLICY.stages.finance_review);
    expect(p.minMargin).toBe('0.2');
    expect(p.shipLeadDays).toBe(1);
    expect(DEFAULT_POLICY.stages.sales_review.limit).toBe('1d');
  });
  it('replaces arrays whole', () => {
    const p = resolvePolicy({ dunning: [{ code: 'final', offset: '10s', final: true }] });
    expect(p.dunning).toEqual([{ code: 'final', offset: '10s', final: true }]);
  });
  it('adds payment terms alongside the defaults', () => {
    const p = resolvePolicy({ paymentTerms: { NET_90: { creditPeriod: '90d', prepayment: false } } });
    expect(Object.keys(p.paymentTerms)).toEqual(['PREPAYMENT', 'NET_15', 'NET_30', 'NET_60', 'NET_90']);
  });
  it('throws listing every problem', () => {
    expect(() => resolvePolicy({ minMargin: 'abc', progressUpdateInterval: 'weekly' })).toThrow(
      /invalid policy:[\s\S]*progressUpdateInterval[\s\S]*minMargin/,
    );
  });
});

describe('policyProblems', () => {
  const problemsOf = (edit: (p: Policy) => void) => {
    const p = clone();
    edit(p);
    return policyProblems(p);
  };

  it('reports a missing stage', () => {
    expect(problemsOf((p) => delete (p.stages as Partial<Policy['stages']>).shipping)).toEqual(['stages.shipping: missing']);
  });
  it('reports bad and negative stage durations', () => {
    expect(problemsOf((p) => (p.stages.sales_review.limit = '1 day'))).toEqual([
      'stages.sales_review.limit: "1 day" is not a duration like 90s, 15m, 24h, 3d',
    ]);
    expect(problemsOf((p) => (p.stages.joint_review.escalateAfter = '-1h'))).toEqual(['stages.joint_review.escalateAfter: must not be negative']);
  });
  it('reports a bad timeout action and unknown roles', () => {
    expect(
      problemsOf((p) => {
        (p.stages.shipping as { timeoutAction: string }).timeoutAction = 'explode';
        (p.stages.shipping as { assignee: string }).assignee = 'ceo';
        (p.stages.shipping as { manager: string }).manager = 'boss';
      }),
    ).toEqual([
      'stages.shipping.timeoutAction: must be reject, cancel or keep_waiting',
      'stages.shipping.assignee: unknown role "ceo"',
      'stages.shipping.manager: unknown role "boss"',
    ]);
  });
  it('reports payment term problems', () => {
    expect(problemsOf((p) => (p.paymentTerms = {}))).toEqual([
      'paymentTerms: at least one payment term is required',
      'standardPaymentTerms: must list payment term codes defined in paymentTerms',
    ]);
    expect(
      problemsOf((p) => {
        p.paymentTerms = { net30: { creditPeriod: '30', prepayment: 'no' as unknown as boolean } };
      }),
    ).toEqual([
      'paymentTerms.net30: codes are UPPER_SNAKE_CASE',
      'paymentTerms.net30.creditPeriod: "30" is not a duration like 90s, 15m, 24h, 3d',
      'paymentTerms.net30.prepayment: must be true or false',
      'standardPaymentTerms: must list payment term codes defined in paymentTerms',
    ]);
  });
  it('reports dunning problems', () => {
    expect(problemsOf((p) => (p.dunning = []))).toEqual(['dunning: at least one level is required']);
    expect(problemsOf((p) => (p.dunning = [{ code: 'a', offset: '1d' }, { code: 'b', offset: '1d' }]))).toEqual([
      'dunning: offsets must increase level by level',
    ]);
    expect(problemsOf((p) => (p.dunning = [{ code: 'a', offset: 'soon' }]))).toEqual([
      'dunning[0].offset: "soon" is not a duration like 90s, 15m, 24h, 3d',
    ]);
    expect(
      problemsOf((p) => (p.dunning = [{ code: 'a', offset: '-1d', final: true }, { code: 'b', offset: '1d', final: true }])),
    ).toEqual(['dunning: only one level can be final', 'dunning: the final level must be the last']);
    // negative offsets are allowed for dunning
    expect(problemsOf((p) => (p.dunning = [{ code: 'a', offset: '-3d' }, { code: 'b', offset: '2d', final: true }]))).toEqual([]);
  });
  it('reports bad graces, intervals, decimals and ship lead days', () => {
    expect(
      problemsOf((p) => {
        p.productionGrace = '-1d';
        p.deliveryGrace = 'x';
        p.jointReviewThreshold = '-5';
        p.priceDeviation = '20%';
        p.shipLeadDays = 1.5;
      }),
    ).toEqual([
      'productionGrace: must not be negative',
      'deliveryGrace: "x" is not a duration like 90s, 15m, 24h, 3d',
      'jointReviewThreshold: must be a non-negative decimal string',
      'priceDeviation: must be a non-negative decimal string',
      'shipLeadDays: must be a whole number of days',
    ]);
  });
});

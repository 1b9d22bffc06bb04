/**
 * The people of a chaos run: one agent per order plays sales, the managers,
 * finance, production and logistics through the HTTP API. Each step it
 * reads the order (GET /orders/:no, as a person would) and picks, from its
 * own seeded stream, what someone does next: the step the stage waits for
 * (approve, reject, return, correct, decide for a department, report
 * production with a passing or failing quality check, dispatch, confirm
 * delivery, pay in part or in full), something else that may happen at any
 * time (a change request and its reviews, hold and release, cancel), a late
 * command for a stage already passed, or two people acting on the same thing
 * at the same moment (a conflict pair: two decisions on one review, two
 * corrections, two releases, dispatch racing cancel, one payment reference
 * twice). Some orders are abandoned part-way so their clocks run out.
 *
 * Every command's HTTP status is counted; conflict pairs are kept for the
 * invariant "at most one of two exclusive commands is accepted".
 */
import { HttpClient, type HttpResult } from '../../bench/lib/http';
import { errorText, sleep } from '../../bench/lib/util';
import { Rng } from './rng';
import type { ChaosFixtures } from './fixtures';

export interface CommandCount {
  sent: number;
  byStatus: Record<string, number>;
  /** A few distinct refusals (status and message), to read why. */
  refusals: string[];
}

export interface ConflictPair {
  kind: string;
  orderNo: string;
  /** Exclusive: at most one may be accepted. Idempotent: both may be, with the same answer. */
  rule: 'exclusive' | 'idempotent' | 'race';
  results: { status: number; body: unknown }[];
}

export interface DriverStats {
  commands: Record<string, CommandCount>;
  pairs: ConflictPair[];
  /** Orders taken (order number by agent index). */
  orders: Map<number, string>;
  /** Agents that stopped on an error of the harness itself (not a refusal). */
  agentErrors: string[];
  started: number;
  finished: number;
}

export interface DriverOptions {
  seed: number;
  runId: string;
  orders: number;
  concurrency: number;
  /** No new step after this time (ms since epoch). */
  deadline: number;
  fixtures: ChaosFixtures;
  log: (line: string) => void;
}

const TERMINAL = new Set(['closed', 'rejected', 'cancelled']);
const DISPATCHED = new Set(['in_transit', 'awaiting_payment', 'closed']);
const PRE_CONFIRMATION = new Set(['sales_review', 'correction', 'finance_review', 'joint_review']);
const JOINT = ['production', 'logistics', 'finance'] as const;
/** Two people per department, so two of them can decide the same thing at once. */
const PEOPLE: Record<string, [string, string]> = {
  sales: ['sales', 'sales_manager'],
  sales_review: ['sales_manager', 'sales_manager2'],
  finance: ['finance', 'finance2'],
  production: ['production', 'production2'],
  logistics: ['logistics', 'logistics2'],
  managers: ['sales_manager', 'finance_manager'],
};
export const CHAOS_USERS = ['sales', 'sales_manager', 'sales_manager2', 'finance', 'finance2', 'finance_manager', 'production', 'production2', 'logistics', 'logistics2'];

const cents = (s: string | undefined | null): number => Math.round(Number(s ?? 0) * 100);
const money = (c: number): string => (c / 100).toFixed(2);

export class Driver {
  readonly stats: DriverStats = { commands: {}, pairs: [], orders: new Map(), agentErrors: [], started: 0, finished: 0 };
  private readonly http: HttpClient;

  constructor(apiUrl: string, private readonly o: DriverOptions) {
    this.http = new HttpClient(apiUrl, o.concurrency * 3 + 8);
  }

  close(): void {
    this.http.close();
  }

  private count(kind: string, res: HttpResult): void {
    const c = (this.stats.commands[kind] ??= { sent: 0, byStatus: {}, refusals: [] });
    c.sent += 1;
    const k = res.status === 0 ? 'no answer' : String(res.status);
    c.byStatus[k] = (c.byStatus[k] ?? 0) + 1;
    if (res.status >= 300 || res.status === 0) {
      const message = `${k} ${String(typeof res.body === 'object' && res.body ? (res.body.message ?? JSON.stringify(res.body)) : res.body).replace(/SO-\d{4}-\d+/g, 'SO-…').slice(0, 140)}`;
      if (c.refusals.length < 3 && !c.refusals.includes(message)) c.refusals.push(message);
    }
  }

  /**
   * One command; a network error or timeout is status 0. When the system says
   * it is unavailable or did not answer in time (503, 504, no answer), the
   * person repeats the same request once a little later, as people do.
   */
  async send(kind: string, actor: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpResult> {
    const once = async (k: string): Promise<HttpResult> => {
      let res: HttpResult;
      try {
        res = await this.http.request('POST', path, { actor, body: body ?? {}, headers, timeoutMs: 45_000 });
      } catch (err) {
        res = { status: 0, body: errorText(err), ms: 0 };
      }
      this.count(k, res);
      return res;
    };
    const res = await once(kind);
    if (![0, 503, 504].includes(res.status) || kind === 'intake' || Date.now() > this.o.deadline) return res;
    await sleep(3_000);
    return once(`${kind} (repeated)`);
  }

  /** Two commands at the same moment. */
  async pair(kind: string, orderNo: string, rule: ConflictPair['rule'], a: () => Promise<HttpResult>, b: () => Promise<HttpResult>): Promise<void> {
    const [ra, rb] = await Promise.all([a(), b()]);
    this.stats.pairs.push({ kind, orderNo, rule, results: [ra, rb].map((r) => ({ status: r.status, body: r.body })) });
  }

  async view(orderNo: string): Promise<any | undefined> {
    try {
      const res = await this.http.request('GET', `/orders/${encodeURIComponent(orderNo)}`, { actor: 'sales_manager', timeoutMs: 30_000 });
      return res.status === 200 ? res.body : undefined;
    } catch {
      return undefined;
    }
  }

  /** Runs the agents, at most `concurrency` at a time, until each ends or the deadline passes. */
  async run(): Promise<void> {
    let next = 0;
    const lanes = Array.from({ length: Math.max(1, Math.min(this.o.concurrency, this.o.orders)) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= this.o.orders || Date.now() > this.o.deadline) return;
        this.stats.started += 1;
        try {
          await this.agent(i);
        } catch (err) {
          this.stats.agentErrors.push(`order #${i}: ${errorText(err)}`);
        } finally {
          this.stats.finished += 1;
        }
      }
    });
    await Promise.all(lanes);
  }

  private intakeBody(rng: Rng): { body: Record<string, unknown>; lines: { productId: string; quantity: number; unitPrice: string; taxRate: string }[] } {
    const f = this.o.fixtures;
    const kind = rng.weighted({ stock: 6, mto: 3, big: 1 });
    const lines: { productId: string; quantity: number; unitPrice: string; taxRate: string }[] = [];
    const stock = rng.pick(f.stockProducts);
    lines.push({ productId: stock.id, quantity: rng.int(1, kind === 'big' ? 60 : 6), unitPrice: stock.listPrice, taxRate: '0.13' });
    if (kind === 'mto') {
      const mto = rng.pick(f.mtoProducts);
      lines.push({ productId: mto.id, quantity: rng.int(1, 3), unitPrice: mto.listPrice, taxRate: '0.13' });
    }
    const inDays = rng.int(5, 30);
    const body: Record<string, unknown> = {
      customerId: rng.pick(f.customerIds),
      channel: rng.pick(['phone', 'email', 'fax', 'ecommerce', 'api']),
      contact: { name: '王经理', phone: '+86 21 5555 0101', email: 'wang@example.cn' },
      requestedDeliveryDate: new Date(Date.now() + inDays * 86_400_000).toISOString().slice(0, 10),
      deliveryAddress: {
        recipient: '王经理',
        phone: '+86 21 5555 0101',
        // A few orders go where no carrier delivers: booking cannot succeed.
        region: rng.chance(f.unservedRegion ? 0.05 : 0) ? f.unservedRegion! : f.region,
        city: '某市',
        line1: '世纪大道100号',
      },
      paymentTerms: rng.weighted({ NET_30: 5, PREPAYMENT: 2, NET_60: 1, NET_15: 1 }),
      lines,
      ...(rng.chance(0.1) ? { special: true } : {}),
    };
    return { body, lines };
  }

  /** One order's life, as the people around it act on it. */
  private async agent(i: number): Promise<void> {
    const rng = Rng.of(this.o.seed, `order-${i}`);
    const { body, lines } = this.intakeBody(rng);
    const key = { 'idempotency-key': `chaos-${this.o.runId}-${i}` };
    let intake: HttpResult;
    if (rng.chance(0.1)) {
      // The same submission twice at once (a double click): one order.
      const results: HttpResult[] = [];
      await this.pair('intake (same key)', `#${i}`, 'idempotent', async () => {
        const r = await this.send('intake', 'sales', '/orders', body, key);
        results.push(r);
        return r;
      }, async () => {
        const r = await this.send('intake', 'sales', '/orders', body, key);
        results.push(r);
        return r;
      });
      intake = results.find((r) => r.status === 201 || r.status === 200) ?? results[0];
    } else {
      intake = await this.send('intake', 'sales', '/orders', body, key);
    }
    // Temporal away or a timeout: the person repeats the submission with the same key.
    for (let attempt = 0; !(intake.status === 201 || intake.status === 200) && attempt < 6 && Date.now() < this.o.deadline; attempt++) {
      if (intake.status >= 400 && intake.status < 500) throw new Error(`intake refused: ${intake.status} ${JSON.stringify(intake.body).slice(0, 300)}`);
      await sleep(3_000);
      intake = await this.send('intake', 'sales', '/orders', body, key);
    }
    if (!(intake.status === 201 || intake.status === 200)) return;
    const orderNo: string = intake.body.orderNo;
    this.stats.orders.set(i, orderNo);
    const base = `/orders/${encodeURIComponent(orderNo)}`;

    // Most orders are seen through to the end; some are left part-way (their clocks run out or they wait, named).
    const budget = rng.chance(0.8) ? 200 : rng.int(1, 10);
    let paymentRef = 0;
    let changeNo = 0;
    for (let step = 0; step < budget && Date.now() < this.o.deadline; step++) {
      await sleep(rng.chance(0.1) ? rng.int(4_000, 12_000) : rng.int(150, 1_500));
      const v = await this.view(orderNo);
      if (!v) continue;
      const stage: string = v.stage;
      if (TERMINAL.has(stage)) return;
      const live = v.live ?? {};
      const onHold = !!(live.hold ?? v.onHold);

      // --- things that can happen at any time ---------------------------------
      const r = rng.next();
      if (r < 0.05) {
        await this.lateCommand(rng, base, stage);
        continue;
      }
      if (r < 0.08 && !DISPATCHED.has(stage)) {
        const who = rng.pick(['sales_manager', 'finance_manager', 'sales']);
        if (rng.chance(0.3)) {
          // Cancel racing the stage's own next step.
          await this.pair('cancel vs next step', orderNo, 'race',
            () => this.send('cancel', who, `${base}/cancel`, { reason: '客户取消 (chaos)' }),
            () => this.stageStep(rng, base, v, stage, lines, () => paymentRef++).then((x) => x ?? { status: 0, body: 'no step', ms: 0 }));
        } else {
          await this.send('cancel', who, `${base}/cancel`, { reason: '客户取消 (chaos)' });
        }
        continue;
      }
      if (r < 0.13) {
        const manager = rng.pick(PEOPLE.managers);
        if (!onHold) await this.send('hold', manager, `${base}/hold`, { reason: '暂停 (chaos)' });
        else if (rng.chance(0.3))
          await this.pair('release twice', orderNo, 'exclusive',
            () => this.send('release', 'finance_manager', `${base}/release`, { reason: '恢复 (chaos)' }),
            () => this.send('release', 'sales_manager', `${base}/release`, { reason: '恢复 (chaos)' }));
        else await this.send('release', 'finance_manager', `${base}/release`, { reason: '恢复 (chaos)' });
        continue;
      }
      const openChange = (live.changes ?? []).find((c: any) => c.status === 'under_review');
      if (openChange && rng.chance(0.6)) {
        await this.reviewChange(rng, base, orderNo, openChange);
        continue;
      }
      if (r < 0.2 && !DISPATCHED.has(stage) && !openChange) {
        changeNo += 1;
        const changes = rng.chance(0.5)
          ? { requestedDeliveryDate: new Date(Date.now() + rng.int(10, 40) * 86_400_000).toISOString().slice(0, 10) }
          : { lines: lines.map((l) => ({ ...l, quantity: Math.max(1, l.quantity + rng.int(-1, 2)) })) };
        await this.send('change request', 'sales', `${base}/changes`, { changes, reason: '客户来函变更 (chaos)' }, { 'idempotency-key': `chaos-${this.o.runId}-${i}-chg-${changeNo}` });
        continue;
      }
      if (onHold && rng.chance(0.7)) {
        await this.send('release', 'finance_manager', `${base}/release`, { reason: '恢复 (chaos)' });
        continue;
      }
      await this.stageStep(rng, base, v, stage, lines, () => paymentRef++, orderNo);
    }
  }

  /** A command for a stage the order is not in (already passed, or not reached). */
  private async lateCommand(rng: Rng, base: string, stage: string): Promise<void> {
    const options: [string, () => Promise<HttpResult>][] = [
      ['sales review', () => this.send('sales review (late)', 'sales_manager', `${base}/reviews/sales`, { decision: 'approve' })],
      ['finance review', () => this.send('finance review (late)', 'finance', `${base}/reviews/finance`, { decision: 'approve' })],
      ['joint review', () => this.send('joint review (late)', 'production', `${base}/reviews/joint`, { department: 'production', decision: 'approve' })],
      ['correction', () => this.send('correction (late)', 'sales', `${base}/correction`, { changes: { requestedDeliveryDate: new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10) } })],
      ['dispatch', () => this.send('dispatch (late)', 'logistics', `${base}/dispatch`, {})],
      ['delivery', () => this.send('delivery (late)', 'logistics', `${base}/delivery`, {})],
    ];
    const current: Record<string, string> = { sales_review: 'sales review', finance_review: 'finance review', joint_review: 'joint review', correction: 'correction', shipping: 'dispatch', in_transit: 'delivery' };
    const wrong = options.filter(([name]) => name !== current[stage]);
    await rng.pick(wrong)[1]();
  }

  private async reviewChange(rng: Rng, base: string, orderNo: string, change: any): Promise<void> {
    const pending = Object.entries(change.reviewers ?? {})
      .filter(([, s]: [string, any]) => !s?.decision)
      .map(([d]) => d);
    if (pending.length === 0) return;
    const dept = rng.pick(pending);
    const path = `${base}/changes/${encodeURIComponent(change.changeId)}/reviews`;
    const decide = (actor: string, decision: 'approve' | 'reject') =>
      this.send('change review', actor, path, { department: dept, decision, ...(decision === 'reject' ? { comment: '不同意 (chaos)' } : {}) });
    const people = PEOPLE[dept] ?? [dept, dept];
    if (rng.chance(0.25))
      await this.pair(`change review twice (${dept})`, orderNo, 'exclusive', () => decide(people[0], 'approve'), () => decide(people[1], rng.chance(0.5) ? 'approve' : 'reject'));
    else await decide(rng.pick(people), rng.chance(0.85) ? 'approve' : 'reject');
  }

  /** What the order's current stage waits for (sometimes done twice at once, or done wrong). */
  private async stageStep(rng: Rng, base: string, v: any, stage: string, lines: { productId: string; quantity: number; unitPrice: string; taxRate: string }[], ref: () => number, orderNo?: string): Promise<HttpResult | undefined> {
    const conflict = !!orderNo && rng.chance(0.25);
    const review = (kind: string, path: string, actor: string, decision: string) =>
      this.send(kind, actor, path, { decision, ...(decision !== 'approve' ? { comment: `${decision} (chaos)` } : {}) });
    switch (stage) {
      case 'sales_review':
      case 'finance_review': {
        const kind = stage === 'sales_review' ? 'sales review' : 'finance review';
        const path = `${base}/reviews/${stage === 'sales_review' ? 'sales' : 'finance'}`;
        const people = stage === 'sales_review' ? PEOPLE.sales_review : PEOPLE.finance;
        const decision = () => rng.weighted({ approve: 8, return: 1, reject: 1 });
        if (conflict) {
          await this.pair(`${kind} twice`, orderNo!, 'exclusive', () => review(kind, path, people[0], decision()), () => review(kind, path, people[1], decision()));
          return undefined;
        }
        return review(kind, path, rng.pick(people), decision());
      }
      case 'correction': {
        const correction = () => ({ changes: { lines: lines.map((l) => ({ ...l, quantity: l.quantity + rng.int(0, 1) })) } });
        if (conflict) {
          await this.pair('correction twice', orderNo!, 'exclusive', () => this.send('correction', 'sales', `${base}/correction`, correction()), () => this.send('correction', 'sales_manager', `${base}/correction`, correction()));
          return undefined;
        }
        return this.send('correction', 'sales', `${base}/correction`, correction());
      }
      case 'joint_review': {
        const joint = v.live?.joint ?? {};
        const pending = JOINT.filter((d) => !joint[d]?.decision);
        const dept = rng.pick(pending.length ? pending : [...JOINT]);
        const decide = (actor: string) => {
          const decision = rng.chance(0.85) ? 'approve' : 'reject';
          return this.send('joint review', actor, `${base}/reviews/joint`, { department: dept, decision, ...(decision === 'reject' ? { comment: '不同意 (chaos)' } : {}) });
        };
        if (conflict) {
          await this.pair(`joint review twice (${dept})`, orderNo!, 'exclusive', () => decide(PEOPLE[dept][0]), () => decide(PEOPLE[dept][1]));
          return undefined;
        }
        return decide(rng.pick(PEOPLE[dept]));
      }
      case 'stock_preparation': {
        const open = (v.productionOrders ?? []).filter((p: any) => p.status !== 'completed' && p.status !== 'cancelled');
        if (open.length === 0) return undefined;
        const po: any = rng.pick(open);
        const path = `/production-orders/${encodeURIComponent(po.id)}`;
        const complete = () => this.send('production complete', rng.pick(PEOPLE.production), `${path}/complete`, { qcPassed: rng.chance(0.8), ...(rng.chance(0.5) ? { note: '质检 (chaos)' } : {}) });
        if (conflict) {
          await this.pair('production complete twice', orderNo!, 'idempotent', complete, complete);
          return undefined;
        }
        if (rng.chance(0.4)) return this.send('production progress', rng.pick(PEOPLE.production), `${path}/progress`, { percent: rng.int(0, 100) });
        return complete();
      }
      case 'awaiting_prepayment':
      case 'awaiting_payment': {
        const invoice = v.live?.invoice ?? v.invoice;
        if (!invoice) return undefined;
        const outstanding = cents(invoice.amount) - cents(invoice.paid);
        if (outstanding <= 0) return undefined;
        const amount = rng.chance(0.3) && outstanding > 100 ? Math.floor(outstanding / 2) : outstanding;
        const body = { amount: money(amount), reference: `CHAOS-${this.o.runId}-${v.orderNo}-${ref()}`, paidAt: new Date(Date.now() - 60_000).toISOString() };
        const pay = (actor: string) => this.send('payment', actor, `${base}/payments`, body);
        if (conflict) {
          await this.pair('payment, same reference twice', orderNo!, 'idempotent', () => pay('finance'), () => pay('finance2'));
          return undefined;
        }
        return pay(rng.pick(PEOPLE.finance));
      }
      case 'shipping': {
        if (conflict && rng.chance(0.5)) {
          await this.pair('dispatch vs cancel', orderNo!, 'exclusive', () => this.send('dispatch', 'logistics', `${base}/dispatch`, {}), () => this.send('cancel', 'sales_manager', `${base}/cancel`, { reason: '客户取消 (chaos)' }));
          return undefined;
        }
        if (conflict) {
          await this.pair('dispatch twice', orderNo!, 'exclusive', () => this.send('dispatch', 'logistics', `${base}/dispatch`, {}), () => this.send('dispatch', 'logistics2', `${base}/dispatch`, {}));
          return undefined;
        }
        return this.send('dispatch', rng.pick(PEOPLE.logistics), `${base}/dispatch`, {});
      }
      case 'in_transit': {
        if (conflict) {
          await this.pair('delivery twice', orderNo!, 'exclusive', () => this.send('delivery', 'logistics', `${base}/delivery`, {}), () => this.send('delivery', 'logistics2', `${base}/delivery`, {}));
          return undefined;
        }
        return this.send('delivery', rng.pick(PEOPLE.logistics), `${base}/delivery`, {});
      }
      default:
        return this.exceptionStep(rng, base, stage, orderNo);
    }
  }

  /**
   * An order that needs attention (stage `exception`): someone retries the
   * failed step or cancels the order; sometimes two people resolve it at once.
   */
  private async exceptionStep(rng: Rng, base: string, stage: string, orderNo?: string): Promise<HttpResult | undefined> {
    if (stage !== 'exception') return undefined;
    const resolve = (actor: string) => {
      const action = rng.chance(0.6) ? 'retry' : 'cancel';
      return this.send(`resolve exception (${action})`, actor, `${base}/exception`, { action, comment: `${action} (chaos)` });
    };
    if (orderNo && rng.chance(0.25)) {
      await this.pair('resolve exception twice', orderNo, 'exclusive', () => resolve('sales_manager'), () => resolve('logistics'));
      return undefined;
    }
    return resolve(rng.pick(['sales_manager', 'finance_manager', 'logistics', 'production']));
  }
}

export { PRE_CONFIRMATION, TERMINAL };

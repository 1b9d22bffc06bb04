/**
 * Bad input changes nothing (issue 4, item 5): a corpus of bad requests
 * across the routes, each refused with the right 4xx and `{ error, message,
 * field? }` naming the field, no stack or SQL in the body; afterwards the
 * database (this file's customer, order, products, tokens) and the Temporal
 * workflows (the order's history, the workflows on this stack's task queue)
 * are exactly as before.
 *
 * Text fields refuse control characters (api/schemas.ts, formats `text-line`
 * and `text`): NUL and the other C0 controls everywhere except tab/newline
 * in free text, DEL and C1, bidi overrides/isolates, unpaired surrogates.
 * Injection strings are refused where the field is a reference (ids, terms,
 * usernames, cursors) and stored verbatim, harmlessly, where it is free text
 * (the last describe).
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { createFixture, type Fixture } from '../support/fixtures';
import { api, authHeaders, intakeBody, orderHandle, waitForStage } from '../support/orders';
import { useTestStack, type TestStack } from '../support/stack';

jest.setTimeout(180_000);

let stack: TestStack;
let f: Fixture;
let orderNo: string;
let changeId: string;
/** The Idempotency-Keys already used for the order and for a change of it (replays with another body: 409). */
const ORDER_KEY = `bad-order-${randomUUID()}`;
const CHANGE_KEY = `bad-change-${randomUUID()}`;
/** A user of this file only, whose tokens the token cases aim at. */
const TOKEN_USER = `logistics.bad-${randomUUID().slice(0, 8)}`;

const DAY = 86_400_000;
const inDays = (d: number) => new Date(Date.now() + d * DAY).toISOString().slice(0, 10);
const idem = () => ({ 'idempotency-key': `bad-${randomUUID()}` });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const SQL = "'; DROP TABLE orders;--";
const SCRIPT = '<script>alert(1)</script>';
const TEMPLATE = '{{7*7}}';
const MIB = 1024 * 1024;

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'PATCH';
  url: string;
  actor: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** Sent as is (with content-type application/json unless headers say otherwise). */
  rawBody?: string;
  status: number;
  field?: string;
  /** The message, when it does not contain the field's name. */
  message?: RegExp;
}

/** A valid intake body with `patch` applied to a copy (`lines[0]` patched via `line`). */
function intake(patch: Record<string, unknown> = {}, line: Record<string, unknown> = {}, drop: string[] = []): Record<string, unknown> {
  const body = JSON.parse(JSON.stringify(intakeBody(f))) as Record<string, any>;
  Object.assign(body.lines[0], line);
  for (const [k, v] of Object.entries(patch)) {
    if (k.includes('.')) {
      const [outer, inner] = k.split('.');
      body[outer] = { ...body[outer], [inner]: v };
    } else body[k] = v;
  }
  for (const d of drop) {
    if (d.includes('.')) {
      const [outer, inner] = d.split('.');
      delete body[outer][inner];
    } else delete body[d];
  }
  return body;
}

const changeBody = (changes: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ changes, reason: '客户来函', ...extra });
const address = (over: Record<string, unknown> = {}) => ({
  recipient: '王经理',
  phone: '+86 21 5555 0101',
  region: f.region,
  city: '上海市',
  line1: '浦东新区世纪大道100号',
  ...over,
});

function corpus(): Case[] {
  const O = `/orders/${orderNo}`;
  const post = (name: string, url: string, actor: string, body: unknown, status: number, field?: string, extra: Partial<Case> = {}): Case => ({
    name,
    method: 'POST',
    url,
    actor,
    body,
    status,
    field,
    ...extra,
  });
  const intakeCase = (name: string, body: unknown, status: number, field?: string, extra: Partial<Case> = {}) =>
    post(`intake: ${name}`, '/orders', 'sales', body, status, field, { headers: idem(), ...extra });
  const get = (name: string, url: string, actor: string, status: number, field?: string, extra: Partial<Case> = {}): Case => ({
    name,
    method: 'GET',
    url,
    actor,
    status,
    field,
    ...extra,
  });
  const codec = (name: string, body: unknown, status: number, field?: string, extra: Partial<Case> = {}) =>
    post(`codec: ${name}`, '/codec/decode', 'auditor', body, status, field, extra);

  return [
    // ---- intake: syntax and content type -------------------------------------------------------
    intakeCase('malformed JSON', undefined, 400, undefined, { rawBody: '{"customerId": "x", ' }),
    intakeCase('empty JSON body', undefined, 400, undefined, { rawBody: '' }),
    intakeCase('JSON array instead of an object', undefined, 400, 'body', { rawBody: '[]' }),
    intakeCase('JSON null', undefined, 400, 'body', { rawBody: 'null' }),
    intakeCase('__proto__ pollution', undefined, 400, undefined, { rawBody: JSON.stringify(intake()).replace(/^\{/, '{"__proto__":{"isAdmin":true},') }),
    intakeCase('text/plain body', undefined, 400, 'body', { rawBody: JSON.stringify(intake()), headers: { ...idem(), 'content-type': 'text/plain' } }),
    intakeCase('XML body', undefined, 415, undefined, { rawBody: '<order/>', headers: { ...idem(), 'content-type': 'application/xml' } }),
    intakeCase('form body', undefined, 415, undefined, { rawBody: 'customerId=x', headers: { ...idem(), 'content-type': 'application/x-www-form-urlencoded' } }),
    intakeCase('over 1 MiB', undefined, 413, undefined, { rawBody: JSON.stringify(intake({ notes: 'x'.repeat(MIB + 1) })) }),
    // ---- intake: headers --------------------------------------------------------------------------
    intakeCase('no Idempotency-Key', intake(), 400, 'Idempotency-Key', { headers: {} }),
    intakeCase('Idempotency-Key too short', intake(), 400, 'Idempotency-Key', { headers: { 'idempotency-key': 'abc' } }),
    intakeCase('Idempotency-Key with spaces', intake(), 400, 'Idempotency-Key', { headers: { 'idempotency-key': 'my key with spaces' } }),
    intakeCase('Idempotency-Key replayed with another body', intake({ notes: 'another body' }), 409, 'Idempotency-Key', { headers: { 'idempotency-key': ORDER_KEY } }),
    // ---- intake: missing, extra, wrong types -------------------------------------------------------
    intakeCase('missing customerId', intake({}, {}, ['customerId']), 400, 'customerId'),
    intakeCase('missing deliveryAddress.city', intake({}, {}, ['deliveryAddress.city']), 400, 'deliveryAddress.city'),
    intakeCase('missing lines', intake({}, {}, ['lines']), 400, 'lines'),
    intakeCase('extra field', intake({ discount: '50%' }), 400, 'discount'),
    intakeCase('extra field in a line', intake({}, { discount: '0.5' }), 400, 'lines[0].discount'),
    intakeCase('quantity as a string', intake({}, { quantity: '2' }), 400, 'lines[0].quantity'),
    intakeCase('unitPrice as a number', intake({}, { unitPrice: 1200.5 }), 400, 'lines[0].unitPrice'),
    intakeCase('lines not an array', intake({ lines: { productId: f.inStockProductId } }), 400, 'lines'),
    intakeCase('special as a string', intake({ special: 'yes' }), 400, 'special'),
    intakeCase('unknown channel', intake({ channel: 'carrier-pigeon' }), 400, 'channel'),
    // ---- intake: numbers -------------------------------------------------------------------------
    intakeCase('zero quantity', intake({}, { quantity: 0 }), 400, 'lines[0].quantity'),
    intakeCase('negative quantity', intake({}, { quantity: -5 }), 400, 'lines[0].quantity'),
    intakeCase('huge quantity', intake({}, { quantity: 1e12 }), 400, 'lines[0].quantity'),
    intakeCase('fractional quantity', intake({}, { quantity: 2.5 }), 400, 'lines[0].quantity'),
    intakeCase('negative unit price', intake({}, { unitPrice: '-1.00' }), 400, 'lines[0].unitPrice'),
    intakeCase('unit price with 3 decimals', intake({}, { unitPrice: '12.345' }), 400, 'lines[0].unitPrice'),
    intakeCase('huge unit price', intake({}, { unitPrice: '10000000000000.00' }), 400, 'lines[0].unitPrice'),
    intakeCase('unit price in exponent notation', intake({}, { unitPrice: '1e3' }), 400, 'lines[0].unitPrice'),
    intakeCase('tax rate above 1', intake({}, { taxRate: '1.5' }), 400, 'lines[0].taxRate'),
    intakeCase('no lines', intake({ lines: [] }), 400, 'lines'),
    intakeCase('201 lines', intake({ lines: Array.from({ length: 201 }, () => (intakeBody(f).lines as unknown[])[0]) }), 400, 'lines'),
    // ---- intake: references and dates --------------------------------------------------------------
    intakeCase('unknown customer', intake({ customerId: 'cust_does_not_exist' }), 400, 'customerId', { message: /customer cust_does_not_exist does not exist/ }),
    intakeCase('SQL in customerId', intake({ customerId: SQL }), 400, 'customerId', { message: /does not exist/ }),
    intakeCase('unknown product', intake({}, { productId: 'prod_does_not_exist' }), 400, 'lines[0].productId'),
    intakeCase('unknown SKU', intake({}, { productId: undefined, sku: 'NO-SUCH-SKU' }), 400, 'lines[0].sku'),
    intakeCase('SQL in SKU', intake({}, { productId: undefined, sku: SQL }), 400, 'lines[0].sku'),
    intakeCase('neither productId nor sku', intake({}, { productId: undefined }), 400, 'lines[0].productId'),
    intakeCase('unknown payment terms', intake({ paymentTerms: 'NET_999' }), 400, 'paymentTerms'),
    intakeCase('template in payment terms', intake({ paymentTerms: TEMPLATE }), 400, 'paymentTerms'),
    intakeCase('delivery date in the past', intake({ requestedDeliveryDate: inDays(-3) }), 400, 'requestedDeliveryDate'),
    intakeCase('delivery date that does not exist', intake({ requestedDeliveryDate: '2031-02-30' }), 400, 'requestedDeliveryDate'),
    intakeCase('order date in the future', intake({ orderDate: inDays(10) }), 400, 'orderDate'),
    intakeCase('delivery before the order date', intake({ orderDate: inDays(0), requestedDeliveryDate: inDays(-1) }), 400, 'requestedDeliveryDate'),
    intakeCase('invalid email', intake({ 'contact.email': 'not-an-email' }), 400, 'contact.email'),
    intakeCase('letters in a phone number', intake({ 'deliveryAddress.phone': 'call me maybe' }), 400, 'deliveryAddress.phone'),
    intakeCase('lower-case currency', intake({ currency: 'cny' }), 400, 'currency'),
    // ---- intake: long strings and control characters ------------------------------------------------
    intakeCase('contact name of 101 characters', intake({ 'contact.name': '王'.repeat(101) }), 400, 'contact.name'),
    intakeCase('notes of 2001 characters', intake({ notes: 'n'.repeat(2001) }), 400, 'notes'),
    intakeCase('NUL in the contact name', intake({ 'contact.name': '王\u0000经理' }), 400, 'contact.name'),
    intakeCase('BEL in the address', intake({ 'deliveryAddress.line1': '世纪大道\u0007100号' }), 400, 'deliveryAddress.line1'),
    intakeCase('bidi override in the contact name', intake({ 'contact.name': 'Alice\u202eecilA' }), 400, 'contact.name'),
    intakeCase('newline in the recipient', intake({ 'deliveryAddress.recipient': '王经理\nX-Injected: 1' }), 400, 'deliveryAddress.recipient'),
    intakeCase('ESC in the city', intake({ 'deliveryAddress.city': '\u001b[31m上海' }), 400, 'deliveryAddress.city'),
    intakeCase('NUL in notes', intake({ notes: 'first\u0000second' }), 400, 'notes'),
    intakeCase('C1 control in notes', intake({ notes: 'x\u0085y' }), 400, 'notes'),
    intakeCase('NUL in a product id', intake({}, { productId: `${f.inStockProductId}\u0000` }), 400, 'lines[0].productId'),
    intakeCase('lone surrogate in notes', undefined, 400, 'notes', { rawBody: JSON.stringify(intake({ notes: 'PLACEHOLDER' })).replace('PLACEHOLDER', '\\ud800') }),

    // ---- reviews --------------------------------------------------------------------------------------
    post('sales review: unknown decision', `${O}/reviews/sales`, 'sales', { decision: 'maybe' }, 400, 'decision'),
    post('sales review: decision missing', `${O}/reviews/sales`, 'sales', { comment: '看起来不错' }, 400, 'decision'),
    post('sales review: reject without a comment', `${O}/reviews/sales`, 'sales', { decision: 'reject' }, 400, 'comment'),
    post('sales review: reject with a blank comment', `${O}/reviews/sales`, 'sales', { decision: 'reject', comment: '   ' }, 400, 'comment'),
    post('sales review: comment of 2001 characters', `${O}/reviews/sales`, 'sales', { decision: 'approve', comment: 'c'.repeat(2001) }, 400, 'comment'),
    post('sales review: NUL in the comment', `${O}/reviews/sales`, 'sales', { decision: 'approve', comment: 'ok\u0000' }, 400, 'comment'),
    post('sales review: extra field', `${O}/reviews/sales`, 'sales', { decision: 'approve', approvedBy: 'ceo' }, 400, 'approvedBy'),
    post('sales review: malformed order number', '/orders/not-an-order/reviews/sales', 'sales', { decision: 'approve' }, 400, 'orderNo'),
    post('sales review: SQL in the order number', `/orders/${encodeURIComponent(`${orderNo}' OR '1'='1`)}/reviews/sales`, 'sales', { decision: 'approve' }, 400, 'orderNo'),
    post('finance review: decision as a boolean', `${O}/reviews/finance`, 'finance', { decision: true }, 400, 'decision'),
    post('joint review: unknown department', `${O}/reviews/joint`, 'production', { department: 'marketing', decision: 'approve' }, 400, 'department'),
    post('joint review: return is not a joint decision', `${O}/reviews/joint`, 'production', { department: 'production', decision: 'return' }, 400, 'decision'),
    post('joint review: reject without a comment', `${O}/reviews/joint`, 'production', { department: 'production', decision: 'reject' }, 400, 'comment'),

    // ---- payments -------------------------------------------------------------------------------------
    post('payment: zero amount', `${O}/payments`, 'finance', { amount: '0.00', reference: 'BANK-1', paidAt: new Date().toISOString() }, 400, 'amount'),
    post('payment: negative amount', `${O}/payments`, 'finance', { amount: '-10.00', reference: 'BANK-1', paidAt: new Date().toISOString() }, 400, 'amount'),
    post('payment: 3 decimals', `${O}/payments`, 'finance', { amount: '10.001', reference: 'BANK-1', paidAt: new Date().toISOString() }, 400, 'amount'),
    post('payment: amount as a number', `${O}/payments`, 'finance', { amount: 10, reference: 'BANK-1', paidAt: new Date().toISOString() }, 400, 'amount'),
    post('payment: huge amount', `${O}/payments`, 'finance', { amount: '99999999999999.00', reference: 'BANK-1', paidAt: new Date().toISOString() }, 400, 'amount'),
    post('payment: paid in the future', `${O}/payments`, 'finance', { amount: '10.00', reference: 'BANK-1', paidAt: new Date(Date.now() + 2 * DAY).toISOString() }, 400, 'paidAt'),
    post('payment: paidAt not a date-time', `${O}/payments`, 'finance', { amount: '10.00', reference: 'BANK-1', paidAt: 'yesterday' }, 400, 'paidAt'),
    post('payment: reference missing', `${O}/payments`, 'finance', { amount: '10.00', paidAt: new Date().toISOString() }, 400, 'reference'),
    post('payment: NUL in the reference', `${O}/payments`, 'finance', { amount: '10.00', reference: 'BANK\u00001', paidAt: new Date().toISOString() }, 400, 'reference'),
    post('payment: reference of 65 characters', `${O}/payments`, 'finance', { amount: '10.00', reference: 'R'.repeat(65), paidAt: new Date().toISOString() }, 400, 'reference'),
    post('payment: blank reference', `${O}/payments`, 'finance', { amount: '10.00', reference: '   ', paidAt: new Date().toISOString() }, 400, 'reference'),

    // ---- production ----------------------------------------------------------------------------------
    post('production progress: 101 %', '/production-orders/no-such-po/progress', 'production', { percent: 101 }, 400, 'percent'),
    post('production progress: -1 %', '/production-orders/no-such-po/progress', 'production', { percent: -1 }, 400, 'percent'),
    post('production progress: percent as a string', '/production-orders/no-such-po/progress', 'production', { percent: '50' }, 400, 'percent'),
    post('production progress: malformed id', `/production-orders/${encodeURIComponent('po 1; DROP')}/progress`, 'production', { percent: 50 }, 400, 'id'),
    post('production complete: qcPassed as a string', '/production-orders/no-such-po/complete', 'production', { qcPassed: 'yes' }, 400, 'qcPassed'),
    post('production complete: BEL in the note', '/production-orders/no-such-po/complete', 'production', { qcPassed: true, note: 'ok\u0007' }, 400, 'note'),

    // ---- dispatch and delivery -----------------------------------------------------------------------
    post('dispatch: at is not a date-time', `${O}/dispatch`, 'logistics', { at: 'tomorrow' }, 400, 'at'),
    post('dispatch: at in the future', `${O}/dispatch`, 'logistics', { at: new Date(Date.now() + DAY).toISOString() }, 400, 'at'),
    post('delivery: extra field', `${O}/delivery`, 'logistics', { at: new Date().toISOString(), signedBy: '王' }, 400, 'signedBy'),

    // ---- change requests and their reviews -----------------------------------------------------------
    post('change: changes nothing', `${O}/changes`, 'sales', changeBody({}), 400, 'changes', { headers: idem() }),
    post('change: delivery date in the past', `${O}/changes`, 'sales', changeBody({ requestedDeliveryDate: inDays(-1) }), 400, 'changes.requestedDeliveryDate', { headers: idem() }),
    post('change: zero quantity', `${O}/changes`, 'sales', changeBody({ lines: [{ productId: f.inStockProductId, quantity: 0, unitPrice: '1.00', taxRate: '0.13' }] }), 400, 'changes.lines[0].quantity', { headers: idem() }),
    post('change: the same product twice', `${O}/changes`, 'sales', changeBody({ lines: [1, 2].map((q) => ({ productId: f.inStockProductId, quantity: q, unitPrice: '1.00', taxRate: '0.13' })) }), 400, 'changes.lines[1].productId', { headers: idem() }),
    post('change: unknown payment terms', `${O}/changes`, 'sales', changeBody({ paymentTerms: 'NET_999' }), 400, 'changes.paymentTerms', { headers: idem() }),
    post('change: bidi override in the contact', `${O}/changes`, 'sales', changeBody({ contact: { name: '\u202e王经理' } }), 400, 'changes.contact.name', { headers: idem() }),
    post('change: NUL in the address', `${O}/changes`, 'sales', changeBody({ deliveryAddress: address({ line1: '\u0000' }) }), 400, 'changes.deliveryAddress.line1', { headers: idem() }),
    post('change: reason missing', `${O}/changes`, 'sales', { changes: { requestedDeliveryDate: inDays(30) } }, 400, 'reason', { headers: idem() }),
    post('change: blank reason', `${O}/changes`, 'sales', changeBody({ requestedDeliveryDate: inDays(30) }, { reason: '  ' }), 400, 'reason', { headers: idem() }),
    post('change: reason of 501 characters', `${O}/changes`, 'sales', changeBody({ requestedDeliveryDate: inDays(30) }, { reason: 'r'.repeat(501) }), 400, 'reason', { headers: idem() }),
    post('change: no Idempotency-Key', `${O}/changes`, 'sales', changeBody({ requestedDeliveryDate: inDays(30) }), 400, 'Idempotency-Key'),
    post('change: Idempotency-Key replayed with another body', `${O}/changes`, 'sales', changeBody({ requestedDeliveryDate: inDays(45) }), 409, 'Idempotency-Key', { headers: { 'idempotency-key': CHANGE_KEY } }),
    post('correction: unknown field in changes', `${O}/correction`, 'sales', { changes: { customerId: 'someone-else' } }, 400, 'changes.customerId'),
    post('change review: unknown department', `${O}/changes/${changeId}/reviews`, 'sales_manager', { department: 'marketing', decision: 'approve' }, 400, 'department'),
    post('change review: unknown decision', `${O}/changes/${changeId}/reviews`, 'sales_manager', { department: 'sales', decision: 'maybe' }, 400, 'decision'),
    post('change review: reject without a comment', `${O}/changes/${changeId}/reviews`, 'sales_manager', { department: 'sales', decision: 'reject' }, 400, 'comment'),
    post('change review: malformed change id', `${O}/changes/${encodeURIComponent("x' OR 1=1")}/reviews`, 'sales_manager', { department: 'sales', decision: 'approve' }, 400, 'changeId'),

    // ---- cancel, hold, release -------------------------------------------------------------------------
    post('cancel: reason missing', `${O}/cancel`, 'sales', {}, 400, 'reason'),
    post('cancel: empty reason', `${O}/cancel`, 'sales', { reason: '' }, 400, 'reason'),
    post('cancel: blank reason', `${O}/cancel`, 'sales', { reason: ' \t ' }, 400, 'reason'),
    post('hold: NUL in the reason', `${O}/hold`, 'sales_manager', { reason: '信用\u0000审查' }, 400, 'reason'),
    post('hold: reason of 501 characters', `${O}/hold`, 'sales_manager', { reason: '审'.repeat(501) }, 400, 'reason'),
    post('release: reason as a number', `${O}/release`, 'sales_manager', { reason: 42 }, 400, 'reason'),

    // ---- feedback and complaints ------------------------------------------------------------------------
    post('feedback: rating 0', `${O}/feedback`, 'sales', { rating: 0 }, 400, 'rating'),
    post('feedback: rating 6', `${O}/feedback`, 'sales', { rating: 6 }, 400, 'rating'),
    post('feedback: rating 4.5', `${O}/feedback`, 'sales', { rating: 4.5 }, 400, 'rating'),
    post('feedback: rating missing', `${O}/feedback`, 'sales', { comment: '很好' }, 400, 'rating'),
    post('feedback: NUL in the comment', `${O}/feedback`, 'sales', { rating: 5, comment: 'good\u0000' }, 400, 'comment'),
    post('complaint: empty text', `${O}/complaints`, 'sales', { text: '' }, 400, 'text'),
    post('complaint: blank text', `${O}/complaints`, 'sales', { text: '   ' }, 400, 'text'),
    post('complaint: text of 4001 characters', `${O}/complaints`, 'sales', { text: '坏'.repeat(4001) }, 400, 'text'),
    post('complaint: bidi isolate in the text', `${O}/complaints`, 'sales', { text: '包装破损\u2066' }, 400, 'text'),
    post('complaint: SQL as the owner', `${O}/complaints`, 'sales', { text: '包装破损', owner: `bob${SQL}` }, 400, 'owner'),
    post('complaint: unknown owner', `${O}/complaints`, 'sales', { text: '包装破损', owner: 'nobody.here' }, 400, 'owner'),
    post('complaint resolve: empty resolution', '/complaints/no-such-complaint/resolve', 'sales', { resolution: '' }, 400, 'resolution'),

    // ---- risks ------------------------------------------------------------------------------------------
    { name: 'risk: unknown status', method: 'PATCH', url: '/risks/no-such-risk', actor: 'sales_manager', body: { status: 'bogus' }, status: 400, field: 'status' },
    { name: 'risk: unknown owner role', method: 'PATCH', url: '/risks/no-such-risk', actor: 'sales_manager', body: { owner: 'ceo' }, status: 400, field: 'owner' },
    { name: 'risk: empty control', method: 'PATCH', url: '/risks/no-such-risk', actor: 'sales_manager', body: { control: '' }, status: 400, field: 'control' },
    { name: 'risk: NUL in the control', method: 'PATCH', url: '/risks/no-such-risk', actor: 'sales_manager', body: { control: '\u0000' }, status: 400, field: 'control' },
    { name: 'risk: extra field', method: 'PATCH', url: '/risks/no-such-risk', actor: 'sales_manager', body: { score: 1 }, status: 400, field: 'score' },
    { name: 'risk: nothing to change', method: 'PATCH', url: '/risks/no-such-risk', actor: 'sales_manager', body: {}, status: 400, field: 'body', message: /at least one of control, owner, status/ },

    // ---- tokens -----------------------------------------------------------------------------------------
    post('token: ttlDays 0', `/users/${TOKEN_USER}/tokens`, 'admin', { name: 'laptop', ttlDays: 0 }, 400, 'ttlDays'),
    post('token: ttlDays 366', `/users/${TOKEN_USER}/tokens`, 'admin', { name: 'laptop', ttlDays: 366 }, 400, 'ttlDays'),
    post('token: unknown kind', `/users/${TOKEN_USER}/tokens`, 'admin', { name: 'laptop', kind: 'root' }, 400, 'kind'),
    post('token: NUL in the name', `/users/${TOKEN_USER}/tokens`, 'admin', { name: 'lap\u0000top' }, 400, 'name'),
    post('token: scopes are not a thing', `/users/${TOKEN_USER}/tokens`, 'admin', { name: 'laptop', scopes: ['*'] }, 400, 'scopes'),
    post('token: SQL as the username', `/users/${encodeURIComponent(`admin${SQL}`)}/tokens`, 'admin', { name: 'laptop' }, 400, 'username'),
    post('token revoke: malformed id', `/tokens/${encodeURIComponent('../../etc/passwd')}/revoke`, 'admin', undefined, 400, 'id'),

    // ---- list filters and cursors -------------------------------------------------------------------------
    get('orders: limit 0', '/orders?limit=0', 'sales', 400, 'limit'),
    get('orders: limit not a number', '/orders?limit=ten', 'sales', 400, 'limit'),
    get('orders: limit 1000', '/orders?limit=1000', 'sales', 400, 'limit'),
    get('orders: unknown stage', '/orders?stage=bogus', 'sales', 400, 'stage'),
    get('orders: cursor with illegal characters', `/orders?cursor=${encodeURIComponent("' OR 1=1")}`, 'sales', 400, 'cursor'),
    get('orders: forged cursor', '/orders?cursor=bm90LWEtY3Vyc29y', 'sales', 400, 'cursor'),
    get('orders: NUL in customerId', '/orders?customerId=%00', 'sales', 400, 'customerId'),
    get('orders: unknown filter', '/orders?foo=bar', 'sales', 400, 'foo'),
    get('risks: unknown level', '/risks?level=extreme', 'sales_manager', 400, 'level'),
    get('risks: forged cursor', '/risks?cursor=WzEsMl0', 'sales_manager', 400, 'cursor'),
    get('tasks: role missing', '/tasks', 'sales', 400, 'role'),
    get('tasks: unknown role', '/tasks?role=ceo', 'sales_manager', 400, 'role'),
    get('audit: from is not a date-time', '/audit?from=yesterday', 'auditor', 400, 'from'),
    get('audit: NUL in actor', '/audit?actor=%00', 'auditor', 400, 'actor'),
    get('audit: from after to', `/audit?from=${encodeURIComponent(new Date().toISOString())}&to=${encodeURIComponent(new Date(Date.now() - DAY).toISOString())}`, 'auditor', 400, 'from'),
    get('tokens: unknown status', '/tokens?status=lost', 'admin', 400, 'status'),
    get('kpis: period in the future', `/kpis?period=${new Date().getUTCFullYear() + 2}`, 'sales_manager', 400, 'period'),
    get('kpis: malformed period', '/kpis?period=2026-13', 'sales_manager', 400, 'period'),

    // ---- codec ----------------------------------------------------------------------------------------------
    codec('payloads not an array', { payloads: 'all of them' }, 400, 'payloads'),
    codec('payloads missing', {}, 400, 'payloads'),
    codec('1001 payloads', { payloads: Array.from({ length: 1001 }, () => ({ data: '' })) }, 400, 'payloads'),
    codec('data not base64', { payloads: [{ metadata: {}, data: '***' }] }, 400, 'payloads[0].data'),
    codec('extra top-level field', { payloads: [], namespace: 'default' }, 400, 'namespace'),
    codec('ciphertext that does not decrypt', { payloads: [{ metadata: { encoding: Buffer.from('binary/encrypted').toString('base64') }, data: 'AAAA' }] }, 400, 'payloads[0]'),
    codec('malformed JSON', undefined, 400, undefined, { rawBody: '{"payloads": [' }),
    codec('wrong content type', undefined, 415, undefined, { rawBody: 'payloads=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
    codec('over 1 MiB', undefined, 413, undefined, { rawBody: JSON.stringify({ payloads: [{ data: 'A'.repeat(MIB + 4) }] }) }),
  ];
}

/** Waits until the order's history stops growing (its activities are done); returns its length. */
async function quietHistoryLength(): Promise<number> {
  let last = -1;
  let stableSince = Date.now();
  const deadline = Date.now() + 30_000;
  for (;;) {
    const n = (await orderHandle(stack, orderNo).fetchHistory()).events?.length ?? 0;
    if (n !== last) {
      last = n;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= 2_000) return n;
    if (Date.now() > deadline) throw new Error(`the history of ${orderNo} kept growing (${n} events)`);
    await sleep(300);
  }
}

async function workflowsOnQueue(): Promise<number> {
  return (await stack.client.workflow.count(`TaskQueue = "${stack.taskQueue}"`)).count;
}

/** What the corpus must not change: this file's rows, the order as stored, the workflows. */
async function snapshot() {
  const p = stack.prisma;
  const ofCustomer = { order: { customerId: f.customerId } };
  const [order, counts, inventory, risks, tokens, audit] = await Promise.all([
    p.order.findUniqueOrThrow({ where: { orderNo } }),
    Promise.all([
      p.order.count({ where: { customerId: f.customerId } }),
      p.orderLine.count({ where: ofCustomer }),
      p.changeRequest.count({ where: ofCustomer }),
      p.payment.count({ where: { invoice: ofCustomer } }),
      p.feedback.count({ where: ofCustomer }),
      p.complaint.count({ where: ofCustomer }),
      p.reservation.count({ where: ofCustomer }),
      p.orderHold.count({ where: ofCustomer }),
      p.reviewDecision.count({ where: ofCustomer }),
      p.productionOrder.count({ where: ofCustomer }),
    ]).then(([orders, orderLines, changeRequests, payments, feedback, complaints, reservations, holds, reviews, productionOrders]) => ({
      orders,
      orderLines,
      changeRequests,
      payments,
      feedback,
      complaints,
      reservations,
      holds,
      reviews,
      productionOrders,
    })),
    p.inventory.findMany({ where: { productId: { in: [f.inStockProductId, f.mtoProductId] } }, orderBy: { productId: 'asc' } }),
    p.risk.findMany({ where: ofCustomer, orderBy: { id: 'asc' } }),
    p.apiToken.count({ where: { user: { username: TOKEN_USER } } }),
    p.auditEntry.count({ where: { orderNo } }),
  ]);
  return {
    order: { ...order, subtotal: order.subtotal.toFixed(2), taxAmount: order.taxAmount.toFixed(2), totalAmount: order.totalAmount.toFixed(2) },
    counts,
    inventory,
    risks,
    tokens,
    audit,
    history: await quietHistoryLength(),
    workflows: await workflowsOnQueue(),
  };
}

useTestStack(async (started) => {
  stack = started;
  f = await createFixture(stack.prisma);
  await stack.prisma.user.create({ data: { username: TOKEN_USER, name: TOKEN_USER, email: `${TOKEN_USER}@example.com`, role: 'logistics' } });

  const placed = await api(stack, 'POST', '/orders', intakeBody(f), 'sales', { 'idempotency-key': ORDER_KEY });
  if (placed.status !== 201) throw new Error(`intake failed: ${placed.status} ${JSON.stringify(placed.body)}`);
  orderNo = placed.body.orderNo;
  await waitForStage(stack, orderNo, 'sales_review');
  const change = await api(stack, 'POST', `/orders/${orderNo}/changes`, changeBody({ requestedDeliveryDate: inDays(30) }), 'sales', {
    'idempotency-key': CHANGE_KEY,
  });
  if (change.status !== 201) throw new Error(`change failed: ${change.status} ${JSON.stringify(change.body)}`);
  changeId = change.body.changeId;
});

describe('the bad-input corpus', () => {
  it('every bad request gets its 4xx naming the field, and nothing changes', async () => {
    const cases = corpus();
    expect(cases.length).toBeGreaterThanOrEqual(50);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);

    const before = await snapshot();
    expect(before.history).toBeGreaterThan(0);
    expect(before.workflows).toBe(1);

    const results: { name: string; status: number; field?: string }[] = [];
    const problems: { name: string; problem: string; body: unknown }[] = [];
    for (const c of cases) {
      let status: number;
      let body: any;
      let text: string;
      if (c.rawBody !== undefined) {
        const res = await stack.app.inject({
          method: c.method,
          url: c.url,
          payload: c.rawBody,
          headers: { ...(await authHeaders(stack, c.actor)), 'content-type': 'application/json', ...(c.headers ?? {}) },
        });
        status = res.statusCode;
        text = res.body;
        try {
          body = res.json();
        } catch {
          body = res.body;
        }
      } else {
        const res = await api(stack, c.method, c.url, c.body, c.actor, c.headers ?? {});
        status = res.status;
        body = res.body;
        text = JSON.stringify(res.body);
      }
      results.push({ name: c.name, status, ...(body?.field !== undefined ? { field: body.field } : {}) });

      // The error shape: { error, message, field? }, the reason phrase, a message naming the field.
      const keys = body && typeof body === 'object' ? Object.keys(body).sort() : [];
      if (!keys.every((k) => ['error', 'field', 'message'].includes(k)) || typeof body.message !== 'string' || !body.message)
        problems.push({ name: c.name, problem: 'not { error, message, field? }', body });
      else if (body.error !== STATUS_CODES[status]) problems.push({ name: c.name, problem: `error is not "${STATUS_CODES[status]}"`, body });
      else if (c.field && !(c.message ? c.message.test(body.message) : body.message.includes(c.field)))
        problems.push({ name: c.name, problem: `message does not name ${c.field}`, body });
      if (/\bat .+\.[jt]s:\d+|node_modules|prisma|SELECT |INSERT |invalid byte sequence|\bstack\b/i.test(text))
        problems.push({ name: c.name, problem: 'internals in the body', body });
    }

    expect(results).toEqual(cases.map((c) => ({ name: c.name, status: c.status, ...(c.field !== undefined ? { field: c.field } : {}) })));
    expect(problems).toEqual([]);

    // Nothing changed: rows, the order, its workflow's history, the workflows on the queue.
    await sleep(1_000); // visibility is eventually consistent: give a stray start time to show
    const after = await snapshot();
    expect(after).toEqual(before);
  });
});

describe('what is not refused is stored verbatim and harmless', () => {
  const INJECTIONS = `${SCRIPT} ${SQL} ${TEMPLATE} \${7*7} %s%n ../../etc/passwd`;

  it('injection strings in free text and names: stored and answered as given, never run', async () => {
    const ordersBefore = await stack.prisma.order.count();
    const complaint = await api(stack, 'POST', `/orders/${orderNo}/complaints`, { text: INJECTIONS }, 'sales');
    expect(complaint.status).toBe(201);
    expect(complaint.body.text).toBe(INJECTIONS);
    expect(complaint.headers['content-type']).toMatch(/^application\/json/);
    const feedback = await api(stack, 'POST', `/orders/${orderNo}/feedback`, { rating: 3, comment: INJECTIONS }, 'sales');
    expect(feedback).toMatchObject({ status: 201, body: { comment: INJECTIONS } });

    // A name and an address with markup and quotes: an order like any other.
    const name = `O'Brien ${SCRIPT}`;
    const placed = await api(
      stack,
      'POST',
      '/orders',
      intakeBody(f, { contact: { name }, notes: INJECTIONS, deliveryAddress: address({ line1: `${TEMPLATE} ${SQL}` }) }),
      'sales',
      idem(),
    );
    expect(placed.status).toBe(201);
    const detail = await api(stack, 'GET', `/orders/${placed.body.orderNo}`, undefined, 'sales');
    expect(detail.body).toMatchObject({ contact: { name }, notes: INJECTIONS, deliveryAddress: { line1: `${TEMPLATE} ${SQL}` } });
    // Template syntax was not evaluated (7*7). Only the fields that carry it are
    // looked at: the whole body holds timestamps, which may contain "49".
    expect(JSON.stringify([detail.body.notes, detail.body.deliveryAddress, detail.body.contact])).not.toContain('49');

    const stored = await api(stack, 'GET', `/orders/${orderNo}`, undefined, 'sales');
    expect(stored.body.complaints.map((c: { text: string }) => c.text)).toContain(INJECTIONS);
    expect(stored.body.feedback.map((x: { comment: string }) => x.comment)).toContain(INJECTIONS);
    // The orders table is still there, and grew by the one order placed above.
    expect(await stack.prisma.order.count()).toBeGreaterThanOrEqual(ordersBefore + 1);
  });

  it('free text keeps tab and newline; names keep CJK, accents and emoji', async () => {
    const text = '第一行\n第二行\r\n\t缩进 — ünïcödé 😀';
    const complaint = await api(stack, 'POST', `/orders/${orderNo}/complaints`, { text }, 'sales');
    expect(complaint).toMatchObject({ status: 201, body: { text } });
    const name = '王😀 Zoë Ñandú';
    const placed = await api(stack, 'POST', '/orders', intakeBody(f, { contact: { name } }), 'sales', idem());
    expect(placed.status).toBe(201);
    expect((await api(stack, 'GET', `/orders/${placed.body.orderNo}`, undefined, 'sales')).body.contact.name).toBe(name);
  });
});

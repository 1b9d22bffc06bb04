/** The API's shapes the console reads (docs/CONSOLE-API.md and the OpenAPI document). */

export type Role =
  | 'sales' | 'sales_manager' | 'finance' | 'finance_manager' | 'production' | 'logistics' | 'marketing' | 'admin' | 'auditor';

export interface Bilingual { zh: string; en: string }

export interface Session {
  user: { id: string; username: string; name: string; email: string; role: Role };
  csrfToken: string;
  idleExpiresAt: string;
  expiresAt: string;
}

export interface ConsoleConfig {
  timeZone: string;
  temporalUiUrl: string;
  namespace: string;
  defaultLanguage: 'zh' | 'en';
  publicUrl: string;
  session: { idleSeconds: number; maxSeconds: number };
}

export interface WorkItem {
  key: string;
  task: string;
  orderNo: string;
  customer: { id: string; name: string };
  amount: string;
  currency: string;
  stage: string;
  stageEnteredAt: string;
  deadline: string | null;
  secondsLeft: number | null;
  overdue: boolean;
  escalation: string;
  onHold: boolean;
  riskLevel: string;
  problems: string[];
  risks: { code: string; title: string; level: string; score: number; status: string }[];
  changeId?: string;
  department?: string;
  productionOrderId?: string;
  productionNo?: string;
  percent?: number;
  invoiceNo?: string;
  outstanding?: string;
}

export interface WorkList { role: Role; total: number; generatedAt: string; items: WorkItem[] }

export interface Field {
  name: string;
  type: 'enum' | 'text' | 'textarea' | 'integer' | 'boolean' | 'money' | 'datetime' | 'date' | 'hidden' | 'changes' | 'file';
  required: boolean;
  options?: { value: string; label: Bilingual }[];
  value?: string | number | boolean;
  min?: number;
  max?: number;
  requiredWhen?: { field: string; in: string[] };
  label?: Bilingual;
}

export interface Action {
  id: string;
  label: Bilingual;
  method: 'POST';
  path: string;
  fields: Field[];
  headers?: { 'Idempotency-Key': 'generate' };
}

export interface Actions { orderNo: string; stage: string; actions: Action[] }

export interface TimelineItem {
  at: string;
  kind: string;
  title: Bilingual;
  actor: string | null;
  detail: Record<string, string | number | boolean | null>;
}

export interface Timeline { orderNo: string; workflowId: string; workflowUrl: string; items: TimelineItem[] }

export interface OrderLine {
  id: string; lineNo: number; productId: string; sku: string; productName: string;
  specification: string | null; quantity: number; unitPrice: string; taxRate: string;
}

export interface OrderDetail {
  orderNo: string;
  orderId: string;
  workflowId: string;
  workflowUrl: string;
  customer: { id: string; code: string; name: string; language: string };
  channel: string;
  contact: { name: string; phone: string | null; email: string | null };
  orderDate: string;
  requestedDeliveryDate: string;
  deliveryAddress: { recipient: string; phone: string; region: string; city: string; line1: string; postcode?: string };
  paymentTerms: string;
  currency: string;
  subtotal: string;
  taxAmount: string;
  totalAmount: string;
  special: boolean;
  notes: string | null;
  stage: string;
  stageEnteredAt: string;
  timeInStageSeconds: number;
  stageDeadline: string | null;
  escalation: string;
  riskLevel: string;
  onHold: boolean;
  outcome: string | null;
  enteredBy: string;
  createdAt: string;
  closedAt: string | null;
  lines: OrderLine[];
  transitions: { seq: number; from: string | null; to: string; reason: string | null; actor: string | null; at: string }[];
  decisions: { stage: string; department: string | null; decision: string; comment: string | null; actor: string; at: string }[];
  reservations: { id: string; lineNo: number | null; productId: string; quantity: number; status: string }[];
  productionOrders: {
    id: string; productionNo: string; lineNo: number | null; productId: string; quantity: number; plannedStart: string;
    plannedFinish: string; percent: number; status: string; qcPassed: boolean | null; note: string | null; completedAt: string | null;
  }[];
  shipment: {
    id: string; carrierCode: string; carrierName: string; trackingNo: string; cost: string; weightKg: string; eta: string;
    status: string; bookedAt: string; dispatchedAt: string | null; deliveredAt: string | null;
  } | null;
  invoice: {
    id: string; invoiceNo: string; amount: string; paid: string; outstanding: string; currency: string; issuedAt: string;
    dueDate: string; status: string;
    payments: { id: string; amount: string; reference: string; paidAt: string; recordedBy: string }[];
    reminders: { level: string; sentAt: string }[];
  } | null;
  refunds: { id: string; amount: string; status: string; reason?: string }[];
  alerts: { key: string; kind: string; role: string; message: string; at: string }[];
  risks: { category: string; code: string; probability: number; impact: number; score: number; level: string; control: string; owner: string; status: string; reason: string }[];
  changes: { id: string; status: string; reason: string; requestedBy: string; createdAt: string; decidedAt: string | null; appliedAt: string | null }[];
  holds: { stage: string; reason: string; heldBy: string; heldAt: string; releasedBy: string | null; releasedAt: string | null }[];
  live: (Record<string, unknown> & { exception?: { stage?: string; step?: string; message?: string } | null }) | null;
  liveError?: string;
}

export interface ChangeItem {
  id: string;
  status: string;
  changes: Record<string, unknown>;
  reason: string;
  wrongData: boolean;
  requestedBy: string;
  reviews: Record<string, { decision?: string; actor?: string; comment?: string; at?: string }>;
  createdAt: string;
  decidedAt: string | null;
  appliedAt: string | null;
}

export interface DocumentItem {
  id: string; kind: string; title: string; version: number; latest: boolean; docNo: string; sha256: string; size: number; url: string;
  createdAt?: string;
}

export interface OrderListItem {
  orderNo: string; customerId: string; customerName: string; stage: string; stageEnteredAt: string; timeInStageSeconds: number;
  stageDeadline: string | null; escalation: string; totalAmount: string; currency: string; riskLevel: string; onHold: boolean; createdAt: string;
}

export interface RiskItem {
  id: string; orderNo: string; customerId: string; customerName: string; category: string; code: string; probability: number;
  impact: number; score: number; level: string; control: string; owner: string; status: string; reason: string;
}

export interface CustomerItem {
  id: string; code: string; name: string; creditLimit: string; creditCurrency: string; creditHold: boolean;
  creditHoldReason: string | null; exposure?: string; available?: string; allowedPaymentTerms: string[];
  contacts: { name: string; phone: string | null; email: string | null }[];
}

export interface ProductItem {
  id: string; sku: string; name: string; listPrice: string; currency: string; onHand: number; reserved: number; available: number;
  makeToOrder: boolean;
}

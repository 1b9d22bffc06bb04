/**
 * The console's words in Chinese (first) and English: one small dictionary,
 * no library. `t('key')` looks the key up in the chosen language; a key
 * missing from a language falls back to the other, then to the key itself.
 * Labels that come from the API arrive bilingual ({ zh, en }) already.
 */
import { createContext, useContext } from 'react';

export type Lang = 'zh' | 'en';

type Dict = Record<string, string>;

const zh: Dict = {
  appName: '销售订单控制台', name: '姓名',
  signIn: '登录', signOut: '退出登录', username: '用户名', password: '密码',
  wrongPassword: '用户名或密码错误', signInTitle: '登录销售订单控制台',
  myWork: '我的工作', newOrder: '新建订单', stuckOrders: '在途订单', risks: '风险登记', kpis: '绩效指标',
  analysis: '销售分析', audit: '审计日志', users: '用户',
  language: 'English', refresh: '刷新', loading: '加载中…', noData: '暂无数据', search: '搜索', reset: '重置',
  orderNo: '订单号', customer: '客户', amount: '金额', stage: '阶段', deadline: '截止时间', timeLeft: '剩余时间',
  escalation: '升级', problems: '问题与风险', task: '待办', overdueBy: '已超时 {t}', left: '剩余 {t}', none: '无',
  onHold: '暂停中', riskLevel: '风险等级', exception: '异常', hold: '暂停', timeInStage: '停留时间',
  lines: '订单行', timeline: '时间线', reservations: '库存预留', production: '生产', shipment: '发运与跟踪',
  invoice: '发票与收款', changes: '变更申请', documents: '单据', actions: '可执行操作', noActions: '当前没有您可执行的操作',
  temporalHistory: '在 Temporal 中查看流程历史', header: '概要',
  sku: '物料号', product: '产品', quantity: '数量', unitPrice: '单价', taxRate: '税率', specification: '规格', lineAmount: '行金额',
  status: '状态', percent: '进度', plannedFinish: '计划完工', qc: '质检', carrier: '承运商', trackingNo: '运单号', eta: '预计到达',
  dispatchedAt: '发运时间', deliveredAt: '签收时间', invoiceNo: '发票号', dueDate: '到期日', paid: '已收', outstanding: '未收',
  payments: '收款记录', reference: '凭证号', paidAt: '收款时间', reminders: '催款', reason: '原因', requestedBy: '申请人',
  decisions: '各部门决定', pending: '待定', submit: '提交', submitted: '已提交', done: '完成', error: '错误',
  actor: '操作人', at: '时间', kind: '类型', system: '系统', download: '下载',
  subtotal: '不含税金额', tax: '税额', total: '含税合计', paymentTerms: '付款条件', requestedDelivery: '要求交货日期',
  deliveryAddress: '收货地址', contact: '联系人', channel: '渠道', orderDate: '订单日期', enteredBy: '录入人',
  customerSearch: '搜索客户（名称或编号）', productSearch: '搜索产品（名称或物料号）', creditLimit: '信用额度',
  exposure: '信用占用', available: '可用额度', creditHold: '信用冻结', stock: '库存', listPrice: '标准价',
  addLine: '添加订单行', remove: '删除', recipient: '收货人', phone: '电话', email: '邮箱', region: '省份/地区', city: '城市',
  line1: '详细地址', postcode: '邮编', special: '特殊订单', notes: '备注', createOrder: '提交订单',
  orderCreated: '订单 {no} 已创建', openOrder: '打开订单', anotherOrder: '再录一单', required: '必填',
  filters: '筛选', owner: '负责人', control: '控制措施', level: '等级', score: '分值', category: '类别', edit: '编辑', save: '保存',
  cancel: '取消', period: '期间', downloadCsv: '下载 CSV', numerator: '分子', denominator: '分母', value: '值',
  trend: '趋势', from: '从', to: '到', by: '维度', revenue: '收入', margin: '毛利', orders: '订单数', marginRate: '毛利率',
  entity: '对象', action: '操作', ip: '地址', role: '角色', active: '启用', lastSignIn: '最近登录', lockedUntil: '锁定至',
  resetPassword: '重置密码', newPassword: '新密码', passwordSet: '密码已设置', next: '下一页', first: '第一页',
  sessionExpired: '会话已过期，请重新登录', forbidden: '无权执行此操作', notFound: '未找到',
  customerCredit: '信用情况', noCustomer: '请先选择客户', allowedTerms: '该客户允许的付款条件',
  fileChange: '变更内容', newQuantity: '新数量', keepAsIs: '不变', newDeliveryDate: '新交货日期', changesHint: '只填写需要变更的内容',
  utc: 'UTC', signedInAs: '{name}（{role}）', closedAt: '关闭时间', refunds: '退款', alerts: '提醒与告警',

  'field.decision': '决定', 'field.comment': '意见', 'field.reason': '原因', 'field.percent': '完成百分比', 'field.qcPassed': '质检合格',
  'field.note': '备注', 'field.at': '发生时间（默认现在）', 'field.amount': '金额', 'field.reference': '银行凭证号', 'field.paidAt': '到账时间',
  'field.action': '处理方式', 'field.rating': '评分（1-5）', 'field.text': '投诉内容', 'field.signedOn': '签署日期', 'field.signer': '签署人',
  'field.scan': '签署扫描件（PDF/PNG/JPEG）', 'field.changes': '变更内容', 'field.wrongData': '更正录入错误', 'field.department': '部门',
  'field.owner': '负责人', yes: '是', no: '否', conflict409: '当前状态不允许此操作', answer: '系统答复', nextStage: '下一阶段：{stage}',
  pendingDepts: '待决定部门：{depts}', outstandingNow: '未收金额：{amount}', paidInFull: '已全部收款', changeLines: '修改订单行',
  changeAddress: '修改收货地址', changeTerms: '新付款条件', selectFile: '选择文件', chosen: '已选择：{name}',
  riskRegister: '风险登记册', all: '全部', topN: '前 {n}', summary: '汇总', newCustomers: '新客户', returningCustomers: '老客户',
};

const en: Dict = {
  appName: 'Sales order console', name: 'Name',
  signIn: 'Sign in', signOut: 'Sign out', username: 'Username', password: 'Password',
  wrongPassword: 'Wrong username or password', signInTitle: 'Sign in to the sales order console',
  myWork: 'My work', newOrder: 'New order', stuckOrders: 'Open orders', risks: 'Risks', kpis: 'KPIs',
  analysis: 'Sales analysis', audit: 'Audit trail', users: 'Users',
  language: '中文', refresh: 'Refresh', loading: 'Loading…', noData: 'No data', search: 'Search', reset: 'Reset',
  orderNo: 'Order no.', customer: 'Customer', amount: 'Amount', stage: 'Stage', deadline: 'Deadline', timeLeft: 'Time left',
  escalation: 'Escalation', problems: 'Problems and risks', task: 'Task', overdueBy: 'overdue by {t}', left: '{t} left', none: 'none',
  onHold: 'On hold', riskLevel: 'Risk', exception: 'Exception', hold: 'Hold', timeInStage: 'Time in stage',
  lines: 'Lines', timeline: 'Timeline', reservations: 'Reservations', production: 'Production', shipment: 'Shipment and tracking',
  invoice: 'Invoice and payments', changes: 'Change requests', documents: 'Documents', actions: 'Actions', noActions: 'Nothing for you to do here now',
  temporalHistory: 'Workflow history in Temporal', header: 'Summary',
  sku: 'SKU', product: 'Product', quantity: 'Qty', unitPrice: 'Unit price', taxRate: 'Tax rate', specification: 'Specification', lineAmount: 'Line amount',
  status: 'Status', percent: 'Progress', plannedFinish: 'Planned finish', qc: 'QC', carrier: 'Carrier', trackingNo: 'Tracking no.', eta: 'ETA',
  dispatchedAt: 'Dispatched', deliveredAt: 'Delivered', invoiceNo: 'Invoice no.', dueDate: 'Due', paid: 'Paid', outstanding: 'Outstanding',
  payments: 'Payments', reference: 'Reference', paidAt: 'Paid at', reminders: 'Reminders', reason: 'Reason', requestedBy: 'Requested by',
  decisions: 'Departments’ decisions', pending: 'pending', submit: 'Submit', submitted: 'Submitted', done: 'Done', error: 'Error',
  actor: 'By', at: 'At', kind: 'Kind', system: 'system', download: 'Download',
  subtotal: 'Net', tax: 'Tax', total: 'Total incl. tax', paymentTerms: 'Payment terms', requestedDelivery: 'Requested delivery',
  deliveryAddress: 'Delivery address', contact: 'Contact', channel: 'Channel', orderDate: 'Order date', enteredBy: 'Entered by',
  customerSearch: 'Search customers (name or code)', productSearch: 'Search products (name or SKU)', creditLimit: 'Credit limit',
  exposure: 'Exposure', available: 'Available', creditHold: 'Credit hold', stock: 'Stock', listPrice: 'List price',
  addLine: 'Add line', remove: 'Remove', recipient: 'Recipient', phone: 'Phone', email: 'Email', region: 'Province/region', city: 'City',
  line1: 'Street address', postcode: 'Postcode', special: 'Special order', notes: 'Notes', createOrder: 'Submit order',
  orderCreated: 'Order {no} created', openOrder: 'Open the order', anotherOrder: 'Enter another', required: 'required',
  filters: 'Filters', owner: 'Owner', control: 'Control', level: 'Level', score: 'Score', category: 'Category', edit: 'Edit', save: 'Save',
  cancel: 'Cancel', period: 'Period', downloadCsv: 'Download CSV', numerator: 'Numerator', denominator: 'Denominator', value: 'Value',
  trend: 'Trend', from: 'From', to: 'To', by: 'By', revenue: 'Revenue', margin: 'Margin', orders: 'Orders', marginRate: 'Margin rate',
  entity: 'Entity', action: 'Action', ip: 'Address', role: 'Role', active: 'Active', lastSignIn: 'Last sign-in', lockedUntil: 'Locked until',
  resetPassword: 'Reset password', newPassword: 'New password', passwordSet: 'Password set', next: 'Next page', first: 'First page',
  sessionExpired: 'Your session has expired; sign in again', forbidden: 'Not allowed', notFound: 'Not found',
  customerCredit: 'Credit standing', noCustomer: 'Choose a customer first', allowedTerms: 'Terms this customer may use',
  fileChange: 'The change', newQuantity: 'New quantity', keepAsIs: 'unchanged', newDeliveryDate: 'New delivery date', changesHint: 'Fill in only what changes',
  utc: 'UTC', signedInAs: '{name} ({role})', closedAt: 'Closed', refunds: 'Refunds', alerts: 'Reminders and alerts',

  'field.decision': 'Decision', 'field.comment': 'Comment', 'field.reason': 'Reason', 'field.percent': 'Percent done', 'field.qcPassed': 'Quality check passed',
  'field.note': 'Note', 'field.at': 'When (default now)', 'field.amount': 'Amount', 'field.reference': 'Bank reference', 'field.paidAt': 'Received at',
  'field.action': 'Action', 'field.rating': 'Rating (1-5)', 'field.text': 'Complaint', 'field.signedOn': 'Signed on', 'field.signer': 'Signed by',
  'field.scan': 'Scan of the signed contract (PDF/PNG/JPEG)', 'field.changes': 'The change', 'field.wrongData': 'Corrects wrong intake data', 'field.department': 'Department',
  'field.owner': 'Owner', yes: 'Yes', no: 'No', conflict409: 'Not possible in the order’s current state', answer: 'Answer', nextStage: 'Next stage: {stage}',
  pendingDepts: 'Still to decide: {depts}', outstandingNow: 'Outstanding: {amount}', paidInFull: 'Paid in full', changeLines: 'Change the lines',
  changeAddress: 'Change the delivery address', changeTerms: 'New payment terms', selectFile: 'Choose a file', chosen: 'Chosen: {name}',
  riskRegister: 'Risk register', all: 'All', topN: 'Top {n}', summary: 'Summary', newCustomers: 'New customers', returningCustomers: 'Returning customers',
};

/** Names of the API's codes (stages, tasks, roles, ...), per language. */
const CODES: Record<Lang, Dict> = {
  zh: {
    sales_review: '销售评审', correction: '退回修改', finance_review: '财务评审', joint_review: '联合评审', confirmation: '确认',
    contract_signature: '合同签署', stock_preparation: '备货', awaiting_prepayment: '待预付款', shipping: '待发运', in_transit: '运输中',
    awaiting_payment: '待收款', exception: '需处理（异常）', closed: '已关闭', rejected: '已拒绝', cancelled: '已取消',
    sales: '销售', sales_manager: '销售经理', finance: '财务', finance_manager: '财务经理', production_role: '生产', logistics: '物流',
    marketing: '市场', admin: '管理员', auditor: '审计',
    change_review: '变更评审', review: '评审', correct: '修改订单', contract_confirmation: '确认合同条款', dispatch: '确认发运', delivery: '确认签收',
    prepayment: '待预付款', payment: '收款', overdue_invoice: '逾期发票', resolve_exception: '处理异常',
    none: '无', warned: '已提醒', reminded: '已催办', escalated: '已升级', timed_out: '已超时',
    low: '低', medium: '中', high: '高',
    phone: '电话', email: '邮件', fax: '传真', ecommerce: '电商', api: '接口',
    PREPAYMENT: '预付款', NET_15: '月结15天', NET_30: '月结30天', NET_60: '月结60天', NET_90: '月结90天', COD: '货到付款',
    open: '未处理', mitigated: '已缓解', under_review: '审核中', approved: '已批准', applied: '已生效', approve: '批准', reject: '拒绝', return: '退回',
  },
  en: {
    sales_review: 'Sales review', correction: 'Correction', finance_review: 'Finance review', joint_review: 'Joint review', confirmation: 'Confirmation',
    contract_signature: 'Contract signature', stock_preparation: 'Stock preparation', awaiting_prepayment: 'Awaiting prepayment', shipping: 'Shipping',
    in_transit: 'In transit', awaiting_payment: 'Awaiting payment', exception: 'Needs attention', closed: 'Closed', rejected: 'Rejected', cancelled: 'Cancelled',
    sales: 'Sales', sales_manager: 'Sales manager', finance: 'Finance', finance_manager: 'Finance manager', production_role: 'Production', logistics: 'Logistics',
    marketing: 'Marketing', admin: 'Admin', auditor: 'Auditor',
    change_review: 'Change review', review: 'Review', correct: 'Correct the order', contract_confirmation: 'Confirm contract terms', dispatch: 'Confirm dispatch', delivery: 'Confirm delivery',
    prepayment: 'Prepayment', payment: 'Payment', overdue_invoice: 'Overdue invoice', resolve_exception: 'Resolve exception',
    none: 'none', warned: 'warned', reminded: 'reminded', escalated: 'escalated', timed_out: 'timed out',
    low: 'low', medium: 'medium', high: 'high',
    phone: 'Phone', email: 'Email', fax: 'Fax', ecommerce: 'E-commerce', api: 'API',
    PREPAYMENT: 'Prepayment', NET_15: 'Net 15', NET_30: 'Net 30', NET_60: 'Net 60', NET_90: 'Net 90', COD: 'Cash on delivery',
    open: 'open', mitigated: 'mitigated', under_review: 'under review', approved: 'approved', applied: 'applied', approve: 'Approve', reject: 'Reject', return: 'Return',
  },
};

const DICTS: Record<Lang, Dict> = { zh, en };

export function translate(lang: Lang, key: string, vars?: Record<string, string | number>): string {
  let s = DICTS[lang][key] ?? DICTS[lang === 'zh' ? 'en' : 'zh'][key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.replace(`{${k}}`, String(v));
  return s;
}

/** A code's name: stage, role, task (`joint_review:finance` -> "联合评审 · 财务"), escalation, terms... */
export function codeName(lang: Lang, code: string | null | undefined): string {
  if (!code) return '';
  const d = CODES[lang];
  if (code.includes(':')) {
    const [head, ...rest] = code.split(':');
    const tail = rest.filter((p) => !p.startsWith('chg_') && !/^[a-z0-9]{20,}$/.test(p));
    return [d[head!] ?? head, ...tail.map((p) => d[p === 'production' ? 'production_role' : p] ?? p)].join(' · ');
  }
  if (code === 'production') return lang === 'zh' ? '生产' : 'Production';
  return d[code] ?? code;
}

export const LangContext = createContext<{ lang: Lang; setLang: (l: Lang) => void }>({ lang: 'zh', setLang: () => undefined });

export function useI18n() {
  const { lang, setLang } = useContext(LangContext);
  return {
    lang,
    setLang,
    t: (key: string, vars?: Record<string, string | number>) => translate(lang, key, vars),
    code: (c: string | null | undefined) => codeName(lang, c),
    pick: (b: { zh: string; en: string } | undefined | null) => (b ? b[lang] || b.zh : ''),
  };
}

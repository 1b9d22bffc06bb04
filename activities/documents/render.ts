/**
 * A document's PDF from its data (model.ts), with pdfkit and the embedded
 * Noto Sans CJK subset (font.ts). Chinese first with English captions, as
 * the company's customers read both; amounts in figures and in capital
 * numerals (workflows/domain/amount-words.ts).
 *
 * Deterministic: the same data gives the same bytes. pdfkit's only inputs
 * besides the data are the creation dates (set here from the document's
 * date) and the font subset (chosen by the glyphs used), so a stored
 * version can always be checked against a new rendering.
 */
import PDFDocument from 'pdfkit';
import { amountInWords } from '../../workflows/domain/amount-words';
import { cjkFaces } from './font';
import { KIND_TITLE, type DocumentData } from './model';

const PAGE = { width: 595.28, height: 841.89, margin: 48 };
const CONTENT_WIDTH = PAGE.width - 2 * PAGE.margin;
const REGULAR = 'cjk';
const BOLD = 'cjk-bold';

const CURRENCY_ZH: Record<string, string> = { CNY: '人民币', USD: '美元', EUR: '欧元', HKD: '港币', JPY: '日元', GBP: '英镑' };

/** NET_30 -> "发票开具后 30 日内付款 (net 30 days)"; PREPAYMENT -> prepayment before shipping. */
export function paymentTermsText(code: string): string {
  const net = /^NET_(\d+)$/.exec(code);
  if (net) return `发票开具后 ${net[1]} 日内付款 Net ${net[1]} days from invoice (${code})`;
  if (code === 'PREPAYMENT') return `款到发货：确认后开具发票，全额付款后发货 Payment in full before shipment (${code})`;
  return code;
}

const pct = (rate: string) => `${(Number(rate) * 100).toFixed(2).replace(/\.?0+$/, '')}%`;
/** "1234567.50" -> "1,234,567.50": thousands separators in the integer part only. */
export function money(amount: string): string {
  const [int, frac] = amount.split('.');
  const grouped = int.replace(/\B(?=(\d{3})+$)/g, ',');
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}

interface Column {
  title: string;
  width: number;
  align?: 'left' | 'right' | 'center';
  value: (l: DocumentData['lines'][number]) => string;
}

export async function renderDocument(data: DocumentData, meta: { docNo: string; version: number }): Promise<Buffer> {
  const font = cjkFaces();
  const date = new Date(`${data.date}T00:00:00Z`);
  const title = KIND_TITLE[data.kind];
  const doc = new PDFDocument({
    size: 'A4',
    margin: PAGE.margin,
    compress: true,
    info: {
      Title: `${title.zh} ${meta.docNo}`,
      Subject: `${title.en} ${data.orderNo}`,
      Author: data.company.name,
      Creator: 'sales-order-temporal',
      Producer: 'sales-order-temporal',
      CreationDate: date,
      ModDate: date,
    },
  });
  // pdfkit takes a parsed face too (its types only list files and buffers).
  doc.registerFont(REGULAR, font.regular as unknown as Buffer);
  doc.registerFont(BOLD, font.bold as unknown as Buffer);
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const left = PAGE.margin;
  const ensureRoom = (h: number) => {
    if (doc.y + h > PAGE.height - PAGE.margin) doc.addPage();
  };
  const rule = () => {
    doc.moveTo(left, doc.y).lineTo(left + CONTENT_WIDTH, doc.y).lineWidth(0.7).strokeColor('#444').stroke();
    doc.moveDown(0.4);
  };
  const heading = (text: string) => {
    ensureRoom(40);
    doc.moveDown(0.5).font(BOLD).fontSize(11).fillColor('#000').text(text, left, doc.y);
    doc.moveDown(0.2);
  };
  const field = (label: string, value: string) => {
    ensureRoom(16);
    doc.font(REGULAR).fontSize(9.5).fillColor('#000').text(`${label}：${value}`, left, doc.y, { width: CONTENT_WIDTH });
  };

  // Company header.
  doc.font(BOLD).fontSize(16).text(data.company.name, left, PAGE.margin, { width: CONTENT_WIDTH, align: 'center' });
  doc.font(REGULAR).fontSize(9).fillColor('#333').text(data.company.nameEn, { width: CONTENT_WIDTH, align: 'center' });
  doc.text(`${data.company.address}  电话 Tel ${data.company.phone}  统一社会信用代码 ${data.company.taxId}`, { width: CONTENT_WIDTH, align: 'center' });
  doc.moveDown(0.3);
  rule();

  // Title and numbers.
  doc.font(BOLD).fontSize(18).fillColor('#000').text(`${title.zh}  ${title.en}`, left, doc.y, { width: CONTENT_WIDTH, align: 'center' });
  doc.moveDown(0.4);
  const metaY = doc.y;
  doc.font(REGULAR).fontSize(9.5);
  doc.text(`编号 No.：${meta.docNo}`, left, metaY, { width: CONTENT_WIDTH / 2 });
  doc.text(`日期 Date：${data.date}`, left + CONTENT_WIDTH / 2, metaY, { width: CONTENT_WIDTH / 2, align: 'right' });
  doc.text(`订单号 Order No.：${data.orderNo}`, left, doc.y, { width: CONTENT_WIDTH / 2 });
  if (data.kind === 'contract') doc.text(`版本 Version：${meta.version}`, left, doc.y, { width: CONTENT_WIDTH / 2 });

  // Parties.
  const seller = data.kind === 'contract' ? '卖方（甲方）Seller' : '供货方 Supplier';
  const buyer = data.kind === 'contract' ? '买方（乙方）Buyer' : '客户 Customer';
  heading('双方 Parties');
  field(seller, `${data.company.name}，${data.company.address}`);
  field(buyer, `${data.customer.name}（客户编号 ${data.customer.code}）`);
  field('联系人 Contact', [data.customer.contactName, data.customer.contactPhone, data.customer.contactEmail].filter(Boolean).join('，'));

  // Lines.
  const withPrices = data.kind !== 'delivery_note';
  const columns: Column[] = withPrices
    ? [
        { title: '序号', width: 28, align: 'center', value: (l) => String(l.lineNo) },
        { title: '产品 Product', width: 150, value: (l) => `${l.name}\n${l.sku}${l.specification ? ` ${l.specification}` : ''}` },
        { title: '数量 Qty', width: 45, align: 'right', value: (l) => String(l.quantity) },
        { title: '单价 Unit', width: 62, align: 'right', value: (l) => money(l.unitPrice) },
        { title: '税率 Tax', width: 38, align: 'right', value: (l) => pct(l.taxRate) },
        { title: '金额 Net', width: 66, align: 'right', value: (l) => money(l.net) },
        { title: '税额 VAT', width: 50, align: 'right', value: (l) => money(l.tax) },
        { title: '价税合计 Total', width: CONTENT_WIDTH - 439, align: 'right', value: (l) => money(l.gross) },
      ]
    : [
        { title: '序号', width: 32, align: 'center', value: (l) => String(l.lineNo) },
        { title: '产品编号 SKU', width: 110, value: (l) => l.sku },
        { title: '品名 Product', width: 200, value: (l) => l.name },
        { title: '规格 Spec.', width: 93, value: (l) => l.specification ?? '' },
        { title: '数量 Qty', width: CONTENT_WIDTH - 435, align: 'right', value: (l) => String(l.quantity) },
      ];
  heading(withPrices ? '货物及价款 Goods and prices' : '发货明细 Goods shipped');
  const row = (cells: string[], bold: boolean) => {
    doc.font(bold ? BOLD : REGULAR).fontSize(8.5);
    const heights = cells.map((c, i) => doc.heightOfString(c, { width: columns[i].width - 6 }));
    const h = Math.max(...heights) + 6;
    ensureRoom(h);
    const y = doc.y;
    let x = left;
    cells.forEach((c, i) => {
      doc.text(c, x + 3, y + 3, { width: columns[i].width - 6, align: columns[i].align ?? 'left' });
      x += columns[i].width;
    });
    doc.moveTo(left, y + h).lineTo(left + CONTENT_WIDTH, y + h).lineWidth(0.4).strokeColor('#999').stroke();
    doc.x = left;
    doc.y = y + h;
  };
  row(columns.map((c) => c.title), true);
  for (const l of data.lines) row(columns.map((c) => c.value(l)), false);

  if (withPrices) {
    doc.moveDown(0.4);
    const cur = data.currency;
    const amount = data.kind === 'invoice' && data.invoice ? data.invoice.amount : data.total;
    doc.font(REGULAR).fontSize(9.5);
    doc.text(`不含税金额 Subtotal：${money(data.subtotal)} ${cur}    税额 VAT：${money(data.tax)} ${cur}`, left, doc.y, { width: CONTENT_WIDTH, align: 'right' });
    doc.font(BOLD).fontSize(10.5).text(`${data.kind === 'invoice' ? '应付金额 Amount due' : '合计 Total'}：${money(amount)} ${cur}`, left, doc.y, { width: CONTENT_WIDTH, align: 'right' });
    doc.font(BOLD).fontSize(10).text(`合计${CURRENCY_ZH[cur] ?? cur}（大写）：${amountInWords(amount)}`, left, doc.y, { width: CONTENT_WIDTH });
  }

  // Delivery.
  heading(data.kind === 'delivery_note' ? '运输 Shipment' : '交货 Delivery');
  const a = data.deliveryAddress;
  field('收货地址 Address', `${a.region} ${a.city} ${a.line1}${a.postcode ? `（${a.postcode}）` : ''}`);
  field('收货人 Recipient', `${a.recipient}，${a.phone}`);
  if (data.kind !== 'delivery_note') field('交货日期 Delivery date', data.requestedDeliveryDate);
  if (data.shipment) {
    field('承运人 Carrier', data.shipment.carrierName);
    field('运单号 Waybill / tracking No.', data.shipment.trackingNo);
    field('发货日期 Ship date', data.shipment.shipDate);
    field('预计到达 ETA', data.shipment.eta);
    field('重量 Weight', `${data.shipment.weightKg} kg`);
  }

  // Payment.
  if (data.kind !== 'delivery_note') {
    heading('付款 Payment');
    field('付款条件 Payment terms', paymentTermsText(data.paymentTerms));
    if (data.invoice) {
      field('发票号 Invoice No.', data.invoice.invoiceNo);
      field('开票日期 Issued', data.invoice.issuedAt);
      field('到期日 Due date', data.invoice.dueDate);
    }
    if (data.kind === 'invoice' || data.kind === 'contract') {
      field('开户行 Bank', data.company.bank.name);
      field('账号 Account', data.company.bank.account);
      field('户名 Account name', data.company.bank.accountName);
      if (data.invoice) field('付款备注 Reference', `请注明发票号 Please quote ${data.invoice.invoiceNo}`);
    }
  }

  if (data.kind === 'contract') {
    heading('合同条款 Terms');
    data.company.contractTerms.forEach((t, i) => field(`${i + 1}`, t));
  }
  if (data.kind === 'confirmation') {
    doc.moveDown(0.6);
    field('说明 Note', `我司已确认贵司订单 ${data.orderNo}，将按上述内容安排生产与交货。We confirm your order ${data.orderNo} as above.`);
  }
  if (data.notes) field('备注 Notes', data.notes);

  // Signatures.
  doc.moveDown(1.2);
  ensureRoom(70);
  const sigY = doc.y;
  const half = CONTENT_WIDTH / 2;
  const signLeft = data.kind === 'delivery_note' ? '发货人 Shipped by' : `${seller}（盖章）`;
  const signRight = data.kind === 'delivery_note' ? '收货人签收 Received by' : `${buyer}（盖章）`;
  doc.font(REGULAR).fontSize(9.5);
  doc.text(`${signLeft}\n${data.kind === 'delivery_note' ? '' : data.company.name}\n签字 Signature：\n日期 Date：`, left, sigY, { width: half - 10, lineGap: 6 });
  doc.text(`${signRight}\n${data.kind === 'delivery_note' ? '' : data.customer.name}\n签字 Signature：\n日期 Date：`, left + half, sigY, { width: half - 10, lineGap: 6 });

  doc.end();
  return done;
}

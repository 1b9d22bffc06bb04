/**
 * The `changes` of a change request or a correction (api OrderChangesSchema):
 * only what changes is sent. The order's current lines are the starting
 * point; a line's quantity or price edited means the full new set of lines
 * goes (the API takes the complete list).
 */
import { useEffect, useState } from 'react';
import { Checkbox, DatePicker, Input, InputNumber, Select, Space, Table, Typography } from 'antd';
import { useI18n } from '../i18n';
import { dayjs } from '../format';
import type { OrderDetail } from '../types';

export interface OrderChanges {
  lines?: { productId: string; quantity: number; unitPrice: string; taxRate: string; specification?: string }[];
  requestedDeliveryDate?: string;
  paymentTerms?: string;
  deliveryAddress?: OrderDetail['deliveryAddress'];
}

const TERMS = ['PREPAYMENT', 'NET_15', 'NET_30', 'NET_60'];

export function ChangesEditor({
  order,
  value,
  onChange,
  id,
}: {
  order: OrderDetail;
  value?: OrderChanges;
  onChange?: (v: OrderChanges) => void;
  id?: string;
}) {
  const { t, code } = useI18n();
  const [lines, setLines] = useState(() =>
    order.lines.map((l) => ({ productId: l.productId, sku: l.sku, name: l.productName, quantity: l.quantity, unitPrice: l.unitPrice, taxRate: l.taxRate, specification: l.specification ?? undefined })),
  );
  const [linesOn, setLinesOn] = useState(false);
  const [date, setDate] = useState<string | undefined>(value?.requestedDeliveryDate);
  const [terms, setTerms] = useState<string | undefined>(value?.paymentTerms);
  const [addrOn, setAddrOn] = useState(false);
  const [addr, setAddr] = useState(order.deliveryAddress);

  useEffect(() => {
    const out: OrderChanges = {};
    if (linesOn)
      out.lines = lines.map((l) => ({
        productId: l.productId,
        quantity: l.quantity,
        unitPrice: l.unitPrice,
        taxRate: l.taxRate,
        ...(l.specification ? { specification: l.specification } : {}),
      }));
    if (date) out.requestedDeliveryDate = date;
    if (terms) out.paymentTerms = terms;
    if (addrOn) out.deliveryAddress = addr;
    onChange?.(out);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [lines, linesOn, date, terms, addrOn, addr]);

  return (
    <Space direction="vertical" style={{ width: '100%' }} id={id}>
      <Typography.Text type="secondary">{t('changesHint')}</Typography.Text>
      <Checkbox checked={linesOn} onChange={(e) => setLinesOn(e.target.checked)}>
        {t('changeLines')}
      </Checkbox>
      {linesOn && (
        <Table
          size="small"
          pagination={false}
          rowKey="productId"
          dataSource={lines}
          scroll={{ x: 360 }}
          columns={[
            { title: t('product'), key: 'p', render: (_, l) => `${l.sku} ${l.name}` },
            {
              title: t('newQuantity'),
              key: 'q',
              render: (_, l, i) => (
                <InputNumber
                  aria-label={`${t('newQuantity')} ${l.sku}`}
                  min={1}
                  value={l.quantity}
                  onChange={(q) => setLines(lines.map((x, j) => (j === i ? { ...x, quantity: Number(q ?? 1) } : x)))}
                />
              ),
            },
            {
              title: t('unitPrice'),
              key: 'u',
              render: (_, l, i) => (
                <Input
                  aria-label={`${t('unitPrice')} ${l.sku}`}
                  value={l.unitPrice}
                  style={{ width: 110 }}
                  onChange={(e) => setLines(lines.map((x, j) => (j === i ? { ...x, unitPrice: e.target.value } : x)))}
                />
              ),
            },
          ]}
        />
      )}
      <label>
        <span style={{ marginRight: 8 }}>{t('newDeliveryDate')}</span>
        <DatePicker
          aria-label={t('newDeliveryDate')}
          value={date ? dayjs(date) : null}
          onChange={(d) => setDate(d ? d.format('YYYY-MM-DD') : undefined)}
        />
      </label>
      <label>
        <span style={{ marginRight: 8 }}>{t('changeTerms')}</span>
        <Select
          aria-label={t('changeTerms')}
          allowClear
          style={{ minWidth: 160 }}
          value={terms}
          onChange={(v) => setTerms(v)}
          options={TERMS.map((c) => ({ value: c, label: code(c) }))}
        />
      </label>
      <Checkbox checked={addrOn} onChange={(e) => setAddrOn(e.target.checked)}>
        {t('changeAddress')}
      </Checkbox>
      {addrOn && (
        <Space direction="vertical" style={{ width: '100%' }}>
          {(['recipient', 'phone', 'region', 'city', 'line1'] as const).map((k) => (
            <Input key={k} aria-label={t(k)} addonBefore={t(k)} value={addr[k]} onChange={(e) => setAddr({ ...addr, [k]: e.target.value })} />
          ))}
        </Space>
      )}
    </Space>
  );
}

/**
 * Intake for sales: customer search with credit standing, product search
 * with list price and stock, lines, the payment terms the customer may use,
 * delivery address. The API's field errors show at their field. The
 * Idempotency-Key is made once per filled-in form, so a double click or a
 * retry after a lost answer makes one order.
 */
import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router-dom';
import { Alert, Button, Card, Col, DatePicker, Descriptions, Divider, Form, Input, InputNumber, Result, Row, Select, Space, Switch, Typography } from 'antd';
import { ToneTag } from '../components/Tags';
import { api, ApiError, fieldPath, newIdempotencyKey, qs } from '../api';
import { useI18n } from '../i18n';
import { usePageTitle } from '../work';
import { Money } from '../components/Money';
import { dayjs, nowInZone } from '../format';
import type { CustomerItem, ProductItem } from '../types';

const CHANNELS = ['phone', 'email', 'fax', 'ecommerce', 'api'];

/** Search as you type, a short pause before asking the API. */
function useSearch<T>(path: string) {
  const [items, setItems] = useState<T[]>([]);
  const [loading, setLoading] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const search = (q: string) => {
    clearTimeout(timer.current);
    timer.current = setTimeout(async () => {
      setLoading(true);
      try {
        setItems((await api<{ items: T[] }>(`${path}${qs({ q, limit: 20 })}`)).items);
      } catch {
        setItems([]);
      } finally {
        setLoading(false);
      }
    }, 250);
  };
  return { items, loading, search };
}

interface LineValue { productId?: string; quantity?: number; unitPrice?: string; taxRate?: string; specification?: string }

export default function Intake() {
  const { t, code } = useI18n();
  usePageTitle(t('newOrder'));
  const [form] = Form.useForm();
  const customers = useSearch<CustomerItem>('/customers');
  const products = useSearch<ProductItem>('/products');
  const [customer, setCustomer] = useState<CustomerItem | null>(null);
  const [known, setKnown] = useState<Record<string, ProductItem>>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ orderNo: string; stage: string } | null>(null);
  const idemKey = useRef(newIdempotencyKey('web-order'));
  const lines: LineValue[] = Form.useWatch('lines', form) ?? [];

  useEffect(() => {
    customers.search('');
    products.search('');
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    const fresh = Object.fromEntries(products.items.map((p) => [p.id, p]));
    setKnown((k) => ({ ...k, ...fresh }));
  }, [products.items]);

  const pickCustomer = (id: string) => {
    const c = customers.items.find((x) => x.id === id) ?? null;
    setCustomer(c);
    const contact = c?.contacts[0];
    form.setFieldsValue({
      paymentTerms: c?.allowedPaymentTerms.includes('NET_30') ? 'NET_30' : c?.allowedPaymentTerms[0],
      contact: { name: contact?.name, phone: contact?.phone ?? undefined, email: contact?.email ?? undefined },
      deliveryAddress: { recipient: contact?.name, phone: contact?.phone ?? undefined },
    });
  };

  const pickProduct = (index: number, id: string) => {
    const p = known[id];
    if (!p) return;
    const lines: LineValue[] = form.getFieldValue('lines') ?? [];
    lines[index] = { ...lines[index], productId: id, unitPrice: lines[index]?.unitPrice || p.listPrice };
    form.setFieldsValue({ lines: [...lines] });
  };

  const submit = async (v: Record<string, unknown>) => {
    setBusy(true);
    setError(null);
    const addr = v.deliveryAddress as Record<string, string | undefined>;
    const contact = v.contact as Record<string, string | undefined>;
    const clean = <T extends Record<string, unknown>>(o: T) => Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined && x !== '')) as T;
    const body = {
      customerId: v.customerId,
      channel: v.channel,
      contact: clean(contact),
      requestedDeliveryDate: dayjs.isDayjs(v.requestedDeliveryDate) ? v.requestedDeliveryDate.format('YYYY-MM-DD') : undefined,
      deliveryAddress: clean(addr),
      paymentTerms: v.paymentTerms,
      ...(v.special ? { special: true } : {}),
      ...(v.notes ? { notes: v.notes } : {}),
      lines: ((v.lines as LineValue[]) ?? []).map((l) =>
        clean({ productId: l.productId, quantity: l.quantity, unitPrice: l.unitPrice?.trim(), taxRate: l.taxRate, specification: l.specification }),
      ),
    };
    try {
      const res = await api<{ orderNo: string; stage: string }>('/orders', { method: 'POST', body, headers: { 'Idempotency-Key': idemKey.current } });
      setCreated(res);
    } catch (err) {
      const e = err as ApiError;
      if (e.field && e.field !== 'body') {
        const path = fieldPath(e.field);
        form.setFields([{ name: path, errors: [e.message] }]);
        form.scrollToField(path);
      }
      setError(`${e.status ? e.status + ' ' : ''}${e.message}`);
    } finally {
      setBusy(false);
    }
  };

  const restart = () => {
    idemKey.current = newIdempotencyKey('web-order');
    form.resetFields();
    setCustomer(null);
    setCreated(null);
    setError(null);
  };

  if (created)
    return (
      <Result
        status="success"
        title={t('orderCreated', { no: created.orderNo })}
        subTitle={code(created.stage)}
        extra={[
          <Link key="open" to={`/orders/${created.orderNo}`}>
            <Button type="primary">{t('openOrder')}</Button>
          </Link>,
          <Button key="again" onClick={restart}>
            {t('anotherOrder')}
          </Button>,
        ]}
      />
    );

  return (
    <Card title={<Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>{t('newOrder')}</Typography.Title>}>
      <Form
        form={form}
        layout="vertical"
        onFinish={submit}
        initialValues={{
          channel: 'phone',
          lines: [{ quantity: 1, taxRate: '0.13' }],
          requestedDeliveryDate: nowInZone().add(14, 'day'),
        }}
        scrollToFirstError
      >
        <Row gutter={16}>
          <Col xs={24} md={12}>
            <Form.Item name="customerId" label={t('customer')} rules={[{ required: true, message: `${t('customer')} ${t('required')}` }]}>
              <Select
                showSearch
                placeholder={t('customerSearch')}
                filterOption={false}
                onSearch={customers.search}
                loading={customers.loading}
                onChange={pickCustomer}
                options={customers.items.map((c) => ({ value: c.id, label: `${c.code} ${c.name}${c.creditHold ? ' ⚠' : ''}` }))}
              />
            </Form.Item>
            {customer && (
              <Descriptions size="small" bordered column={1} title={t('customerCredit')} data-testid="credit">
                <Descriptions.Item label={t('creditLimit')}>
                  <Money amount={customer.creditLimit} currency={customer.creditCurrency} />
                </Descriptions.Item>
                {customer.exposure !== undefined && (
                  <Descriptions.Item label={t('exposure')}>
                    <Money amount={customer.exposure} currency={customer.creditCurrency} />
                  </Descriptions.Item>
                )}
                {customer.available !== undefined && (
                  <Descriptions.Item label={t('available')}>
                    <Money amount={customer.available} currency={customer.creditCurrency} />
                  </Descriptions.Item>
                )}
                <Descriptions.Item label={t('creditHold')}>
                  {customer.creditHold ? <ToneTag tone="red">{customer.creditHoldReason ?? t('creditHold')}</ToneTag> : t('no')}
                </Descriptions.Item>
                <Descriptions.Item label={t('allowedTerms')}>{customer.allowedPaymentTerms.map((c) => code(c)).join('、')}</Descriptions.Item>
              </Descriptions>
            )}
          </Col>
          <Col xs={24} md={6}>
            <Form.Item name="channel" label={t('channel')} rules={[{ required: true }]}>
              <Select options={CHANNELS.map((c) => ({ value: c, label: code(c) }))} />
            </Form.Item>
          </Col>
          <Col xs={24} md={6}>
            <Form.Item name="paymentTerms" label={t('paymentTerms')} rules={[{ required: true, message: `${t('paymentTerms')} ${t('required')}` }]}>
              <Select
                placeholder={customer ? undefined : t('noCustomer')}
                options={(customer?.allowedPaymentTerms ?? []).map((c) => ({ value: c, label: code(c) }))}
              />
            </Form.Item>
          </Col>
        </Row>

        <Divider titlePlacement="start">{t('lines')}</Divider>
        <Form.List name="lines">
          {(fields, { add, remove }) => (
            <>
              {fields.map((field) => {
                const line = lines[field.name];
                const p = line?.productId ? known[line.productId] : undefined;
                return (
                  <Row gutter={8} key={field.key} align="top" data-testid="intake-line">
                    <Col xs={24} md={9}>
                      <Form.Item name={[field.name, 'productId']} label={t('product')} rules={[{ required: true, message: `${t('product')} ${t('required')}` }]}>
                        <Select
                          showSearch
                          placeholder={t('productSearch')}
                          filterOption={false}
                          onSearch={products.search}
                          loading={products.loading}
                          onChange={(id: string) => pickProduct(field.name, id)}
                          options={products.items.map((x) => ({ value: x.id, label: `${x.sku} ${x.name}` }))}
                        />
                      </Form.Item>
                      {p && (
                        <Typography.Text type="secondary" style={{ display: 'block', marginTop: -16, marginBottom: 8 }}>
                          {t('listPrice')} <Money amount={p.listPrice} currency={p.currency} /> · {t('stock')} {p.makeToOrder ? '—' : `${p.available} / ${p.onHand}`}
                        </Typography.Text>
                      )}
                    </Col>
                    <Col xs={8} md={4}>
                      <Form.Item name={[field.name, 'quantity']} label={t('quantity')} rules={[{ required: true, message: t('required') }]}>
                        <InputNumber min={1} style={{ width: '100%' }} />
                      </Form.Item>
                    </Col>
                    <Col xs={8} md={4}>
                      <Form.Item
                        name={[field.name, 'unitPrice']}
                        label={t('unitPrice')}
                        rules={[{ required: true, message: t('required') }, { pattern: /^\d{1,12}(\.\d{1,2})?$/, message: '0.00' }]}
                      >
                        <Input inputMode="decimal" />
                      </Form.Item>
                    </Col>
                    <Col xs={8} md={3}>
                      <Form.Item name={[field.name, 'taxRate']} label={t('taxRate')} rules={[{ required: true, message: t('required') }]}>
                        <Select options={['0.13', '0.09', '0.06', '0'].map((r) => ({ value: r, label: `${Number(r) * 100}%` }))} />
                      </Form.Item>
                    </Col>
                    <Col xs={24} md={4}>
                      <Form.Item label={t('remove')} >
                        <Button danger disabled={fields.length === 1} onClick={() => remove(field.name)}>
                          {t('remove')}
                        </Button>
                      </Form.Item>
                    </Col>
                  </Row>
                );
              })}
              <Button onClick={() => add({ quantity: 1, taxRate: '0.13' })}>{t('addLine')}</Button>
            </>
          )}
        </Form.List>

        <Divider titlePlacement="start">{t('contact')}</Divider>
        <Row gutter={16}>
          <Col xs={24} md={8}>
            <Form.Item name={['contact', 'name']} label={t('contact')} rules={[{ required: true, message: t('required') }]}>
              <Input />
            </Form.Item>
          </Col>
          <Col xs={24} md={8}>
            <Form.Item name={['contact', 'phone']} label={t('phone')}>
              <Input />
            </Form.Item>
          </Col>
          <Col xs={24} md={8}>
            <Form.Item name={['contact', 'email']} label={t('email')} rules={[{ type: 'email' }]}>
              <Input />
            </Form.Item>
          </Col>
        </Row>

        <Divider titlePlacement="start">{t('deliveryAddress')}</Divider>
        <Row gutter={16}>
          <Col xs={24} md={6}>
            <Form.Item name="requestedDeliveryDate" label={t('requestedDelivery')} rules={[{ required: true, message: t('required') }]}>
              <DatePicker style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={24} md={6}>
            <Form.Item name={['deliveryAddress', 'recipient']} label={t('recipient')} rules={[{ required: true, message: t('required') }]}>
              <Input />
            </Form.Item>
          </Col>
          <Col xs={24} md={6}>
            <Form.Item name={['deliveryAddress', 'phone']} label={t('phone')} rules={[{ required: true, message: t('required') }]}>
              <Input />
            </Form.Item>
          </Col>
          <Col xs={24} md={6}>
            <Form.Item name={['deliveryAddress', 'postcode']} label={t('postcode')}>
              <Input />
            </Form.Item>
          </Col>
          <Col xs={24} md={6}>
            <Form.Item name={['deliveryAddress', 'region']} label={t('region')} rules={[{ required: true, message: t('required') }]}>
              <Input />
            </Form.Item>
          </Col>
          <Col xs={24} md={6}>
            <Form.Item name={['deliveryAddress', 'city']} label={t('city')} rules={[{ required: true, message: t('required') }]}>
              <Input />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item name={['deliveryAddress', 'line1']} label={t('line1')} rules={[{ required: true, message: t('required') }]}>
              <Input />
            </Form.Item>
          </Col>
        </Row>
        <Row gutter={16}>
          <Col xs={24} md={4}>
            <Form.Item name="special" label={t('special')} valuePropName="checked">
              <Switch />
            </Form.Item>
          </Col>
          <Col xs={24} md={20}>
            <Form.Item name="notes" label={t('notes')}>
              <Input.TextArea rows={2} maxLength={2000} />
            </Form.Item>
          </Col>
        </Row>
        {error && <Alert type="error" role="alert" showIcon message={error} style={{ marginBottom: 12 }} />}
        <Space>
          <Button type="primary" htmlType="submit" loading={busy}>
            {t('createOrder')}
          </Button>
        </Space>
      </Form>
    </Card>
  );
}

/**
 * One order: header (stage, deadline countdown, risk, hold, exception),
 * lines, the action panel, the timeline and every department's part
 * (reservations, production, shipment, invoice and payments, change
 * requests with each department's decision, risks, documents). Re-read
 * every 10 s and after each action.
 */
import { useCallback, useEffect, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { Alert, Card, Col, Descriptions, Empty, Row, Space, Spin, Table, Timeline, Typography } from 'antd';
import { api, ApiError } from '../api';
import { useI18n } from '../i18n';
import { usePageTitle, useWork } from '../work';
import { Money } from '../components/Money';
import { Time } from '../components/Time';
import { TimeLeft } from '../components/TimeLeft';
import { EscalationTag, LevelTag, StageTag, ToneTag } from '../components/Tags';
import { ActionPanel } from '../components/ActionPanel';
import { formatDuration } from '../format';
import type { Actions, ChangeItem, DocumentItem, OrderDetail, Timeline as TimelineData } from '../types';

const POLL_MS = 10_000;

interface Loaded {
  order: OrderDetail;
  actions: Actions | null;
  timeline: TimelineData | null;
  documents: DocumentItem[];
  changes: ChangeItem[];
}

const optional = <T,>(p: Promise<T>): Promise<T | null> => p.catch(() => null);

function Section({ title, children, id }: { title: string; children: React.ReactNode; id?: string }) {
  return (
    <Card size="small" style={{ marginBottom: 16 }} id={id} title={<Typography.Title level={2} style={{ fontSize: 16, margin: 0 }}>{title}</Typography.Title>}>
      {children}
    </Card>
  );
}

export default function OrderPage() {
  const { orderNo = '' } = useParams();
  const { t, lang, code, pick } = useI18n();
  const { reload: reloadWork } = useWork();
  usePageTitle(`${orderNo} · ${t('appName')}`);
  const [data, setData] = useState<Loaded | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const load = useCallback(async () => {
    try {
      const enc = encodeURIComponent(orderNo);
      const [order, actions, timeline, documents, changes] = await Promise.all([
        api<OrderDetail>(`/orders/${enc}`),
        optional(api<Actions>(`/orders/${enc}/actions`)),
        optional(api<TimelineData>(`/orders/${enc}/timeline`)),
        optional(api<{ items: DocumentItem[] }>(`/orders/${enc}/documents`)),
        optional(api<{ items: ChangeItem[] }>(`/orders/${enc}/changes`)),
      ]);
      setData({ order, actions, timeline, documents: documents?.items ?? [], changes: changes?.items ?? [] });
      setError(null);
    } catch (err) {
      setError(err as ApiError);
    }
  }, [orderNo]);

  useEffect(() => {
    setData(null);
    void load();
    const timer = setInterval(() => document.visibilityState !== 'hidden' && void load(), POLL_MS);
    return () => clearInterval(timer);
  }, [load]);

  const afterAction = useCallback(() => {
    void load();
    void reloadWork();
  }, [load, reloadWork]);

  // Stage and decision lines in the page's words (the API's titles name stages by their codes).
  const timelineTitle = (it: TimelineData['items'][number]): string => {
    const d = it.detail;
    const colon = lang === 'zh' ? '：' : ': ';
    if (it.kind === 'transition' && typeof d.to === 'string') return `${t('stage')}${colon}${d.from ? code(String(d.from)) : '—'} → ${code(d.to)}`;
    if (it.kind === 'decision' && typeof d.stage === 'string' && typeof d.decision === 'string')
      return `${code(d.stage)}${d.department ? ` · ${code(String(d.department))}` : ''}${colon}${code(d.decision)}`;
    return pick(it.title);
  };

  if (error && !data) return <Alert type="error" showIcon message={error.status === 404 ? t('notFound') : t('error')} description={error.message} />;
  if (!data) return <Spin />;
  const { order, actions, timeline, documents, changes } = data;
  const cur = order.currency;
  const exception = order.live?.exception;

  return (
    <Space direction="vertical" style={{ width: '100%' }} size={16}>
      <Card>
        <Space direction="vertical" style={{ width: '100%' }}>
          <Space wrap align="center">
            <Typography.Title level={1} style={{ fontSize: 22, margin: 0 }} data-testid="order-no">
              {order.orderNo}
            </Typography.Title>
            <span data-testid="order-stage">
              <StageTag stage={order.stage} />
            </span>
            <LevelTag level={order.riskLevel} />
            {order.onHold && <ToneTag tone="orange">{t('onHold')}</ToneTag>}
            <EscalationTag escalation={order.escalation} />
          </Space>
          {exception && (
            <Alert type="error" showIcon message={t('exception')} description={[exception.stage && code(exception.stage), exception.step, exception.message].filter(Boolean).join(' · ')} />
          )}
          <Descriptions size="small" column={{ xs: 1, sm: 2, lg: 3 }}>
            <Descriptions.Item label={t('customer')}>{order.customer.name}</Descriptions.Item>
            <Descriptions.Item label={t('total')}>
              <Money amount={order.totalAmount} currency={cur} />
            </Descriptions.Item>
            <Descriptions.Item label={t('deadline')}>
              {order.stageDeadline ? (
                <Space size={4} wrap>
                  <Time iso={order.stageDeadline} />
                  <TimeLeft deadline={order.stageDeadline} />
                </Space>
              ) : (
                '—'
              )}
            </Descriptions.Item>
            <Descriptions.Item label={t('timeInStage')}>{formatDuration(order.timeInStageSeconds, lang)}</Descriptions.Item>
            <Descriptions.Item label={t('paymentTerms')}>{code(order.paymentTerms)}</Descriptions.Item>
            <Descriptions.Item label={t('requestedDelivery')}>{order.requestedDeliveryDate}</Descriptions.Item>
            <Descriptions.Item label={t('orderDate')}>{order.orderDate}</Descriptions.Item>
            <Descriptions.Item label={t('channel')}>{code(order.channel)}</Descriptions.Item>
            <Descriptions.Item label={t('enteredBy')}>{order.enteredBy}</Descriptions.Item>
            <Descriptions.Item label={t('contact')}>
              {[order.contact.name, order.contact.phone, order.contact.email].filter(Boolean).join(' · ')}
            </Descriptions.Item>
            <Descriptions.Item label={t('deliveryAddress')}>
              {`${order.deliveryAddress.recipient} ${order.deliveryAddress.phone} · ${order.deliveryAddress.region} ${order.deliveryAddress.city} ${order.deliveryAddress.line1}`}
            </Descriptions.Item>
            {order.closedAt && (
              <Descriptions.Item label={t('closedAt')}>
                <Time iso={order.closedAt} />
              </Descriptions.Item>
            )}
          </Descriptions>
          <a href={timeline?.workflowUrl ?? order.workflowUrl} target="_blank" rel="noreferrer">
            {t('temporalHistory')} ↗
          </a>
        </Space>
      </Card>

      <Row gutter={[16, 16]}>
        <Col xs={{ span: 24, order: 2 }} lg={{ span: 16, order: 1 }}>
          <Section title={t('lines')}>
            <Table
              size="small"
              rowKey="id"
              pagination={false}
              scroll={{ x: 600 }}
              dataSource={order.lines}
              columns={[
                { title: '#', dataIndex: 'lineNo', width: 40 },
                { title: t('sku'), dataIndex: 'sku' },
                { title: t('product'), dataIndex: 'productName' },
                { title: t('quantity'), dataIndex: 'quantity', align: 'right' },
                { title: t('unitPrice'), key: 'u', align: 'right', render: (_, l) => <Money amount={l.unitPrice} currency={cur} /> },
                { title: t('taxRate'), dataIndex: 'taxRate', align: 'right' },
              ]}
              summary={() => (
                <Table.Summary.Row>
                  <Table.Summary.Cell index={0} colSpan={4} />
                  <Table.Summary.Cell index={1} colSpan={2} align="right">
                    {t('subtotal')} <Money amount={order.subtotal} currency={cur} /> · {t('tax')} <Money amount={order.taxAmount} currency={cur} /> ·{' '}
                    <strong>
                      {t('total')} <Money amount={order.totalAmount} currency={cur} />
                    </strong>
                  </Table.Summary.Cell>
                </Table.Summary.Row>
              )}
            />
          </Section>

          <Section title={t('timeline')} id="timeline">
            {timeline && timeline.items.length > 0 ? (
              <Timeline
                data-testid="timeline"
                items={timeline.items.map((it, i) => ({
                  key: `${it.at}-${i}`,
                  color: it.kind === 'alert' || it.kind === 'exception' ? 'red' : it.kind === 'decision' ? 'green' : it.kind === 'email' ? 'gray' : 'blue',
                  children: (
                    <div data-kind={it.kind}>
                      <div>{timelineTitle(it)}</div>
                      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                        <Time iso={it.at} seconds /> · {it.actor ?? t('system')}
                        {typeof it.detail.comment === 'string' && it.detail.comment ? ` · ${it.detail.comment}` : ''}
                      </Typography.Text>
                    </div>
                  ),
                }))}
              />
            ) : (
              <Timeline
                items={order.transitions.map((tr) => ({
                  key: String(tr.seq),
                  children: (
                    <span>
                      {tr.from ? `${code(tr.from)} → ` : ''}
                      {code(tr.to)} · <Time iso={tr.at} /> · {tr.actor ?? t('system')}
                    </span>
                  ),
                }))}
              />
            )}
          </Section>

          <Section title={t('changes')}>
            {changes.length === 0 && order.changes.length === 0 ? (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('noData')} />
            ) : (
              <Table
                size="small"
                rowKey="id"
                pagination={false}
                scroll={{ x: 600 }}
                dataSource={changes}
                data-testid="changes"
                columns={[
                  { title: t('at'), key: 'at', render: (_, c) => <Time iso={c.createdAt} /> },
                  { title: t('reason'), dataIndex: 'reason' },
                  { title: t('requestedBy'), dataIndex: 'requestedBy' },
                  { title: t('status'), key: 's', render: (_, c) => <ToneTag>{code(c.status)}</ToneTag> },
                  {
                    title: t('decisions'),
                    key: 'd',
                    render: (_, c) => (
                      <Space direction="vertical" size={0}>
                        {Object.entries(c.reviews ?? {}).map(([dept, r]) => (
                          <span key={dept}>
                            {code(dept === 'production' ? 'production' : dept)}: {r.decision ? code(r.decision) : t('pending')}
                            {r.actor ? ` (${r.actor})` : ''}
                          </span>
                        ))}
                      </Space>
                    ),
                  },
                ]}
              />
            )}
          </Section>

          <Section title={t('reservations') + ' / ' + t('production')}>
            <Table
              size="small"
              rowKey="id"
              pagination={false}
              dataSource={order.reservations}
              locale={{ emptyText: t('noData') }}
              columns={[
                { title: '#', dataIndex: 'lineNo', width: 40 },
                { title: t('quantity'), dataIndex: 'quantity', align: 'right' },
                { title: t('status'), dataIndex: 'status' },
              ]}
            />
            {order.productionOrders.length > 0 && (
              <Table
                style={{ marginTop: 12 }}
                size="small"
                rowKey="id"
                pagination={false}
                scroll={{ x: 600 }}
                dataSource={order.productionOrders}
                columns={[
                  { title: t('production'), dataIndex: 'productionNo' },
                  { title: t('quantity'), dataIndex: 'quantity', align: 'right' },
                  { title: t('percent'), key: 'p', render: (_, p) => `${p.percent}%` },
                  { title: t('plannedFinish'), key: 'f', render: (_, p) => <Time iso={p.plannedFinish} /> },
                  { title: t('qc'), key: 'q', render: (_, p) => (p.qcPassed === null ? '—' : p.qcPassed ? '✓' : '✗') },
                  { title: t('status'), dataIndex: 'status' },
                ]}
              />
            )}
          </Section>

          <Section title={t('shipment')}>
            {order.shipment ? (
              <Descriptions size="small" column={{ xs: 1, sm: 2 }}>
                <Descriptions.Item label={t('carrier')}>{order.shipment.carrierName}</Descriptions.Item>
                <Descriptions.Item label={t('trackingNo')}>{order.shipment.trackingNo}</Descriptions.Item>
                <Descriptions.Item label={t('eta')}>
                  <Time iso={order.shipment.eta} />
                </Descriptions.Item>
                <Descriptions.Item label={t('status')}>{order.shipment.status}</Descriptions.Item>
                <Descriptions.Item label={t('dispatchedAt')}>
                  <Time iso={order.shipment.dispatchedAt} />
                </Descriptions.Item>
                <Descriptions.Item label={t('deliveredAt')}>
                  <Time iso={order.shipment.deliveredAt} />
                </Descriptions.Item>
              </Descriptions>
            ) : (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('noData')} />
            )}
          </Section>

          <Section title={t('invoice')}>
            {order.invoice ? (
              <>
                <Descriptions size="small" column={{ xs: 1, sm: 2 }} data-testid="invoice">
                  <Descriptions.Item label={t('invoiceNo')}>{order.invoice.invoiceNo}</Descriptions.Item>
                  <Descriptions.Item label={t('dueDate')}>
                    {order.invoice.dueDate.includes('T') ? <Time iso={order.invoice.dueDate} /> : order.invoice.dueDate}
                  </Descriptions.Item>
                  <Descriptions.Item label={t('amount')}>
                    <Money amount={order.invoice.amount} currency={order.invoice.currency} />
                  </Descriptions.Item>
                  <Descriptions.Item label={t('paid')}>
                    <Money amount={order.invoice.paid} currency={order.invoice.currency} />
                  </Descriptions.Item>
                  <Descriptions.Item label={t('outstanding')}>
                    <Money amount={order.invoice.outstanding} currency={order.invoice.currency} />
                  </Descriptions.Item>
                  <Descriptions.Item label={t('status')}>{order.invoice.status}</Descriptions.Item>
                </Descriptions>
                <Table
                  size="small"
                  rowKey="id"
                  pagination={false}
                  dataSource={order.invoice.payments}
                  locale={{ emptyText: t('noData') }}
                  columns={[
                    { title: t('paidAt'), key: 'a', render: (_, p) => <Time iso={p.paidAt} /> },
                    { title: t('amount'), key: 'm', align: 'right', render: (_, p) => <Money amount={p.amount} currency={order.invoice!.currency} /> },
                    { title: t('reference'), dataIndex: 'reference' },
                    { title: t('actor'), dataIndex: 'recordedBy' },
                  ]}
                />
              </>
            ) : (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('noData')} />
            )}
          </Section>

          <Section title={t('risks')}>
            <Table
              size="small"
              rowKey="code"
              pagination={false}
              scroll={{ x: 500 }}
              dataSource={order.risks}
              locale={{ emptyText: t('noData') }}
              columns={[
                { title: t('level'), key: 'l', render: (_, r) => <LevelTag level={r.level} /> },
                { title: t('reason'), dataIndex: 'reason' },
                { title: t('control'), dataIndex: 'control' },
                { title: t('owner'), key: 'o', render: (_, r) => code(r.owner) },
                { title: t('status'), key: 's', render: (_, r) => code(r.status) },
              ]}
            />
          </Section>

          <Section title={t('documents')}>
            {documents.length === 0 ? (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('noData')} />
            ) : (
              <ul style={{ paddingLeft: 20, margin: 0 }}>
                {documents.map((d) => (
                  <li key={d.id}>
                    <a href={d.url} target="_blank" rel="noreferrer">
                      {d.title} {d.docNo} (PDF)
                    </a>
                    {!d.latest && <Typography.Text type="secondary"> · v{d.version}</Typography.Text>}
                  </li>
                ))}
              </ul>
            )}
          </Section>
        </Col>
        <Col xs={{ span: 24, order: 1 }} lg={{ span: 8, order: 2 }}>
          <div style={{ position: 'sticky', top: 16 }}>
            <Section title={t('actions')} id="actions">
              {actions ? <ActionPanel actions={actions.actions} order={order} onDone={afterAction} /> : <Spin />}
            </Section>
            {order.alerts.length > 0 && (
              <Section title={t('alerts')}>
                <ul style={{ paddingLeft: 20, margin: 0 }}>
                  {order.alerts.map((a) => (
                    <li key={a.key}>
                      <Time iso={a.at} /> · {code(a.role)} · {a.message}
                    </li>
                  ))}
                </ul>
              </Section>
            )}
            <Link to="/">← {t('myWork')}</Link>
          </div>
        </Col>
      </Row>
    </Space>
  );
}

/**
 * The action panel of an order: one form per action the API offers this
 * user now (GET /orders/:orderNo/actions), built from the action's fields.
 * The API's answer is shown in place: what happened, or why not (a 409's
 * message, a field error at its field).
 */
import { useRef, useState } from 'react';
import { Alert, Button, Card, DatePicker, Empty, Form, Input, InputNumber, Radio, Select, Space, Switch, Upload } from 'antd';
import { api, ApiError, fieldPath, newIdempotencyKey } from '../api';
import { useI18n } from '../i18n';
import { formatMoney, dayjs } from '../format';
import { ChangesEditor } from './ChangesEditor';
import type { Action, Field, OrderDetail } from '../types';

type Answer = { ok: true; text: string } | { ok: false; status: number; text: string };

function setPath(obj: Record<string, unknown>, path: string, value: unknown) {
  const parts = path.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    if (typeof cur[p] !== 'object' || cur[p] === null) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = value;
}

function toBody(fields: Field[], values: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const f of fields) {
    const v = f.type === 'hidden' ? f.value : values[f.name];
    if (v === undefined || v === null || v === '') continue;
    let out: unknown = v;
    if (f.type === 'datetime') out = dayjs.isDayjs(v) ? v.toISOString() : v;
    else if (f.type === 'date') out = dayjs.isDayjs(v) ? v.format('YYYY-MM-DD') : v;
    else if (f.type === 'integer') out = Number(v);
    else if (f.type === 'money') out = String(v).trim();
    else if (typeof v === 'string') out = v.trim();
    if (out === '') continue;
    setPath(body, f.name, out);
  }
  return body;
}

function describe(t: (k: string, v?: Record<string, string | number>) => string, code: (c: string) => string, res: unknown, currency: string): string {
  const r = (res ?? {}) as Record<string, unknown>;
  const parts: string[] = [t('submitted')];
  if (typeof r.stage === 'string') parts.push(t('nextStage', { stage: code(r.stage) }));
  if (Array.isArray(r.pending) && r.pending.length > 0) parts.push(t('pendingDepts', { depts: r.pending.map((d) => code(String(d))).join('、') }));
  if (typeof r.status === 'string' && !r.stage) parts.push(code(r.status));
  if (r.paidInFull === true) parts.push(t('paidInFull'));
  else if (typeof r.outstanding === 'string') parts.push(t('outstandingNow', { amount: formatMoney(r.outstanding, currency) }));
  return parts.join(' · ');
}

function FileField({ value, onChange, id }: { value?: { fileName: string }; onChange?: (v: { fileName: string; contentBase64: string }) => void; id?: string }) {
  const { t } = useI18n();
  return (
    <Upload
      accept=".pdf,.png,.jpg,.jpeg"
      maxCount={1}
      showUploadList={false}
      beforeUpload={(file) => {
        const reader = new FileReader();
        reader.onload = () => {
          const data = String(reader.result ?? '');
          onChange?.({ fileName: file.name, contentBase64: data.slice(data.indexOf(',') + 1) });
        };
        reader.readAsDataURL(file);
        return false;
      }}
    >
      <Button id={id}>{value ? t('chosen', { name: value.fileName }) : t('selectFile')}</Button>
    </Upload>
  );
}

/** The input of one field; Form.Item's value, onChange and id pass through to it. */
function FieldInput({ f, order, ...control }: { f: Field; order: OrderDetail; [prop: string]: unknown }) {
  const { pick, t } = useI18n();
  const p = control as Record<string, never>;
  switch (f.type) {
    case 'enum':
      return (f.options?.length ?? 0) <= 4 ? (
        <Radio.Group {...p} optionType="button" buttonStyle="solid" options={(f.options ?? []).map((o) => ({ value: o.value, label: pick(o.label) }))} />
      ) : (
        <Select {...p} options={(f.options ?? []).map((o) => ({ value: o.value, label: pick(o.label) }))} />
      );
    case 'textarea':
      return <Input.TextArea {...p} rows={2} maxLength={2000} />;
    case 'integer':
      return <InputNumber {...p} min={f.min} max={f.max} style={{ width: '100%' }} />;
    case 'boolean':
      return <Switch {...p} checkedChildren={t('yes')} unCheckedChildren={t('no')} />;
    case 'money':
      return <Input {...p} inputMode="decimal" placeholder="0.00" />;
    case 'datetime':
      return <DatePicker {...p} showTime style={{ width: '100%' }} />;
    case 'date':
      return <DatePicker {...p} style={{ width: '100%' }} />;
    case 'changes':
      return <ChangesEditor {...p} order={order} />;
    case 'file':
      return <FileField {...p} />;
    default:
      return <Input {...p} maxLength={500} />;
  }
}

function fieldLabel(f: Field, pick: (b: { zh: string; en: string }) => string, t: (k: string) => string): string {
  if (f.label) return pick(f.label);
  const key = `field.${f.name.split('.').pop()}`;
  const s = t(key);
  return s === key ? f.name : s;
}

function ActionForm({ action, order, onDone, onAnswer }: { action: Action; order: OrderDetail; onDone: () => void; onAnswer: (a: Answer) => void }) {
  const { t, pick, code } = useI18n();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  const setAnswer = (a: Answer | null) => a && onAnswer(a);
  // One key per filled-in form: a double click or a retry files nothing twice.
  const idemKey = useRef(newIdempotencyKey('web-action'));
  const visible = action.fields.filter((f) => f.type !== 'hidden');
  const initial = Object.fromEntries(
    visible
      .filter((f) => f.value !== undefined)
      .map((f) => [f.name, f.type === 'datetime' || f.type === 'date' ? dayjs(String(f.value)) : f.value]),
  );
  // A required time without a default (a payment's paidAt) starts at now.
  for (const f of visible) if (f.type === 'datetime' && f.required && initial[f.name] === undefined) initial[f.name] = dayjs();

  const submit = async (values: Record<string, unknown>) => {
    setBusy(true);
    try {
      const res = await api(action.path, {
        method: action.method,
        body: toBody(action.fields, values),
        headers: action.headers?.['Idempotency-Key'] ? { 'Idempotency-Key': idemKey.current } : undefined,
      });
      setAnswer({ ok: true, text: `${pick(action.label)}: ${describe(t, code, res, order.currency)}` });
      idemKey.current = newIdempotencyKey('web-action');
      onDone();
    } catch (err) {
      const e = err as ApiError;
      const text = e.status === 409 ? `${t('conflict409')}: ${e.message}` : e.status === 403 ? `${t('forbidden')}: ${e.message}` : e.message;
      setAnswer({ ok: false, status: e.status, text: `${pick(action.label)}: ${text}` });
      // The order moved on under this page: show where it is now.
      if (e.status === 409) onDone();
      if (e.field) {
        const name = e.field.split(/[.[]/)[0]!;
        if (visible.some((f) => f.name === name || f.name === e.field))
          form.setFields([{ name: fieldPath(e.field).length > 1 && visible.some((f) => f.name === e.field) ? e.field : name, errors: [e.message] }]);
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card size="small" title={pick(action.label)} data-action={action.id} style={{ marginBottom: 12 }}>
      <Form form={form} name={action.id.replace(/[^A-Za-z0-9_-]/g, '_')} layout="vertical" initialValues={initial} onFinish={submit} requiredMark>
        {visible.map((f) => {
          const label = fieldLabel(f, pick, t);
          return (
            <Form.Item
              key={f.name}
              name={f.name}
              label={label}
              valuePropName={f.type === 'boolean' ? 'checked' : 'value'}
              dependencies={f.requiredWhen ? [f.requiredWhen.field] : undefined}
              required={f.required}
              rules={[
                ({ getFieldValue }) => ({
                  validator(_, v) {
                    const needed = f.required || (f.requiredWhen && f.requiredWhen.in.includes(String(getFieldValue(f.requiredWhen.field))));
                    const empty = v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
                    return needed && empty && f.type !== 'boolean' ? Promise.reject(new Error(`${label} ${t('required')}`)) : Promise.resolve();
                  },
                }),
              ]}
            >
              <FieldInput f={f} order={order} />
            </Form.Item>
          );
        })}
        <Button type="primary" htmlType="submit" loading={busy} disabled={busy}>
          {visible.length === 0 ? pick(action.label) : t('submit')}
        </Button>
      </Form>
    </Card>
  );
}

export function ActionPanel({ actions, order, onDone }: { actions: Action[]; order: OrderDetail; onDone: () => void }) {
  const { t } = useI18n();
  // The last answer stays when the action it answers leaves the list (an approval moves the order on).
  const [answer, setAnswerState] = useState<(Answer & { seq: number }) | null>(null);
  const seq = useRef(0);
  const setAnswer = (a: Answer) => {
    seq.current += 1;
    setAnswerState({ ...a, seq: seq.current });
  };
  return (
    <section aria-label={t('actions')}>
      {answer && (
        <Alert
          style={{ marginBottom: 12 }}
          role={answer.ok ? 'status' : 'alert'}
          type={answer.ok ? 'success' : 'error'}
          showIcon
          closable
          onClose={() => setAnswerState(null)}
          message={answer.ok ? t('answer') : `${t('error')} ${answer.status || ''}`}
          description={answer.text}
          data-testid="action-answer"
          data-seq={answer.seq}
        />
      )}
      {actions.length === 0 ? (
        <Empty description={t('noActions')} image={Empty.PRESENTED_IMAGE_SIMPLE} />
      ) : (
        <Space direction="vertical" style={{ width: '100%' }} size={0}>
          {actions.map((a) => (
            <ActionForm key={a.id} action={a} order={order} onDone={onDone} onAnswer={setAnswer} />
          ))}
        </Space>
      )}
    </section>
  );
}

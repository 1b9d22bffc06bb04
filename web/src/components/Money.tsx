import { formatMoney } from '../format';

export function Money({ amount, currency }: { amount: string | null | undefined; currency?: string }) {
  return <span style={{ whiteSpace: 'nowrap', fontVariantNumeric: 'tabular-nums' }}>{formatMoney(amount, currency)}</span>;
}

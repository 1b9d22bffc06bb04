/**
 * Money and time as the console shows them: ¥1,234.50 with the order's
 * currency (decimal strings, never floats), times in the company's time zone
 * (GET /console/config), durations in words.
 */
import dayjs from 'dayjs';
import utc from 'dayjs/plugin/utc';
import timezone from 'dayjs/plugin/timezone';
import type { Lang } from './i18n';

dayjs.extend(utc);
dayjs.extend(timezone);

const SYMBOLS: Record<string, string> = { CNY: '¥', USD: '$', EUR: '€', GBP: '£', JPY: 'JP¥', HKD: 'HK$' };

/** "1234.5" + CNY -> "¥1,234.50"; an unknown currency: "CHF 1,234.50". */
export function formatMoney(amount: string | number | null | undefined, currency = 'CNY'): string {
  if (amount === null || amount === undefined || amount === '') return '';
  const s = String(amount);
  const neg = s.startsWith('-');
  const [intPart = '0', frac = ''] = s.replace(/^[-+]/, '').split('.');
  const grouped = intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const cents = (frac + '00').slice(0, 2);
  const sym = SYMBOLS[currency];
  const body = `${grouped}.${cents}`;
  return `${neg ? '-' : ''}${sym ?? `${currency} `}${body}`;
}

let zone = 'Asia/Shanghai';
export function setTimeZone(tz: string): void {
  zone = tz;
}
export function timeZone(): string {
  return zone;
}

/** An instant in the company's time zone: 2026-12-01 16:00. */
export function formatTime(iso: string | null | undefined, withSeconds = false): string {
  if (!iso) return '';
  const d = dayjs(iso);
  if (!d.isValid()) return iso;
  return d.tz(zone).format(withSeconds ? 'YYYY-MM-DD HH:mm:ss' : 'YYYY-MM-DD HH:mm');
}

/** The UTC instant, for the tooltip. */
export function formatUtc(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = dayjs(iso);
  return d.isValid() ? `${d.utc().format('YYYY-MM-DD HH:mm:ss')} UTC` : iso;
}

/** A duration in seconds as "2天3小时" / "2d 3h" (two largest units). */
export function formatDuration(seconds: number, lang: Lang): string {
  const s = Math.abs(Math.round(seconds));
  const units: [number, string, string][] = [
    [86400, '天', 'd'],
    [3600, '小时', 'h'],
    [60, '分', 'm'],
    [1, '秒', 's'],
  ];
  const parts: string[] = [];
  let rest = s;
  for (const [size, zh, en] of units) {
    const n = Math.floor(rest / size);
    if (n > 0 || (size === 1 && parts.length === 0)) {
      parts.push(lang === 'zh' ? `${n}${zh}` : `${n}${en}`);
      rest -= n * size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(lang === 'zh' ? '' : ' ');
}

/** Now in the company's zone, for a date picker's default. */
export function nowInZone() {
  return dayjs().tz(zone);
}

export { dayjs };

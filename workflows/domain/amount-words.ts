/**
 * Amounts in Chinese capital numerals (大写金额), as Chinese commercial
 * documents print them beside the figures (SPEC section 11), following the
 * People's Bank of China's rules for filling in payment documents:
 *
 * - digits 零壹贰叁肆伍陆柒捌玖, units 拾佰仟 within a group of four,
 *   groups 万 and 亿 (a 万亿 group followed by a non-zero 亿 group is written
 *   "…万…亿", e.g. 壹万贰仟亿);
 * - 拾 always carries its digit (壹拾元, never 拾元), so nothing can be
 *   written in front of it;
 * - zeros between non-zero digits are read as one 零, also across groups
 *   (壹拾万零壹拾元, 壹亿零壹万元);
 * - an amount that ends at 元 or 角 ends with 整; one with 分 does not;
 * - 角 of zero before a non-zero 分 is written 零 (壹仟元零伍分);
 * - zero is 零元整; a negative amount starts with 负.
 *
 * The largest amount is what the money columns hold, Decimal(18, 2)
 * (prisma/schema.prisma): 9,999,999,999,999,999.99. Pure: no I/O.
 */
import Decimal from 'decimal.js';
import { money, round } from './money';

const DIGITS = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
/** Units of the four places of one group, highest first. */
const PLACES = ['仟', '佰', '拾', ''];

/** The largest amount the money columns (NUMERIC(18,2)) can hold. */
export const MAX_AMOUNT = '9999999999999999.99';

/** One group of four digits (1..9999); zeros inside it read as one 零, leading zeros not at all. */
function groupWords(n: number): string {
  const digits = String(n).padStart(4, '0').split('').map(Number);
  let out = '';
  let zero = false;
  for (let i = 0; i < 4; i++) {
    const d = digits[i];
    if (d === 0) {
      if (out) zero = true;
      continue;
    }
    if (zero) out += '零';
    zero = false;
    out += DIGITS[d] + PLACES[i];
  }
  return out;
}

/** The integer part (>= 1) as words without 元. */
function integerWords(int: Decimal): string {
  // Groups of four digits, lowest first: units, 万, 亿, 万亿.
  const text = int.toFixed(0);
  const groups: number[] = [];
  for (let end = text.length; end > 0; end -= 4) groups.push(Number(text.slice(Math.max(0, end - 4), end)));
  let out = '';
  let pendingZero = false;
  for (let g = groups.length - 1; g >= 0; g--) {
    const n = groups[g];
    if (n === 0) {
      if (out) pendingZero = true;
      continue;
    }
    // A gap before this group (a zero group, or fewer than four digits in it) is one 零.
    if (out && (pendingZero || n < 1000)) out += '零';
    pendingZero = false;
    let unit = ['', '万', '亿', '万'][g];
    if (g === 3 && groups[2] === 0) unit = '万亿';
    out += groupWords(n) + unit;
  }
  return out;
}

/**
 * `amount` (a decimal string or number; rounded half-up to fen) in capital
 * numerals, e.g. "1000.05" -> "壹仟元零伍分". Throws RangeError above
 * MAX_AMOUNT.
 */
export function amountInWords(amount: string | number): string {
  const value = round(money(amount), 2);
  if (value.abs().greaterThan(MAX_AMOUNT)) throw new RangeError(`amount ${value.toFixed(2)} is larger than ${MAX_AMOUNT}`);
  if (value.isZero()) return '零元整';
  const abs = value.abs();
  const int = abs.floor();
  const cents = abs.minus(int).times(100).toNumber();
  const jiao = Math.floor(cents / 10);
  const fen = cents % 10;

  let out = value.isNegative() ? '负' : '';
  if (int.greaterThan(0)) out += integerWords(int) + '元';
  if (jiao === 0 && fen === 0) return out + '整';
  if (jiao > 0) out += DIGITS[jiao] + '角';
  else if (int.greaterThan(0)) out += '零';
  return fen > 0 ? out + DIGITS[fen] + '分' : out + '整';
}

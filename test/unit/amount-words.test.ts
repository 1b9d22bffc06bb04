import { amountInWords, MAX_AMOUNT } from '../../workflows/domain/amount-words';

// Expected strings written by hand from the payment-document rules, not from the code.
describe('amountInWords (大写金额)', () => {
  it.each([
    ['0', '零元整'],
    ['0.00', '零元整'],
    ['10', '壹拾元整'],
    ['100', '壹佰元整'],
    ['1000.05', '壹仟元零伍分'],
    ['10000000.50', '壹仟万元伍角整'],
    [MAX_AMOUNT, '玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分'],
    ['0.05', '伍分'],
    ['0.50', '伍角整'],
    ['0.58', '伍角捌分'],
    ['1', '壹元整'],
    ['15', '壹拾伍元整'],
    ['105', '壹佰零伍元整'],
    ['1005', '壹仟零伍元整'],
    ['1680.32', '壹仟陆佰捌拾元叁角贰分'],
    ['100010', '壹拾万零壹拾元整'],
    ['107000.53', '壹拾万柒仟元伍角叁分'],
    ['100000', '壹拾万元整'],
    ['100000001', '壹亿零壹元整'],
    ['100010000', '壹亿零壹万元整'],
    ['1200000000000', '壹万贰仟亿元整'],
    ['1000000000000', '壹万亿元整'],
    ['1000000010000', '壹万亿零壹万元整'],
    ['325000.00', '叁拾贰万伍仟元整'],
    ['9', '玖元整'],
    ['-12.30', '负壹拾贰元叁角整'],
  ])('%s -> %s', (amount, words) => {
    expect(amountInWords(amount)).toBe(words);
  });

  it('rounds to fen half-up like every amount', () => {
    expect(amountInWords('0.005')).toBe('壹分');
    expect(amountInWords('2.675')).toBe('贰元陆角捌分');
  });

  it('refuses amounts the money columns cannot hold', () => {
    expect(() => amountInWords('10000000000000000')).toThrow(RangeError);
    expect(() => amountInWords('abc')).toThrow();
  });
});

/**
 * The company that issues the documents: the header of every PDF, the seller
 * in the contract, the bank account on the invoice, and the standard terms of
 * the sales contract. Configuration, not code (SPEC section 11): the defaults
 * below are a placeholder company; COMPANY_FILE names a JSON file whose keys
 * replace them (activities/infra/config.ts validates it at boot).
 */
export interface CompanyProfile {
  /** Registered name, printed as the header and as the seller (甲方/卖方). */
  name: string;
  /** English name under it. */
  nameEn: string;
  address: string;
  phone: string;
  /** Unified social credit code (统一社会信用代码). */
  taxId: string;
  bank: { name: string; account: string; accountName: string };
  /** Standard terms of the sales contract, one clause per entry, in order. */
  contractTerms: string[];
}

export const DEFAULT_COMPANY: CompanyProfile = {
  name: '示例贸易有限公司',
  nameEn: 'Example Trading Co., Ltd.',
  address: '上海市浦东新区世纪大道100号',
  phone: '+86 21 5000 0000',
  taxId: '91310000000000000X',
  bank: { name: '中国工商银行上海分行', account: '1001 0000 0000 0000 000', accountName: '示例贸易有限公司' },
  contractTerms: [
    '质量标准：按国家标准及双方确认的规格执行；买方应于收货后七日内验收，逾期视为验收合格。',
    '交货：卖方按本合同约定的交货日期及地址交货，运费由卖方承担，货物风险自交付时转移。',
    '付款：买方按本合同约定的付款条件付款；逾期付款的，卖方有权暂停发货。',
    '变更：本合同的任何变更须经双方书面确认，确认后的变更以新版本合同为准。',
    '争议解决：因本合同引起的争议，双方协商解决；协商不成的，提交卖方所在地人民法院诉讼解决。',
    '本合同一式两份，双方各执一份，自双方签字盖章之日起生效。',
  ],
};

/** Problems of a COMPANY_FILE object as "key: message" lines; empty when usable. */
export function companyProblems(over: unknown): string[] {
  if (typeof over !== 'object' || over === null || Array.isArray(over)) return ['must be a JSON object'];
  const o = over as Record<string, unknown>;
  const problems: string[] = [];
  for (const k of ['name', 'nameEn', 'address', 'phone', 'taxId'] as const)
    if (k in o && (typeof o[k] !== 'string' || !(o[k] as string).trim())) problems.push(`${k}: must be a non-empty string`);
  if ('bank' in o) {
    const b = o.bank as Record<string, unknown> | null;
    if (typeof b !== 'object' || b === null) problems.push('bank: must be an object { name, account, accountName }');
    else for (const k of ['name', 'account', 'accountName']) if (typeof b[k] !== 'string' || !(b[k] as string).trim()) problems.push(`bank.${k}: must be a non-empty string`);
  }
  if ('contractTerms' in o && (!Array.isArray(o.contractTerms) || o.contractTerms.some((t) => typeof t !== 'string' || !t.trim())))
    problems.push('contractTerms: must be a list of non-empty strings');
  const known = new Set(Object.keys(DEFAULT_COMPANY));
  for (const k of Object.keys(o)) if (!known.has(k)) problems.push(`${k}: unknown key (known: ${[...known].join(', ')})`);
  return problems;
}

/** DEFAULT_COMPANY with the file's keys laid over it; call companyProblems first. */
export function resolveCompany(over: Partial<CompanyProfile>): CompanyProfile {
  return { ...DEFAULT_COMPANY, ...over, bank: { ...DEFAULT_COMPANY.bank, ...(over.bank ?? {}) } };
}

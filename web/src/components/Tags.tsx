/**
 * Status tags. Ant Design's preset tag colours put light text on light
 * backgrounds (green, orange, gold under WCAG AA's 4.5:1); these tones keep
 * the preset look with darker text, so axe's contrast check passes.
 */
import { Tag } from 'antd';
import type { ReactNode } from 'react';
import { useI18n } from '../i18n';

const TONES = {
  green: ['#135200', '#f6ffed', '#b7eb8f'],
  orange: ['#873800', '#fff7e6', '#ffd591'],
  red: ['#a8071a', '#fff1f0', '#ffa39e'],
  blue: ['#003eb3', '#e6f4ff', '#91caff'],
  gold: ['#613400', '#fffbe6', '#ffe58f'],
  cyan: ['#00474f', '#e6fffb', '#87e8de'],
  volcano: ['#871400', '#fff2e8', '#ffbb96'],
  default: ['#262626', '#fafafa', '#d9d9d9'],
} as const;
export type Tone = keyof typeof TONES;

export function ToneTag({ tone = 'default', children }: { tone?: Tone; children: ReactNode }) {
  const [color, background, borderColor] = TONES[tone];
  return <Tag style={{ color, background, borderColor }}>{children}</Tag>;
}

const STAGE_TONES: Record<string, Tone> = {
  closed: 'green', rejected: 'red', cancelled: 'default', exception: 'volcano', in_transit: 'cyan', awaiting_payment: 'gold',
};

export function StageTag({ stage }: { stage: string }) {
  const { code } = useI18n();
  return <ToneTag tone={STAGE_TONES[stage] ?? 'blue'}>{code(stage)}</ToneTag>;
}

const LEVEL_TONES: Record<string, Tone> = { high: 'red', medium: 'orange', low: 'green' };

export function LevelTag({ level }: { level: string }) {
  const { code } = useI18n();
  return <ToneTag tone={LEVEL_TONES[level] ?? 'default'}>{code(level)}</ToneTag>;
}

const ESC_TONES: Record<string, Tone> = { reminded: 'gold', warned: 'gold', escalated: 'orange', timed_out: 'red' };

export function EscalationTag({ escalation }: { escalation: string }) {
  const { code } = useI18n();
  if (!escalation || escalation === 'none') return <span>—</span>;
  return <ToneTag tone={ESC_TONES[escalation] ?? 'default'}>{code(escalation)}</ToneTag>;
}

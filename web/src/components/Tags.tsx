import { Tag } from 'antd';
import { useI18n } from '../i18n';

const STAGE_COLORS: Record<string, string> = {
  closed: 'green', rejected: 'red', cancelled: 'default', exception: 'volcano', in_transit: 'cyan', awaiting_payment: 'gold',
};

export function StageTag({ stage }: { stage: string }) {
  const { code } = useI18n();
  return <Tag color={STAGE_COLORS[stage] ?? 'blue'}>{code(stage)}</Tag>;
}

const LEVEL_COLORS: Record<string, string> = { high: 'red', medium: 'orange', low: 'green' };

export function LevelTag({ level }: { level: string }) {
  const { code } = useI18n();
  return <Tag color={LEVEL_COLORS[level] ?? 'default'}>{code(level)}</Tag>;
}

const ESC_COLORS: Record<string, string> = { reminded: 'gold', warned: 'gold', escalated: 'orange', timed_out: 'red' };

export function EscalationTag({ escalation }: { escalation: string }) {
  const { code } = useI18n();
  if (!escalation || escalation === 'none') return <span>—</span>;
  return <Tag color={ESC_COLORS[escalation] ?? 'default'}>{code(escalation)}</Tag>;
}

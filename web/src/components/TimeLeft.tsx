import { useEffect, useState } from 'react';
import { formatDuration } from '../format';
import { useI18n } from '../i18n';

/** A live countdown to a deadline ("剩余 2小时15分" / "已超时 3分"), redrawn every 15 s. */
export function TimeLeft({ deadline }: { deadline: string | null | undefined }) {
  const { t, lang } = useI18n();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 15_000);
    return () => clearInterval(timer);
  }, []);
  if (!deadline) return <span>—</span>;
  const seconds = (Date.parse(deadline) - now) / 1000;
  const text = seconds < 0 ? t('overdueBy', { t: formatDuration(-seconds, lang) }) : t('left', { t: formatDuration(seconds, lang) });
  // Explicit dark red / amber: Ant Design's warning text is too light for WCAG AA contrast.
  const color = seconds < 0 ? '#a8071a' : seconds < 3600 ? '#874d00' : undefined;
  return <span style={{ color, fontWeight: seconds < 0 ? 600 : undefined }}>{text}</span>;
}

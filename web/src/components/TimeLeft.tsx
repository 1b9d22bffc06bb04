import { useEffect, useState } from 'react';
import { Typography } from 'antd';
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
  return <Typography.Text type={seconds < 0 ? 'danger' : seconds < 3600 ? 'warning' : undefined}>{text}</Typography.Text>;
}

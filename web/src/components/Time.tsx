import { Tooltip } from 'antd';
import { formatTime, formatUtc } from '../format';

/** A time in the company's zone; the UTC instant on hover. */
export function Time({ iso, seconds }: { iso: string | null | undefined; seconds?: boolean }) {
  if (!iso) return <span>—</span>;
  return (
    <Tooltip title={formatUtc(iso)}>
      <time dateTime={iso} style={{ whiteSpace: 'nowrap' }}>
        {formatTime(iso, seconds)}
      </time>
    </Tooltip>
  );
}

import { Group, Text, Tooltip } from '@mantine/core';
import { useId } from 'react';
import { formatNumber } from '@/lib/format';
import { fillUsage, sparklinePoints, totalRequests, type UsageDay } from '@/lib/usage';

/** A 30-day request sparkline with the total beside it. */
export function UsageSparkline({ usage, days = 30, width = 96, height = 28 }: { usage: readonly UsageDay[] | null | undefined; days?: number; width?: number; height?: number }) {
  const series = fillUsage(usage, days);
  const total = totalRequests(series);
  const peak = series.reduce((best, d) => (d.requests > best.requests ? d : best), series[0] ?? { day: '', requests: 0 });
  const points = sparklinePoints(
    series.map((d) => d.requests),
    width,
    height,
  );
  const gradient = `spark-${useId().replace(/[^a-zA-Z0-9_-]/g, '')}`;
  const line = points.map(([x, y]) => `${x},${y}`).join(' ');
  const first = points[0];
  const last = points[points.length - 1];
  const area = first && last ? `M${first[0]},${height} L${line.replace(/ /g, ' L')} L${last[0]},${height} Z` : '';
  const color = total > 0 ? 'var(--mantine-color-brand-6)' : 'var(--mantine-color-gray-4)';
  const label =
    total > 0
      ? `${formatNumber(total)} requests in the last ${days} days · busiest ${peak.day} (${formatNumber(peak.requests)})`
      : `No requests in the last ${days} days`;

  return (
    <Tooltip label={label} multiline maw={260}>
      <Group gap={8} wrap="nowrap" aria-label={label} role="img" data-testid="usage-sparkline">
        <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`} aria-hidden>
          <defs>
            <linearGradient id={gradient} x1="0" y1="0" x2="0" y2="1">
              <stop offset="0" stopColor={color} stopOpacity={0.25} />
              <stop offset="1" stopColor={color} stopOpacity={0} />
            </linearGradient>
          </defs>
          {total > 0 && <path d={area} fill={`url(#${gradient})`} />}
          <polyline points={line} fill="none" stroke={color} strokeWidth={1.5} strokeLinejoin="round" strokeLinecap="round" />
          {total > 0 && last && <circle cx={last[0]} cy={last[1]} r={2} fill={color} />}
        </svg>
        <Text size="xs" c={total > 0 ? undefined : 'dimmed'} fw={500} style={{ fontVariantNumeric: 'tabular-nums' }}>
          {formatNumber(total)}
        </Text>
      </Group>
    </Tooltip>
  );
}

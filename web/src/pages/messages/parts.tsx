import { Badge, Group, Text, ThemeIcon, Tooltip } from '@mantine/core';
import { formatDateTime, formatRelative } from '@/lib/format';
import { type Channel, CHANNEL_META, statusMeta } from './model';

/** A channel's round icon in its color. */
export function ChannelIcon({ channel, size = 26 }: { channel: Channel; size?: number }) {
  const m = CHANNEL_META[channel];
  return (
    <Tooltip label={m.label}>
      <ThemeIcon size={size} radius="xl" variant="light" color={m.color} aria-label={m.label}>
        <m.icon size={Math.round(size * 0.58)} stroke={1.7} />
      </ThemeIcon>
    </Tooltip>
  );
}

/** A channel's icon and name. */
export function ChannelLabel({ channel }: { channel: Channel }) {
  const m = CHANNEL_META[channel];
  return (
    <Group gap={6} wrap="nowrap">
      <m.icon size={16} stroke={1.7} color={`var(--mantine-color-${m.color}-6)`} />
      <Text size="sm">{m.label}</Text>
    </Group>
  );
}

/** A status in its color, with what it means on hover. */
export function StatusBadge({ status, size = 'sm' }: { status: string; size?: 'xs' | 'sm' | 'md' | 'lg' }) {
  const m = statusMeta(status);
  return (
    <Tooltip label={m.help} disabled={!m.help} multiline w={240}>
      <Badge color={m.color} variant="light" size={size} tt="none" data-testid="status-badge" data-status={status}>
        {m.label}
      </Badge>
    </Tooltip>
  );
}

/** "3 minutes ago", with the exact time on hover. */
export function When({ at, size = 'sm' }: { at: string | null | undefined; size?: 'xs' | 'sm' }) {
  return (
    <Tooltip label={formatDateTime(at)} disabled={!at}>
      <Text size={size} c="dimmed" style={{ whiteSpace: 'nowrap' }}>
        {formatRelative(at)}
      </Text>
    </Tooltip>
  );
}

import {
  ActionIcon,
  Anchor,
  Badge,
  Box,
  Button,
  Group,
  Indicator,
  Loader,
  Popover,
  ScrollArea,
  Stack,
  Text,
  ThemeIcon,
  Tooltip,
  UnstyledButton,
} from '@mantine/core';
import {
  IconAlertTriangle,
  IconBell,
  IconBellCheck,
  IconChecks,
  IconCircleCheck,
  IconInfoCircle,
  IconSpeakerphone,
  type Icon,
} from '@tabler/icons-react';
import { useContext, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { formatDateTime, formatRelative } from '@/lib/format';
import { CurrentContext } from './CurrentContext';
import {
  type AppNotification,
  badgeLabel,
  newestCreatedAt,
  useBellNotifications,
  useMarkAllRead,
  useMarkRead,
} from './notifications';

/** An icon and a color per producer, from the kind's first part. */
function kindLook(kind: string): { icon: Icon; color: string } {
  const [family, event] = kind.split('.');
  if (family === 'campaign') return { icon: event === 'completed' ? IconCircleCheck : IconSpeakerphone, color: 'teal' };
  if (family === 'alert' || family === 'monitoring') return { icon: IconAlertTriangle, color: 'orange' };
  return { icon: IconInfoCircle, color: 'brand' };
}

/**
 * The header's bell: the unread count on a badge, the newest notifications
 * in a dropdown (polled every 30 s), a click marks one read and opens its
 * link, and "Mark all read" clears the badge.
 */
export function NotificationBell() {
  const current = useContext(CurrentContext);
  const orgId = current?.org?.id ?? '';
  const [opened, setOpened] = useState(false);
  const navigate = useNavigate();
  const list = useBellNotifications(orgId);
  const markRead = useMarkRead(orgId);
  const markAll = useMarkAllRead(orgId);

  const unread = list.data?.unread_count ?? 0;
  const items = list.data?.items ?? [];
  const label = badgeLabel(unread);

  const open = (n: AppNotification) => {
    if (!n.read_at) markRead.mutate(n.id);
    if (n.link) {
      setOpened(false);
      void navigate(n.link);
    }
  };

  return (
    <Popover width={380} position="bottom-end" shadow="md" withArrow opened={opened} onChange={setOpened}>
      <Popover.Target>
        <Tooltip label={unread ? `Notifications · ${unread} unread` : 'Notifications'} disabled={opened}>
          <ActionIcon
            variant="subtle"
            color="gray"
            size="lg"
            aria-label={unread ? `Notifications, ${unread} unread` : 'Notifications'}
            data-testid="notification-bell"
            onClick={() => setOpened((o) => !o)}
          >
            <Indicator
              disabled={!label}
              label={label}
              size={16}
              offset={3}
              color="red"
              inline
              styles={{ indicator: { fontSize: 10, fontWeight: 700, paddingInline: 4 } }}
              data-testid="notification-badge"
            >
              <IconBell size={20} stroke={1.6} />
            </Indicator>
          </ActionIcon>
        </Tooltip>
      </Popover.Target>
      <Popover.Dropdown p={0} data-testid="notification-dropdown">
        <Group justify="space-between" px="md" py="sm" style={{ borderBottom: '1px solid var(--mantine-color-gray-2)' }}>
          <Group gap={8}>
            <Text fw={600} size="sm">
              Notifications
            </Text>
            {unread > 0 && (
              <Badge size="sm" variant="light" color="red" data-testid="notification-unread-count">
                {unread} new
              </Badge>
            )}
          </Group>
          <Button
            variant="subtle"
            size="compact-xs"
            leftSection={<IconChecks size={14} />}
            disabled={unread === 0}
            onClick={() => markAll.mutate(newestCreatedAt(list.data))}
          >
            Mark all read
          </Button>
        </Group>
        {list.isPending && !!orgId ? (
          <Group justify="center" py="xl">
            <Loader size="sm" />
          </Group>
        ) : items.length === 0 ? (
          <Stack align="center" gap={6} px="md" py="xl" ta="center">
            <ThemeIcon variant="light" radius="xl" size={44}>
              <IconBellCheck size={22} />
            </ThemeIcon>
            <Text fw={600} size="sm">
              You're all caught up
            </Text>
            <Text size="xs" c="dimmed">
              Campaign completions, failed sends and alerts will show up here.
            </Text>
          </Stack>
        ) : (
          <ScrollArea.Autosize mah={420} type="auto">
            <Stack gap={0} role="list" aria-label="Notifications">
              {items.map((n) => (
                <NotificationItem key={n.id} n={n} onOpen={() => open(n)} />
              ))}
            </Stack>
          </ScrollArea.Autosize>
        )}
        <Group justify="center" px="md" py={8} style={{ borderTop: '1px solid var(--mantine-color-gray-2)' }}>
          <Anchor component={Link} to="/notifications" size="xs" onClick={() => setOpened(false)}>
            Notification settings
          </Anchor>
        </Group>
      </Popover.Dropdown>
    </Popover>
  );
}

function NotificationItem({ n, onOpen }: { n: AppNotification; onOpen: () => void }) {
  const look = kindLook(n.kind);
  const unread = !n.read_at;
  return (
    <UnstyledButton
      role="listitem"
      onClick={onOpen}
      data-testid="notification-item"
      data-unread={unread || undefined}
      px="md"
      py={10}
      style={{
        borderBottom: '1px solid var(--mantine-color-gray-1)',
        background: unread ? 'var(--mantine-color-brand-0, var(--mantine-color-blue-0))' : undefined,
      }}
    >
      <Group align="flex-start" gap="sm" wrap="nowrap">
        <ThemeIcon variant="light" color={look.color} radius="xl" size={32}>
          <look.icon size={17} />
        </ThemeIcon>
        <Box style={{ flex: 1, minWidth: 0 }}>
          <Group justify="space-between" gap={6} wrap="nowrap" align="flex-start">
            <Text size="sm" fw={unread ? 600 : 500} lineClamp={2}>
              {n.title}
            </Text>
            {unread && <Box w={8} h={8} mt={6} style={{ borderRadius: 8, background: 'var(--mantine-color-red-6)', flex: '0 0 auto' }} aria-label="Unread" />}
          </Group>
          {n.body && (
            <Text size="xs" c="dimmed" lineClamp={2} mt={2}>
              {n.body}
            </Text>
          )}
          <Tooltip label={formatDateTime(n.created_at)} openDelay={400}>
            <Text size="xs" c="dimmed" mt={4} span>
              {formatRelative(n.created_at)}
            </Text>
          </Tooltip>
        </Box>
      </Group>
    </UnstyledButton>
  );
}

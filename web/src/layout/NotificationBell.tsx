import { ActionIcon, Indicator, Popover, Stack, Text, ThemeIcon, Tooltip, Group, Anchor } from '@mantine/core';
import { IconBell, IconBellCheck } from '@tabler/icons-react';
import { Link } from 'react-router';

/** The header's bell. Notifications arrive in a later release: empty for now. */
export function NotificationBell() {
  return (
    <Popover width={320} position="bottom-end" shadow="md" withArrow>
      <Popover.Target>
        <Tooltip label="Notifications">
          <ActionIcon variant="subtle" color="gray" size="lg" aria-label="Notifications">
            <Indicator disabled size={8} offset={2}>
              <IconBell size={20} stroke={1.6} />
            </Indicator>
          </ActionIcon>
        </Tooltip>
      </Popover.Target>
      <Popover.Dropdown p={0}>
        <Group justify="space-between" px="md" py="sm" style={{ borderBottom: '1px solid var(--mantine-color-gray-2)' }}>
          <Text fw={600} size="sm">
            Notifications
          </Text>
        </Group>
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
          <Anchor component={Link} to="/notifications" size="xs" mt={4}>
            Notification settings
          </Anchor>
        </Stack>
      </Popover.Dropdown>
    </Popover>
  );
}

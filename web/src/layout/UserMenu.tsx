import { Avatar, Box, Group, Menu, Text, UnstyledButton } from '@mantine/core';
import { IconBook2, IconChevronDown, IconListDetails, IconLogout, IconUser } from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { signOut } from '@/auth/actions';
import { initials } from '@/lib/format';
import { useCurrent } from './CurrentContext';
import classes from './AppLayout.module.css';

/** The signed-in user's menu: profile, jobs for staff, docs, sign out. */
export function UserMenu() {
  const { me, isStaff } = useCurrent();
  const queryClient = useQueryClient();
  const user = me.user;

  // The guard takes the user to /login once the session is gone.
  const doSignOut = () => signOut(queryClient);

  return (
    <Menu position="bottom-end" width={240} shadow="md" withinPortal>
      <Menu.Target>
        <UnstyledButton className={classes.userButton} aria-label="User menu" data-testid="user-menu">
          <Group gap={8} wrap="nowrap">
            <Avatar size={32} radius="xl" color="brand" variant="light">
              {initials(user.name, user.email)}
            </Avatar>
            <Box visibleFrom="md" style={{ minWidth: 0 }}>
              <Text size="sm" fw={500} truncate="end" maw={140} lh={1.2}>
                {user.name || user.email}
              </Text>
            </Box>
            <IconChevronDown size={14} color="var(--mantine-color-gray-6)" />
          </Group>
        </UnstyledButton>
      </Menu.Target>
      <Menu.Dropdown>
        <Box px="sm" py={8}>
          <Text size="sm" fw={600} truncate="end">
            {user.name || 'Unnamed user'}
          </Text>
          <Text size="xs" c="dimmed" truncate="end">
            {user.email}
          </Text>
        </Box>
        <Menu.Divider />
        <Menu.Item component={Link} to="/profile" leftSection={<IconUser size={16} />}>
          Profile
        </Menu.Item>
        {isStaff && (
          <Menu.Item component="a" href="/riverui/" leftSection={<IconListDetails size={16} />}>
            Jobs (River UI)
          </Menu.Item>
        )}
        <Menu.Item component="a" href="/api/docs/swagger/" target="_blank" rel="noopener" leftSection={<IconBook2 size={16} />}>
          API reference
        </Menu.Item>
        <Menu.Divider />
        <Menu.Item color="red" leftSection={<IconLogout size={16} />} onClick={() => void doSignOut()}>
          Sign out
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}

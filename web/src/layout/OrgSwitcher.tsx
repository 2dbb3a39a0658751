import { Box, Group, Loader, Menu, Text, UnstyledButton } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconCheck, IconPlus, IconSelector, IconSettings } from '@tabler/icons-react';
import { Link } from 'react-router';
import { describeError } from '@/api/problem';
import { useSwitchOrg } from '@/api/queries';
import type { Role } from '@/api/types';
import { CreateOrgModal } from '@/components/CreateOrgModal';
import { OrgAvatar } from '@/components/OrgAvatar';
import { ROLE_LABELS } from '@/lib/roles';
import { useCurrent } from './CurrentContext';
import classes from './AppLayout.module.css';

/** The header's org name, and the menu to switch or create orgs. */
export function OrgSwitcher() {
  const { me, org, role } = useCurrent();
  const [createOpened, createModal] = useDisclosure(false);
  const switchOrg = useSwitchOrg();

  const doSwitch = (id: string, name: string) => {
    if (id === org?.id) return;
    switchOrg.mutate(id, {
      onSuccess: () => notifications.show({ color: 'teal', message: `Switched to ${name}` }),
      onError: (err) =>
        notifications.show({ color: 'red', title: "Couldn't switch organization", message: describeError(err).message }),
    });
  };

  return (
    <>
      <Menu position="bottom-start" width={300} shadow="md" withinPortal>
        <Menu.Target>
          <UnstyledButton className={classes.orgButton} aria-label="Switch organization" data-testid="org-switcher">
            <Group gap={10} wrap="nowrap">
              {org ? <OrgAvatar id={org.id} name={org.name} size={28} /> : null}
              <Box style={{ minWidth: 0 }}>
                <Text size="sm" fw={600} truncate="end" maw={200} lh={1.2}>
                  {org?.name ?? 'No organization'}
                </Text>
                {role && (
                  <Text size="xs" c="dimmed" lh={1.2}>
                    {ROLE_LABELS[role]}
                  </Text>
                )}
              </Box>
              {switchOrg.isPending ? <Loader size={14} /> : <IconSelector size={16} color="var(--mantine-color-gray-6)" />}
            </Group>
          </UnstyledButton>
        </Menu.Target>
        <Menu.Dropdown>
          <Menu.Label>Organizations</Menu.Label>
          {(me.memberships ?? []).map((m) => {
            const current = m.org.id === org?.id;
            return (
              <Menu.Item
                key={m.org.id}
                onClick={() => doSwitch(m.org.id, m.org.name)}
                leftSection={<OrgAvatar id={m.org.id} name={m.org.name} size={22} />}
                rightSection={current ? <IconCheck size={16} color="var(--mantine-color-brand-6)" /> : undefined}
                aria-current={current ? 'true' : undefined}
              >
                <Text size="sm" truncate="end" maw={200} fw={current ? 600 : 400}>
                  {m.org.name}
                </Text>
                <Text size="xs" c="dimmed">
                  {ROLE_LABELS[m.role as Role]}
                </Text>
              </Menu.Item>
            );
          })}
          <Menu.Divider />
          {org && (
            <Menu.Item component={Link} to="/settings" leftSection={<IconSettings size={16} />}>
              Organization settings
            </Menu.Item>
          )}
          <Menu.Item leftSection={<IconPlus size={16} />} onClick={createModal.open}>
            Create organization
          </Menu.Item>
        </Menu.Dropdown>
      </Menu>
      <CreateOrgModal opened={createOpened} onClose={createModal.close} />
    </>
  );
}

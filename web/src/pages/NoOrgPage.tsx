import { Button, Card, Group } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconBuilding, IconPlus, IconUser } from '@tabler/icons-react';
import { Link } from 'react-router';
import { CreateOrgModal } from '@/components/CreateOrgModal';
import { EmptyState } from '@/components/EmptyState';
import { useCurrent } from '@/layout/CurrentContext';
import { useSwitchOrg } from '@/api/queries';
import { ErrorAlert } from '@/components/ErrorAlert';

/** Shown when the user has no active org (new SSO account, or left their last one). */
export function NoOrgPage() {
  const { me } = useCurrent();
  const [opened, modal] = useDisclosure(false);
  const switchOrg = useSwitchOrg();
  const first = (me.memberships ?? [])[0];
  return (
    <Card maw={640} mx="auto" mt="xl">
      <EmptyState
        icon={<IconBuilding size={26} />}
        title={first ? 'Choose an organization' : 'Create your organization'}
        action={
          <Group justify="center">
            {first && (
              <Button variant="default" loading={switchOrg.isPending} onClick={() => switchOrg.mutate(first.org.id)}>
                Open {first.org.name}
              </Button>
            )}
            <Button leftSection={<IconPlus size={16} />} onClick={modal.open}>
              Create organization
            </Button>
            <Button variant="subtle" component={Link} to="/profile" leftSection={<IconUser size={16} />}>
              Profile
            </Button>
          </Group>
        }
      >
        Everything in Switchboard (contacts, channels, campaigns, API keys) belongs to an organization.
        {first ? ' Pick one of yours or create a new one.' : ' Create one to get started; you can invite your team next.'}
      </EmptyState>
      <ErrorAlert error={switchOrg.error} mt="md" />
      <CreateOrgModal opened={opened} onClose={modal.close} />
    </Card>
  );
}

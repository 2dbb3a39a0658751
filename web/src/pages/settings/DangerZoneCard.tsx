import { Button, Card, Divider, Group, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconAlertTriangle, IconCrown, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { useDeleteOrg, useMembers, useTransferOwnership } from '@/api/queries';
import { session } from '@/auth/session';
import { ConfirmDialog } from '@/components/ConfirmDialog';
import { useCurrent } from '@/layout/CurrentContext';
import { ROLE_LABELS } from '@/lib/roles';
import type { Role } from '@/api/types';
import { useAfterOrgExit } from './useAfterOrgExit';

/** Owner-only: transfer ownership and delete the organization. */
export function DangerZoneCard() {
  const { org, me } = useCurrent();
  const members = useMembers();
  const transfer = useTransferOwnership();
  const del = useDeleteOrg();
  const afterExit = useAfterOrgExit();
  const [newOwner, setNewOwner] = useState<string | null>(null);
  const [confirmTransfer, setConfirmTransfer] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [typed, setTyped] = useState('');

  const candidates = (members.data?.items ?? [])
    .filter((m) => m.user_id !== me.user.id)
    .map((m) => ({ value: m.user_id, label: `${m.name || m.email} (${ROLE_LABELS[m.role as Role]})` }));
  const target = members.data?.items?.find((m) => m.user_id === newOwner);

  return (
    <Card id="danger" style={{ borderColor: 'var(--mantine-color-red-3)' }}>
      <Group gap="xs" mb={4}>
        <IconAlertTriangle size={18} color="var(--mantine-color-red-6)" />
        <Title order={4} fz="md" c="red.7">
          Danger zone
        </Title>
      </Group>
      <Text size="sm" c="dimmed" mb="md">
        Only the owner sees these.
      </Text>
      <Stack gap="lg">
        <Group justify="space-between" align="flex-end" wrap="wrap" gap="md">
          <div style={{ flex: '1 1 300px' }}>
            <Text size="sm" fw={600}>
              Transfer ownership
            </Text>
            <Text size="xs" c="dimmed" mb="xs">
              Make another member the owner. You'll become an admin.
            </Text>
            <Select
              placeholder={candidates.length ? 'Choose a member' : 'Invite someone first'}
              data={candidates}
              value={newOwner}
              onChange={setNewOwner}
              disabled={!candidates.length}
              searchable
              maw={360}
              aria-label="New owner"
            />
          </div>
          <Button variant="outline" color="red" leftSection={<IconCrown size={16} />} disabled={!newOwner} onClick={() => setConfirmTransfer(true)}>
            Transfer ownership
          </Button>
        </Group>
        <Divider />
        <Group justify="space-between" wrap="wrap" gap="md">
          <div style={{ flex: '1 1 300px' }}>
            <Text size="sm" fw={600}>
              Delete this organization
            </Text>
            <Text size="xs" c="dimmed">
              Permanently deletes {org?.name} with its members, invitations and API keys.
            </Text>
          </div>
          <Button color="red" leftSection={<IconTrash size={16} />} onClick={() => { setTyped(''); setConfirmDelete(true); }}>
            Delete organization
          </Button>
        </Group>
      </Stack>

      <ConfirmDialog
        opened={confirmTransfer}
        onClose={() => setConfirmTransfer(false)}
        title="Transfer ownership"
        confirmLabel="Transfer"
        onConfirm={async () => {
          if (!newOwner) return;
          await transfer.mutateAsync(newOwner);
          // The access token carries the role: get one that says admin.
          await session.refresh();
          notifications.show({ color: 'teal', message: `${target?.name || target?.email} now owns ${org?.name}` });
          setNewOwner(null);
        }}
      >
        <Text size="sm">
          Make <b>{target?.name || target?.email}</b> the owner of {org?.name}? You'll become an admin and won't be able
          to delete the organization or transfer it back yourself.
        </Text>
      </ConfirmDialog>
      <ConfirmDialog
        opened={confirmDelete}
        onClose={() => setConfirmDelete(false)}
        title="Delete organization"
        confirmLabel="Delete forever"
        confirmDisabled={typed.trim() !== org?.name}
        onConfirm={async () => {
          await del.mutateAsync();
          notifications.show({ color: 'teal', message: `${org?.name} was deleted` });
          await afterExit();
        }}
      >
        <Stack gap="sm">
          <Text size="sm">
            This permanently deletes <b>{org?.name}</b>, its members, invitations and API keys. It can't be undone.
          </Text>
          <TextInput
            label={
              <Text size="sm" span>
                Type <b>{org?.name}</b> to confirm
              </Text>
            }
            value={typed}
            onChange={(e) => setTyped(e.currentTarget.value)}
            autoComplete="off"
          />
        </Stack>
      </ConfirmDialog>
    </Card>
  );
}

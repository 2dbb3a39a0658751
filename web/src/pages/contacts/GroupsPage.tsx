import { ActionIcon, Anchor, Button, Card, ColorInput, Group, Menu, Modal, Skeleton, Stack, Table, Text, Textarea, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { IconDots, IconEdit, IconPlus, IconTrash, IconUsersGroup } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { ConfirmDialog } from '@/components/ConfirmDialog';
import { EmptyState } from '@/components/EmptyState';
import { ErrorAlert, FormError } from '@/components/ErrorAlert';
import { PageHeader } from '@/components/PageHeader';
import { useCurrent } from '@/layout/CurrentContext';
import { formatDate, formatNumber } from '@/lib/format';
import { atLeast } from '@/lib/roles';
import { useFormErrors } from '@/lib/useFormErrors';
import { type Group as ContactGroup, useDeleteGroup, useGroups, useSaveGroup } from './api';

const SWATCHES = ['#1c7ed6', '#0ca678', '#f59f00', '#e8590c', '#e03131', '#c2255c', '#9c36b5', '#6741d9', '#1098ad', '#495057'];

export function GroupsPage() {
  const { role } = useCurrent();
  const canEdit = atLeast(role, 'member');
  const groups = useGroups();
  const remove = useDeleteGroup();
  const [editing, setEditing] = useState<ContactGroup | 'new' | null>(null);
  const [deleting, setDeleting] = useState<ContactGroup | null>(null);
  const items = groups.data?.items ?? [];

  return (
    <>
      <PageHeader
        title="Groups"
        description="Segments of contacts to target with campaigns. A contact can be in any number of groups."
        actions={
          canEdit && (
            <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>
              New group
            </Button>
          )
        }
      />
      <Card p={0}>
        {groups.isPending ? (
          <Stack gap="sm" p="md">
            {[0, 1, 2].map((i) => (
              <Skeleton key={i} h={36} />
            ))}
          </Stack>
        ) : groups.isError ? (
          <div style={{ padding: 'var(--mantine-spacing-md)' }}>
            <ErrorAlert error={groups.error} title="Couldn't load groups" onRetry={() => void groups.refetch()} />
          </div>
        ) : items.length === 0 ? (
          <EmptyState
            icon={<IconUsersGroup size={24} />}
            title="No groups yet"
            action={
              canEdit && (
                <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>
                  New group
                </Button>
              )
            }
          >
            Groups collect contacts for a campaign: customers, a newsletter list, an event's guests. Add contacts from the
            contact list or while importing a CSV.
          </EmptyState>
        ) : (
          <Table.ScrollContainer minWidth={520}>
            <Table verticalSpacing="sm" horizontalSpacing="md" highlightOnHover data-testid="groups-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th pl="lg">Group</Table.Th>
                  <Table.Th ta="right">Contacts</Table.Th>
                  <Table.Th visibleFrom="sm">Created</Table.Th>
                  <Table.Th w={56} pr="lg" />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((g) => (
                  <Table.Tr key={g.id} data-testid={`group-row-${g.name}`}>
                    <Table.Td pl="lg">
                      <Group gap="sm" wrap="nowrap">
                        <span
                          aria-hidden
                          style={{ flex: '0 0 auto', width: 12, height: 12, borderRadius: 6, background: g.color || 'var(--mantine-color-gray-4)' }}
                        />
                        <div style={{ minWidth: 0 }}>
                          <Anchor component={Link} to={`/contacts?group_id=${g.id}`} fw={600} size="sm">
                            {g.name}
                          </Anchor>
                          {g.description && (
                            <Text size="xs" c="dimmed" lineClamp={2}>
                              {g.description}
                            </Text>
                          )}
                        </div>
                      </Group>
                    </Table.Td>
                    <Table.Td ta="right">
                      <Text size="sm" fw={500} data-testid="group-count">
                        {formatNumber(g.contact_count)}
                      </Text>
                    </Table.Td>
                    <Table.Td visibleFrom="sm">
                      <Text size="sm" c="dimmed">
                        {formatDate(g.created_at)}
                      </Text>
                    </Table.Td>
                    <Table.Td pr="lg">
                      {canEdit && (
                        <Menu position="bottom-end" withinPortal shadow="md">
                          <Menu.Target>
                            <ActionIcon variant="subtle" color="gray" aria-label={`Actions for ${g.name}`}>
                              <IconDots size={18} />
                            </ActionIcon>
                          </Menu.Target>
                          <Menu.Dropdown>
                            <Menu.Item leftSection={<IconEdit size={16} />} onClick={() => setEditing(g)}>
                              Edit
                            </Menu.Item>
                            <Menu.Item color="red" leftSection={<IconTrash size={16} />} onClick={() => setDeleting(g)}>
                              Delete
                            </Menu.Item>
                          </Menu.Dropdown>
                        </Menu>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Card>
      {canEdit && <GroupModal group={editing} onClose={() => setEditing(null)} />}
      <ConfirmDialog
        opened={!!deleting}
        onClose={() => setDeleting(null)}
        title="Delete group"
        confirmLabel="Delete group"
        onConfirm={async () => {
          if (!deleting) return;
          await remove.mutateAsync(deleting.id);
          notifications.show({ color: 'teal', message: `Deleted “${deleting.name}”` });
        }}
      >
        <Text size="sm">
          Delete <b>{deleting?.name}</b>? Its {formatNumber(deleting?.contact_count ?? 0)} contacts stay; only the group goes.
        </Text>
      </ConfirmDialog>
    </>
  );
}

function GroupModal({ group, onClose }: { group: ContactGroup | 'new' | null; onClose: () => void }) {
  const save = useSaveGroup();
  const existing = group && group !== 'new' ? group : null;
  const form = useForm({
    mode: 'controlled',
    initialValues: { name: '', description: '', color: SWATCHES[0]! },
    validate: {
      name: (v) => (v.trim() ? null : 'Name the group'),
      color: (v) => (v && !/^#[0-9a-fA-F]{6}$/.test(v) ? 'Pick a color like #1c7ed6' : null),
    },
  });
  const { formError, applyError, resetError } = useFormErrors(form);

  useEffect(() => {
    if (group) {
      const values = { name: existing?.name ?? '', description: existing?.description ?? '', color: existing?.color || SWATCHES[0]! };
      form.setValues(values);
      form.clearErrors();
      resetError();
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [group]);

  const submit = form.onSubmit(async (values) => {
    resetError();
    try {
      const saved = await save.mutateAsync({
        id: existing?.id,
        body: { name: values.name.trim(), description: values.description.trim(), color: values.color.toLowerCase() },
      });
      notifications.show({ color: 'teal', message: existing ? `Saved “${saved.name}”` : `Created “${saved.name}”` });
      onClose();
    } catch (err) {
      applyError(err);
    }
  });

  return (
    <Modal opened={!!group} onClose={() => !save.isPending && onClose()} title={<Text fw={600}>{existing ? 'Edit group' : 'New group'}</Text>}>
      <form onSubmit={submit} noValidate>
        <Stack gap="md">
          <TextInput label="Name" placeholder="Newsletter" required data-autofocus {...form.getInputProps('name')} />
          <Textarea label="Description" placeholder="Who is in it and why" autosize minRows={2} maxRows={5} {...form.getInputProps('description')} />
          <ColorInput label="Color" swatches={SWATCHES} swatchesPerRow={10} format="hex" {...form.getInputProps('color')} />
          <FormError message={formError} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose} disabled={save.isPending}>
              Cancel
            </Button>
            <Button type="submit" loading={save.isPending}>
              {existing ? 'Save' : 'Create group'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

import { Badge, Button, Divider, Drawer, Group, Skeleton, Stack, Table, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconEdit, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { ConfirmDialog } from '@/components/ConfirmDialog';
import { ErrorAlert } from '@/components/ErrorAlert';
import { formatDateTime } from '@/lib/format';
import { useCurrent } from '@/layout/CurrentContext';
import { atLeast } from '@/lib/roles';
import { type Contact, contactLabel, type Group as ContactGroup, useContact, useDeleteContact } from './api';
import { ChannelIcons, GroupBadge } from './bits';
import { ConsentSection } from './ConsentSection';
import { ContactFormModal } from './ContactFormModal';

/** A contact's details, with edit and delete for members, and consent. */
export function ContactDrawer({
  id,
  groups,
  canEdit,
  onClose,
  onOpenContact,
}: {
  id: string | null;
  groups: ContactGroup[];
  canEdit: boolean;
  onClose: () => void;
  onOpenContact: (id: string) => void;
}) {
  const contact = useContact(id);
  const { role } = useCurrent();
  const canAdmin = atLeast(role, 'admin');
  const remove = useDeleteContact();
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const c = contact.data;

  return (
    <>
      <Drawer
        opened={!!id}
        onClose={onClose}
        position="right"
        size="md"
        title={<Text fw={600}>Contact</Text>}
        data-testid="contact-drawer"
      >
        {contact.isPending ? (
          <Stack gap="sm">
            <Skeleton h={28} w="60%" />
            <Skeleton h={18} />
            <Skeleton h={18} />
            <Skeleton h={18} />
          </Stack>
        ) : contact.isError ? (
          <ErrorAlert error={contact.error} title="Couldn't load the contact" onRetry={() => void contact.refetch()} />
        ) : c ? (
          <Stack gap="md">
            <div>
              <Title order={3} fz="lg" style={{ wordBreak: 'break-word' }}>
                {contactLabel(c)}
              </Title>
              <Group gap={6} mt={6}>
                <ChannelIcons contact={c} />
              </Group>
            </div>
            {canEdit && (
              <Group gap="xs">
                <Button size="xs" variant="default" leftSection={<IconEdit size={14} />} onClick={() => setEditing(true)}>
                  Edit
                </Button>
                <Button size="xs" variant="subtle" color="red" leftSection={<IconTrash size={14} />} onClick={() => setDeleting(true)}>
                  Delete
                </Button>
              </Group>
            )}
            <Table withRowBorders={false} verticalSpacing={6} layout="fixed">
              <Table.Tbody>
                <Field label="Email" value={c.email} />
                <Field label="Phone" value={c.phone} />
                <Field label="WhatsApp" value={c.whatsapp} />
                <Field label="Telegram" value={c.telegram_username ? `@${c.telegram_username}` : c.telegram_chat_id} />
                <Field label="Instagram" value={c.instagram_username ? `@${c.instagram_username}` : c.instagram_id} />
                <Field label="Locale" value={c.locale} />
                <Field label="Time zone" value={c.timezone} />
                <Field label="Created" value={formatDateTime(c.created_at)} />
              </Table.Tbody>
            </Table>
            <Divider />
            <div>
              <Text size="xs" fw={600} tt="uppercase" c="dimmed" mb={6}>
                Tags
              </Text>
              {(c.tags ?? []).length === 0 ? (
                <Text size="sm" c="dimmed">No tags</Text>
              ) : (
                <Group gap={4}>
                  {(c.tags ?? []).map((t) => (
                    <Badge key={t} variant="light" color="gray" tt="none">{t}</Badge>
                  ))}
                </Group>
              )}
            </div>
            <div>
              <Text size="xs" fw={600} tt="uppercase" c="dimmed" mb={6}>
                Groups
              </Text>
              {(c.group_ids ?? []).length === 0 ? (
                <Text size="sm" c="dimmed">In no group</Text>
              ) : (
                <Group gap={4}>
                  {(c.group_ids ?? []).map((gid) => (
                    <GroupBadge key={gid} group={groups.find((g) => g.id === gid)} />
                  ))}
                </Group>
              )}
            </div>
            <AttributesList attributes={c.attributes} />
            <Divider />
            <ConsentSection contact={c} canEdit={canEdit} canAdmin={canAdmin} />
          </Stack>
        ) : null}
      </Drawer>
      {canEdit && (
        <ContactFormModal
          opened={editing}
          contact={c ?? null}
          onClose={() => setEditing(false)}
          onSaved={() => {
            setEditing(false);
            notifications.show({ color: 'teal', message: 'Contact saved' });
          }}
          onOpenContact={(other) => {
            setEditing(false);
            onOpenContact(other);
          }}
        />
      )}
      <ConfirmDialog
        opened={deleting}
        onClose={() => setDeleting(false)}
        title="Delete contact"
        confirmLabel="Delete contact"
        onConfirm={async () => {
          if (!c) return;
          await remove.mutateAsync(c.id);
          notifications.show({ color: 'teal', message: `Deleted ${contactLabel(c)}` });
          onClose();
        }}
      >
        <Text size="sm">
          Delete <b>{c ? contactLabel(c) : ''}</b>? Their suppressions stay, kept by address. This can't be undone.
        </Text>
      </ConfirmDialog>
    </>
  );
}

function Field({ label, value }: { label: string; value: string | null | undefined }) {
  return (
    <Table.Tr>
      <Table.Td w={110} pl={0}>
        <Text size="sm" c="dimmed">{label}</Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm" c={value ? undefined : 'dimmed'} style={{ wordBreak: 'break-all' }}>
          {value || '—'}
        </Text>
      </Table.Td>
    </Table.Tr>
  );
}

function AttributesList({ attributes }: { attributes: Contact['attributes'] }) {
  const entries = Object.entries(attributes ?? {});
  if (entries.length === 0) return null;
  return (
    <div>
      <Text size="xs" fw={600} tt="uppercase" c="dimmed" mb={6}>
        Attributes
      </Text>
      <Table withRowBorders={false} verticalSpacing={4} layout="fixed">
        <Table.Tbody>
          {entries.map(([k, v]) => (
            <Field key={k} label={k} value={typeof v === 'string' ? v : JSON.stringify(v)} />
          ))}
        </Table.Tbody>
      </Table>
    </div>
  );
}

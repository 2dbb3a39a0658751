import { ActionIcon, Alert, Badge, Button, Card, CopyButton, Group, Select, Skeleton, Stack, Table, Text, TextInput, Title, Tooltip } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useMediaQuery } from '@mantine/hooks';
import { IconCheck, IconCopy, IconMailForward, IconSend, IconX } from '@tabler/icons-react';
import { useState } from 'react';
import { useCreateInvitation, useInvitations, useRevokeInvitation } from '@/api/queries';
import type { AssignableRole, CreatedInvitation, Invitation, Role } from '@/api/types';
import { ConfirmDialog } from '@/components/ConfirmDialog';
import { EmptyState } from '@/components/EmptyState';
import { ErrorAlert, FormError } from '@/components/ErrorAlert';
import { formatDate, formatDateTime, formatRelative } from '@/lib/format';
import { ROLE_COLORS, ROLE_DESCRIPTIONS, ROLE_LABELS } from '@/lib/roles';
import { useFormErrors } from '@/lib/useFormErrors';
import { notifications } from '@mantine/notifications';

const ROLE_OPTIONS = (['admin', 'member', 'viewer'] as AssignableRole[]).map((r) => ({ value: r, label: ROLE_LABELS[r] }));

const DELIVERY: Record<string, { label: string; color: string; hint: string }> = {
  queued: { label: 'Link ready', color: 'gray', hint: 'Share the link with them. Email delivery arrives with the messaging release.' },
  ready_to_send: { label: 'Link ready', color: 'gray', hint: 'Share the link with them. Email delivery arrives with the messaging release.' },
  sent: { label: 'Emailed', color: 'teal', hint: 'The invitation email was sent.' },
  failed: { label: 'Email failed', color: 'red', hint: 'The invitation email could not be delivered.' },
};

/** Invite by email and role; pending invitations with revoke. Admins only. */
export function InvitationsCard() {
  const isPhone = useMediaQuery('(max-width: 47.99em)') ?? false;
  const invitations = useInvitations(true);
  const create = useCreateInvitation();
  const revoke = useRevokeInvitation();
  const [created, setCreated] = useState<CreatedInvitation | null>(null);
  const [revoking, setRevoking] = useState<Invitation | null>(null);
  const form = useForm<{ email: string; role: AssignableRole }>({
    mode: 'controlled',
    initialValues: { email: '', role: 'member' },
    validate: { email: (v) => (/^\S+@\S+\.\S+$/.test(v.trim()) ? null : 'Enter a valid email address') },
  });
  const { formError, applyError, resetError } = useFormErrors(form);

  const submit = form.onSubmit(async (values) => {
    resetError();
    setCreated(null);
    try {
      const inv = await create.mutateAsync({ email: values.email.trim(), role: values.role });
      setCreated(inv);
      form.setFieldValue('email', '');
    } catch (err) {
      applyError(err);
    }
  });

  const items = invitations.data?.items ?? [];

  return (
    <Card p={0} id="invitations">
      <div style={{ padding: 'var(--mantine-spacing-md) var(--mantine-spacing-lg)', borderBottom: '1px solid var(--mantine-color-gray-2)' }}>
        <Title order={4} fz="md">
          Invite people
        </Title>
        <Text size="xs" c="dimmed">
          They get a link to join with the role you choose.
        </Text>
      </div>
      <Stack p="lg" gap="md">
        <form onSubmit={submit} noValidate>
          <Group align="flex-start" gap="sm" wrap="wrap">
            <TextInput
              placeholder="teammate@company.com"
              aria-label="Email to invite"
              type="email"
              style={{ flex: '1 1 260px' }}
              {...form.getInputProps('email')}
            />
            <Select
              data={ROLE_OPTIONS}
              aria-label="Role"
              w={150}
              renderOption={({ option }) => (
                <div>
                  <Text size="sm">{option.label}</Text>
                  <Text size="xs" c="dimmed">
                    {ROLE_DESCRIPTIONS[option.value as Role]}
                  </Text>
                </div>
              )}
              comboboxProps={{ width: 260, position: 'bottom-start' }}
              {...form.getInputProps('role')}
            />
            <Button type="submit" leftSection={<IconSend size={16} />} loading={create.isPending}>
              Invite
            </Button>
          </Group>
          <FormError message={formError} mt="sm" />
        </form>
        {created && (
          <Alert
            color="teal"
            variant="light"
            icon={<IconMailForward size={18} />}
            title={`Invitation created for ${created.email}`}
            withCloseButton
            onClose={() => setCreated(null)}
            data-testid="invitation-created"
          >
            <Text size="sm" mb="xs">
              Send them this link. It's shown only now, and it expires {formatRelative(created.expires_at)} ({formatDate(created.expires_at)}).
            </Text>
            <Group gap="xs" wrap="nowrap">
              <TextInput value={created.accept_url} readOnly style={{ flex: 1 }} styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12 } }} data-testid="invitation-link" onFocus={(e) => e.currentTarget.select()} aria-label="Invitation link" />
              <CopyButton value={created.accept_url}>
                {({ copied, copy }) => (
                  <Button color={copied ? 'teal' : 'brand'} variant={copied ? 'filled' : 'light'} leftSection={copied ? <IconCheck size={16} /> : <IconCopy size={16} />} onClick={copy}>
                    {copied ? 'Copied' : 'Copy link'}
                  </Button>
                )}
              </CopyButton>
            </Group>
          </Alert>
        )}
      </Stack>
      <div style={{ borderTop: '1px solid var(--mantine-color-gray-2)' }}>
        <Group px="lg" pt="md" pb="xs" justify="space-between">
          <Text size="sm" fw={600}>
            Pending invitations
          </Text>
          {items.length > 0 && (
            <Text size="xs" c="dimmed">
              {items.length} pending
            </Text>
          )}
        </Group>
        {invitations.isPending ? (
          <Stack p="lg" gap="sm">
            <Skeleton h={36} />
            <Skeleton h={36} />
          </Stack>
        ) : invitations.isError ? (
          <Stack p="lg">
            <ErrorAlert error={invitations.error} title="Couldn't load invitations" onRetry={() => void invitations.refetch()} />
          </Stack>
        ) : items.length === 0 ? (
          <EmptyState icon={<IconMailForward size={20} />} title="No pending invitations" compact>
            Invitations that haven't been accepted yet show up here.
          </EmptyState>
        ) : (
          <Table.ScrollContainer minWidth={isPhone ? 0 : 640}>
            <Table verticalSpacing="sm" horizontalSpacing="lg" data-testid="invitations-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Email</Table.Th>
                  <Table.Th>Role</Table.Th>
                  {!isPhone && <Table.Th>Status</Table.Th>}
                  {!isPhone && <Table.Th>Invited</Table.Th>}
                  {!isPhone && <Table.Th>Expires</Table.Th>}
                  <Table.Th w={60} />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((inv) => {
                  const d = DELIVERY[inv.delivery_status] ?? { label: inv.delivery_status, color: 'gray', hint: '' };
                  const expired = new Date(inv.expires_at).getTime() < Date.now();
                  return (
                    <Table.Tr key={inv.id}>
                      <Table.Td style={{ wordBreak: 'break-all' }}>
                        <Text size="sm">{inv.email}</Text>
                        {isPhone && (
                          <Text size="xs" c="dimmed">
                            Expires {formatRelative(inv.expires_at)}
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>
                        <Badge variant="light" color={ROLE_COLORS[inv.role as Role]}>
                          {ROLE_LABELS[inv.role as Role]}
                        </Badge>
                      </Table.Td>
                      {!isPhone && (
                        <>
                        <Table.Td>
                          <Tooltip label={expired ? 'The link has expired; revoke it and invite again.' : d.hint} multiline maw={260}>
                            <Badge variant="dot" color={expired ? 'orange' : d.color}>
                              {expired ? 'Expired' : d.label}
                            </Badge>
                          </Tooltip>
                        </Table.Td>
                        <Table.Td>
                          <Text size="sm">{formatDate(inv.created_at)}</Text>
                        </Table.Td>
                        <Table.Td>
                          <Tooltip label={formatDateTime(inv.expires_at)}>
                            <Text size="sm">{formatRelative(inv.expires_at)}</Text>
                          </Tooltip>
                        </Table.Td>
                        </>
                      )}
                      <Table.Td>
                        <Tooltip label="Revoke invitation">
                          <ActionIcon variant="subtle" color="red" onClick={() => setRevoking(inv)} aria-label={`Revoke invitation for ${inv.email}`}>
                            <IconX size={18} />
                          </ActionIcon>
                        </Tooltip>
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </div>
      <ConfirmDialog
        opened={!!revoking}
        onClose={() => setRevoking(null)}
        title="Revoke invitation"
        confirmLabel="Revoke"
        onConfirm={async () => {
          if (!revoking) return;
          await revoke.mutateAsync(revoking.id);
          notifications.show({ color: 'teal', message: `Invitation for ${revoking.email} revoked` });
          if (created?.id === revoking.id) setCreated(null);
        }}
      >
        <Text size="sm">
          Revoke the invitation for <b>{revoking?.email}</b>? Its link stops working right away.
        </Text>
      </ConfirmDialog>
    </Card>
  );
}

import { ActionIcon, Avatar, Badge, Button, Card, Group, Select, Skeleton, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconDoorExit, IconUserMinus } from '@tabler/icons-react';
import { useState } from 'react';
import { describeError } from '@/api/problem';
import { useMembers, useRemoveMember, useUpdateMemberRole } from '@/api/queries';
import type { AssignableRole, Member, Role } from '@/api/types';
import { ConfirmDialog } from '@/components/ConfirmDialog';
import { ErrorAlert } from '@/components/ErrorAlert';
import { useCurrent } from '@/layout/CurrentContext';
import { formatDate, initials } from '@/lib/format';
import { can, ROLE_COLORS, ROLE_DESCRIPTIONS, ROLE_LABELS } from '@/lib/roles';
import { useAfterOrgExit } from './useAfterOrgExit';

const ASSIGNABLE: AssignableRole[] = ['admin', 'member', 'viewer'];
const ROLE_OPTIONS = ASSIGNABLE.map((r) => ({ value: r, label: ROLE_LABELS[r] }));

/** Members with their roles; admins change roles and remove people. */
export function MembersCard() {
  const { me, role, org } = useCurrent();
  const canManage = can(role, 'members.manage');
  const members = useMembers();
  const updateRole = useUpdateMemberRole();
  const remove = useRemoveMember();
  const afterExit = useAfterOrgExit();
  const isPhone = useMediaQuery('(max-width: 47.99em)') ?? false;
  const [pendingRole, setPendingRole] = useState<string | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [roleError, setRoleError] = useState<{ userId: string; error: unknown } | null>(null);

  const changeRole = (m: Member, next: AssignableRole) => {
    if (next === m.role) return;
    setRoleError(null);
    setPendingRole(m.user_id);
    updateRole.mutate(
      { userId: m.user_id, role: next },
      {
        onSuccess: () => notifications.show({ color: 'teal', message: `${m.name || m.email} is now ${ROLE_LABELS[next].toLowerCase()}` }),
        onError: (error) => setRoleError({ userId: m.user_id, error }),
        onSettled: () => setPendingRole(null),
      },
    );
  };

  const self = removing?.user_id === me.user.id;
  const items = [...(members.data?.items ?? [])].sort((a, b) => rank(a.role as Role) - rank(b.role as Role) || (a.name || a.email).localeCompare(b.name || b.email));

  return (
    <Card p={0} id="members">
      <Group justify="space-between" px="lg" py="md" style={{ borderBottom: '1px solid var(--mantine-color-gray-2)' }}>
        <div>
          <Title order={4} fz="md">
            Members
          </Title>
          <Text size="xs" c="dimmed">
            {members.data ? `${(members.data.items ?? []).length} ${(members.data.items ?? []).length === 1 ? 'person' : 'people'} in ${org?.name}` : 'People in this organization'}
          </Text>
        </div>
      </Group>
      {members.isPending ? (
        <Stack gap="sm" p="lg">
          {[0, 1, 2].map((i) => (
            <Skeleton key={i} h={40} />
          ))}
        </Stack>
      ) : members.isError ? (
        <Stack p="lg">
          <ErrorAlert error={members.error} title="Couldn't load members" onRetry={() => void members.refetch()} />
        </Stack>
      ) : (
        <Table.ScrollContainer minWidth={isPhone ? 0 : 640}>
          <Table verticalSpacing="sm" horizontalSpacing={isPhone ? 'sm' : 'lg'} data-testid="members-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Member</Table.Th>
                <Table.Th w={isPhone ? 120 : 200}>Role</Table.Th>
                {!isPhone && <Table.Th w={140}>Joined</Table.Th>}
                <Table.Th w={isPhone ? 40 : 60} />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((m) => {
                const isSelf = m.user_id === me.user.id;
                const isOwner = m.role === 'owner';
                const editable = canManage && !isOwner && !isSelf;
                return (
                  <Table.Tr key={m.user_id} data-testid={`member-row-${m.email}`}>
                    <Table.Td>
                      <Group gap="sm" wrap="nowrap">
                        <Avatar radius="xl" size={34} color="brand" variant="light" visibleFrom="xs">
                          {initials(m.name, m.email)}
                        </Avatar>
                        <div style={{ minWidth: 0, maxWidth: isPhone ? 140 : undefined }}>
                          <Group gap={6} wrap="nowrap">
                            <Text size="sm" fw={600} truncate="end">
                              {m.name || m.email}
                            </Text>
                            {isSelf && (
                              <Badge size="xs" variant="light" color="gray">
                                You
                              </Badge>
                            )}
                          </Group>
                          <Text size="xs" c="dimmed" truncate="end">
                            {m.email}
                          </Text>
                        </div>
                      </Group>
                    </Table.Td>
                    <Table.Td>
                      {editable ? (
                        <Stack gap={4}>
                          <Select
                            size="xs"
                            w={isPhone ? 108 : 160}
                            data={ROLE_OPTIONS}
                            value={m.role}
                            onChange={(v) => v && changeRole(m, v as AssignableRole)}
                            disabled={pendingRole === m.user_id}
                            aria-label={`Role of ${m.email}`}
                            renderOption={({ option }) => (
                              <div>
                                <Text size="sm">{option.label}</Text>
                                <Text size="xs" c="dimmed">
                                  {ROLE_DESCRIPTIONS[option.value as Role]}
                                </Text>
                              </div>
                            )}
                            comboboxProps={{ width: 260, position: 'bottom-start' }}
                          />
                          {roleError?.userId === m.user_id && (
                            <Text size="xs" c="red" role="alert">
                              {describeError(roleError.error).message}
                            </Text>
                          )}
                        </Stack>
                      ) : (
                        <Tooltip label={ROLE_DESCRIPTIONS[m.role as Role]}>
                          <Badge variant="light" color={ROLE_COLORS[m.role as Role]}>
                            {ROLE_LABELS[m.role as Role]}
                          </Badge>
                        </Tooltip>
                      )}
                    </Table.Td>
                    {!isPhone && (
                      <Table.Td>
                        <Text size="sm">{formatDate(m.joined_at)}</Text>
                      </Table.Td>
                    )}
                    <Table.Td>
                      {editable && (
                        <Tooltip label="Remove from organization">
                          <ActionIcon variant="subtle" color="red" onClick={() => setRemoving(m)} aria-label={`Remove ${m.email}`}>
                            <IconUserMinus size={18} />
                          </ActionIcon>
                        </Tooltip>
                      )}
                      {isSelf && !isOwner && (
                        <Button size="compact-xs" variant="subtle" color="red" leftSection={isPhone ? undefined : <IconDoorExit size={14} />} onClick={() => setRemoving(m)}>
                          Leave
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <ConfirmDialog
        opened={!!removing}
        onClose={() => setRemoving(null)}
        title={self ? 'Leave organization' : 'Remove member'}
        confirmLabel={self ? 'Leave' : 'Remove'}
        onConfirm={async () => {
          if (!removing) return;
          await remove.mutateAsync(removing.user_id);
          if (self) {
            notifications.show({ color: 'teal', message: `You left ${org?.name}` });
            await afterExit();
          } else {
            notifications.show({ color: 'teal', message: `${removing.name || removing.email} was removed` });
          }
        }}
      >
        <Text size="sm">
          {self ? (
            <>
              Leave <b>{org?.name}</b>? You'll lose access right away; an admin has to invite you again to come back.
            </>
          ) : (
            <>
              Remove <b>{removing?.name || removing?.email}</b> from {org?.name}? They lose access right away. You can
              invite them again later.
            </>
          )}
        </Text>
      </ConfirmDialog>
    </Card>
  );
}

function rank(role: Role): number {
  return { owner: 0, admin: 1, member: 2, viewer: 3 }[role] ?? 4;
}

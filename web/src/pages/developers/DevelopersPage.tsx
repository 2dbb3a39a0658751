import { ActionIcon, Alert, Anchor, Badge, Button, Card, Group, Menu, Skeleton, Stack, Switch, Table, Text, Title, Tooltip } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconBook2, IconDots, IconExternalLink, IconKey, IconLock, IconPlus, IconRefresh, IconTrash } from '@tabler/icons-react';
import { useMemo, useState } from 'react';
import { useApiKeys, useRegenerateApiKey, useRevokeApiKey } from '@/api/queries';
import type { ApiKey, ApiKeyWithSecret } from '@/api/types';
import { ConfirmDialog } from '@/components/ConfirmDialog';
import { EmptyState } from '@/components/EmptyState';
import { ErrorAlert } from '@/components/ErrorAlert';
import { PageHeader } from '@/components/PageHeader';
import { UsageSparkline } from '@/components/UsageSparkline';
import { useCurrent } from '@/layout/CurrentContext';
import { formatDate, formatDateTime, formatRelative } from '@/lib/format';
import { can } from '@/lib/roles';
import { CreateKeyModal } from './CreateKeyModal';
import { keyStatus, STATUS_BADGE } from './keyStatus';
import { SecretModal } from './SecretModal';

export function DevelopersPage() {
  const { role, org } = useCurrent();
  const canManage = can(role, 'apikeys.manage');
  const [createOpened, createModal] = useDisclosure(false);
  const [secret, setSecret] = useState<{ key: ApiKeyWithSecret; regenerated: boolean } | null>(null);

  return (
    <>
      <PageHeader
        title="Developers"
        description="API keys let your own systems call the Switchboard API on behalf of this organization."
        actions={
          <Group gap="sm">
            <Button component="a" href="/api/docs/swagger/" target="_blank" rel="noopener" variant="default" leftSection={<IconBook2 size={16} />} rightSection={<IconExternalLink size={14} />}>
              API docs
            </Button>
            {canManage && (
              <Button leftSection={<IconPlus size={16} />} onClick={createModal.open}>
                Create API key
              </Button>
            )}
          </Group>
        }
      />
      <Stack gap="lg">
        {canManage ? (
          <KeysCard onCreate={createModal.open} onSecret={(key) => setSecret({ key, regenerated: true })} />
        ) : (
          <Card>
            <EmptyState icon={<IconLock size={24} />} title="API keys are managed by admins" compact>
              Ask an owner or admin of {org?.name} to create a key for your integration. You can still read the API
              reference below.
            </EmptyState>
          </Card>
        )}
        <DocsCard />
      </Stack>
      {canManage && (
        <CreateKeyModal
          opened={createOpened}
          onClose={createModal.close}
          onCreated={(key) => {
            createModal.close();
            setSecret({ key, regenerated: false });
          }}
        />
      )}
      <SecretModal apiKey={secret?.key ?? null} regenerated={secret?.regenerated} onClose={() => setSecret(null)} />
    </>
  );
}

function KeysCard({ onCreate, onSecret }: { onCreate: () => void; onSecret: (key: ApiKeyWithSecret) => void }) {
  const keys = useApiKeys(true);
  const revoke = useRevokeApiKey();
  const regenerate = useRegenerateApiKey();
  const [showInactive, setShowInactive] = useState(false);
  const [confirm, setConfirm] = useState<{ kind: 'revoke' | 'regenerate'; key: ApiKey } | null>(null);
  const now = new Date();

  const { visible, inactiveCount } = useMemo(() => {
    const items = [...(keys.data?.items ?? [])].sort((a, b) => b.created_at.localeCompare(a.created_at));
    const inactive = items.filter((k) => ['revoked', 'expired'].includes(keyStatus(k)));
    const active = items.filter((k) => !['revoked', 'expired'].includes(keyStatus(k)));
    return { visible: showInactive ? [...active, ...inactive] : active, inactiveCount: inactive.length };
  }, [keys.data, showInactive]);

  if (keys.isPending) {
    return (
      <Card>
        <Stack gap="sm">
          {[0, 1, 2].map((i) => (
            <Skeleton key={i} h={36} />
          ))}
        </Stack>
      </Card>
    );
  }
  if (keys.isError) return <ErrorAlert error={keys.error} title="Couldn't load API keys" onRetry={() => void keys.refetch()} />;

  const total = (keys.data.items ?? []).length;

  return (
    <Card p={0}>
      <Group justify="space-between" px="lg" py="md" style={{ borderBottom: '1px solid var(--mantine-color-gray-2)' }}>
        <div>
          <Title order={4} fz="md">
            API keys
          </Title>
          <Text size="xs" c="dimmed">
            Requests per day over the last 30 days
          </Text>
        </div>
        {inactiveCount > 0 && (
          <Switch
            size="sm"
            label={`Show revoked and expired (${inactiveCount})`}
            checked={showInactive}
            onChange={(e) => setShowInactive(e.currentTarget.checked)}
          />
        )}
      </Group>
      {visible.length === 0 ? (
        <EmptyState
          icon={<IconKey size={24} />}
          title={total === 0 ? 'No API keys yet' : 'No active API keys'}
          action={
            <Button leftSection={<IconPlus size={16} />} onClick={onCreate}>
              Create API key
            </Button>
          }
        >
          Create a key for each system that calls the API, with only the scopes it needs. You can revoke one at any time
          without touching the others.
        </EmptyState>
      ) : (
        <Table.ScrollContainer minWidth={860}>
          <Table verticalSpacing="sm" horizontalSpacing="md" highlightOnHover data-testid="api-keys-table" style={{ whiteSpace: 'nowrap' }}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th pl="lg">Name</Table.Th>
                <Table.Th>Scopes</Table.Th>
                <Table.Th>Usage, 30 days</Table.Th>
                <Table.Th>Last used</Table.Th>
                <Table.Th>Expires</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th w={56} pr="lg" />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {visible.map((k) => {
                const status = keyStatus(k, now);
                const badge = STATUS_BADGE[status];
                const inactive = status === 'revoked' || status === 'expired';
                return (
                  <Table.Tr key={k.id} data-testid={`api-key-row-${k.name}`} style={{ opacity: inactive ? 0.6 : 1 }}>
                    <Table.Td pl="lg">
                      <Text size="sm" fw={600} truncate="end" maw={220}>
                        {k.name}
                      </Text>
                      <Tooltip label={`Created ${formatDateTime(k.created_at)}`}>
                        <Text size="xs" c="dimmed">
                          <Text span ff="monospace" size="xs">
                            {k.prefix}…
                          </Text>{' '}
                          · {formatDate(k.created_at)}
                        </Text>
                      </Tooltip>
                    </Table.Td>
                    <Table.Td style={{ whiteSpace: 'normal' }} miw={150} maw={220}>
                      <ScopeBadges scopes={k.scopes ?? []} />
                    </Table.Td>
                    <Table.Td>
                      <UsageSparkline usage={k.usage} width={80} />
                    </Table.Td>
                    <Table.Td>
                      <Tooltip label={formatDateTime(k.last_used_at)} disabled={!k.last_used_at}>
                        <Text size="sm" c={k.last_used_at ? undefined : 'dimmed'}>
                          {k.last_used_at ? formatRelative(k.last_used_at, now) : 'Never'}
                        </Text>
                      </Tooltip>
                    </Table.Td>
                    <Table.Td>
                      <Tooltip label={formatDateTime(k.expires_at)} disabled={!k.expires_at}>
                        <Text size="sm" c={k.expires_at ? undefined : 'dimmed'}>
                          {k.expires_at ? formatDate(k.expires_at) : 'Never'}
                        </Text>
                      </Tooltip>
                    </Table.Td>
                    <Table.Td>
                      <Tooltip label={`Revoked ${formatDateTime(k.revoked_at)}`} disabled={!k.revoked_at}>
                        <Badge variant="light" color={badge.color} style={{ flexShrink: 0 }}>
                          {badge.label}
                        </Badge>
                      </Tooltip>
                    </Table.Td>
                    <Table.Td>
                      {status !== 'revoked' && (
                        <Menu position="bottom-end" withinPortal shadow="md">
                          <Menu.Target>
                            <ActionIcon variant="subtle" color="gray" aria-label={`Actions for ${k.name}`}>
                              <IconDots size={18} />
                            </ActionIcon>
                          </Menu.Target>
                          <Menu.Dropdown>
                            <Menu.Item leftSection={<IconRefresh size={16} />} onClick={() => setConfirm({ kind: 'regenerate', key: k })}>
                              Regenerate secret
                            </Menu.Item>
                            <Menu.Item color="red" leftSection={<IconTrash size={16} />} onClick={() => setConfirm({ kind: 'revoke', key: k })}>
                              Revoke
                            </Menu.Item>
                          </Menu.Dropdown>
                        </Menu>
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
        opened={confirm?.kind === 'revoke'}
        onClose={() => setConfirm(null)}
        title="Revoke API key"
        confirmLabel="Revoke key"
        onConfirm={async () => {
          if (!confirm) return;
          await revoke.mutateAsync(confirm.key.id);
          notifications.show({ color: 'teal', message: `Revoked “${confirm.key.name}”` });
        }}
      >
        <Text size="sm">
          Revoke <b>{confirm?.key.name}</b>? Requests made with it will be refused with 401 right away. This can't be
          undone.
        </Text>
      </ConfirmDialog>
      <ConfirmDialog
        opened={confirm?.kind === 'regenerate'}
        onClose={() => setConfirm(null)}
        title="Regenerate secret"
        confirmLabel="Regenerate"
        color="brand"
        onConfirm={async () => {
          if (!confirm) return;
          const key = await regenerate.mutateAsync(confirm.key.id);
          onSecret(key);
        }}
      >
        <Text size="sm">
          Regenerate the secret of <b>{confirm?.key.name}</b>? The current secret stops working immediately; every system
          using it needs the new one. Name, scopes and expiry stay the same.
        </Text>
      </ConfirmDialog>
    </Card>
  );
}

function ScopeBadges({ scopes }: { scopes: readonly string[] }) {
  const shown = scopes.slice(0, 3);
  const rest = scopes.slice(3);
  return (
    <Group gap={4}>
      {shown.map((s) => (
        <Badge key={s} variant="outline" color="gray" tt="none" fw={500} ff="monospace" size="sm">
          {s}
        </Badge>
      ))}
      {rest.length > 0 && (
        <Tooltip label={rest.join(', ')} multiline maw={260}>
          <Badge variant="light" color="gray" size="sm">
            +{rest.length}
          </Badge>
        </Tooltip>
      )}
    </Group>
  );
}

function DocsCard() {
  return (
    <Card>
      <Group justify="space-between" align="flex-start" wrap="wrap" gap="md">
        <div style={{ flex: '1 1 360px' }}>
          <Title order={4} fz="md">
            API reference
          </Title>
          <Text size="sm" c="dimmed" mt={4}>
            Send the key as a bearer token: <code>Authorization: Bearer sb_…</code>. A key acts as this organization
            with the scopes you gave it. The reference lists every endpoint, its parameters and its errors.
          </Text>
        </div>
        <Group gap="xs">
          <Anchor href="/api/docs/swagger/" target="_blank" rel="noopener" size="sm">
            Swagger UI
          </Anchor>
          <Text c="dimmed">·</Text>
          <Anchor href="/api/docs/redoc/" target="_blank" rel="noopener" size="sm">
            ReDoc
          </Anchor>
          <Text c="dimmed">·</Text>
          <Anchor href="/api/schema" target="_blank" rel="noopener" size="sm">
            OpenAPI schema
          </Anchor>
        </Group>
      </Group>
      <Alert variant="light" color="gray" mt="md" p="sm">
        <Text size="xs" c="dimmed">
          Keep keys out of browsers and mobile apps: anyone holding one can act as your organization within its scopes.
        </Text>
      </Alert>
    </Card>
  );
}

import { Badge, Button, Card, Group, Select, Skeleton, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconPlus, IconSearch, IconTemplate } from '@tabler/icons-react';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { EmptyState } from '@/components/EmptyState';
import { ErrorAlert } from '@/components/ErrorAlert';
import { PageHeader } from '@/components/PageHeader';
import { useCurrent } from '@/layout/CurrentContext';
import { formatRelative } from '@/lib/format';
import { atLeast } from '@/lib/roles';
import { CHANNEL_LABEL, CHANNELS, STATUS_COLOR, STATUS_LABEL, STATUSES, useTemplates, type Channel, type Status } from './api';
import { EmailFooterCard } from './EmailFooterCard';

export function TemplatesListPage() {
  const { role } = useCurrent();
  const canWrite = atLeast(role, 'member');
  const navigate = useNavigate();
  const [channel, setChannel] = useState<Channel | null>(null);
  const [status, setStatus] = useState<Status | null>(null);
  const [search, setSearch] = useState('');
  const [debounced] = useDebouncedValue(search.trim(), 250);
  const filters = { ...(channel ? { channel } : {}), ...(status ? { status } : {}), ...(debounced ? { search: debounced } : {}) };
  const list = useTemplates(filters);
  const filtered = !!(channel || status || debounced);

  const newButton = canWrite && (
    <Button leftSection={<IconPlus size={16} />} onClick={() => navigate('/templates/new')}>
      New template
    </Button>
  );

  return (
    <>
      <PageHeader
        title="Templates"
        description="Reusable messages with {{variables}}, per channel. Templates are used by sends once an admin approves them."
        actions={newButton}
      />
      <Stack gap="lg">
        <Card p={0}>
          <Group px="lg" py="md" gap="sm" wrap="wrap" style={{ borderBottom: '1px solid var(--mantine-color-gray-2)' }}>
            <TextInput
              aria-label="Search templates"
              placeholder="Search by name"
              leftSection={<IconSearch size={16} />}
              value={search}
              onChange={(e) => setSearch(e.currentTarget.value)}
              style={{ flex: '1 1 220px' }}
            />
            <Select
              aria-label="Channel"
              placeholder="All channels"
              data={CHANNELS}
              value={channel}
              onChange={(v) => setChannel(v as Channel | null)}
              clearable
              w={170}
            />
            <Select
              aria-label="Status"
              placeholder="All statuses"
              data={STATUSES}
              value={status}
              onChange={(v) => setStatus(v as Status | null)}
              clearable
              w={190}
            />
          </Group>
          {list.isPending ? (
            <Stack gap="sm" p="lg">
              {[0, 1, 2].map((i) => (
                <Skeleton key={i} h={36} />
              ))}
            </Stack>
          ) : list.isError ? (
            <div style={{ padding: 16 }}>
              <ErrorAlert error={list.error} title="Couldn't load templates" onRetry={() => void list.refetch()} />
            </div>
          ) : (list.data.items ?? []).length === 0 ? (
            <EmptyState
              icon={<IconTemplate size={24} />}
              title={filtered ? 'No templates match' : 'No templates yet'}
              action={!filtered && newButton}
            >
              {filtered
                ? 'Try another channel, status or search.'
                : 'Write a message once, with variables like {{first_name}}, and reuse it in sends and campaigns.'}
            </EmptyState>
          ) : (
            <Table.ScrollContainer minWidth={640}>
              <Table verticalSpacing="sm" horizontalSpacing="md" highlightOnHover data-testid="templates-table">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th pl="lg">Name</Table.Th>
                    <Table.Th>Channel</Table.Th>
                    <Table.Th>Status</Table.Th>
                    <Table.Th>Version</Table.Th>
                    <Table.Th pr="lg">Updated</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {(list.data.items ?? []).map((t) => (
                    <Table.Tr key={t.id} data-testid={`template-row-${t.name}`}>
                      <Table.Td pl="lg">
                        <Group gap={8} wrap="nowrap">
                          <Text component={Link} to={`/templates/${t.id}`} fw={500} size="sm" c="brand" style={{ textDecoration: 'none' }}>
                            {t.name}
                          </Text>
                          {t.is_default && (
                            <Badge size="xs" variant="light" color="grape">
                              Default
                            </Badge>
                          )}
                        </Group>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">{CHANNEL_LABEL[t.channel as Channel]}</Text>
                      </Table.Td>
                      <Table.Td>
                        <Group gap={6} wrap="nowrap">
                          <Badge size="sm" variant="light" color={STATUS_COLOR[t.status as Status]}>
                            {STATUS_LABEL[t.status as Status]}
                          </Badge>
                          {t.approved_version != null && t.status !== 'approved' && (
                            <Badge size="sm" variant="outline" color="green">
                              v{t.approved_version} in use
                            </Badge>
                          )}
                        </Group>
                      </Table.Td>
                      <Table.Td>
                        <Badge size="sm" variant="default">
                          v{t.latest_version}
                        </Badge>
                      </Table.Td>
                      <Table.Td pr="lg">
                        <Text size="sm" c="dimmed">
                          {formatRelative(t.updated_at)}
                        </Text>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </Card>
        <Card>
          <Title order={4} fz="md" mb={4}>
            Email footer
          </Title>
          <Text size="xs" c="dimmed" mb="md">
            Added to every email template that has no {'{{unsubscribe_url}}'} of its own.
          </Text>
          <EmailFooterCard canEdit={atLeast(role, 'admin')} />
        </Card>
      </Stack>
    </>
  );
}

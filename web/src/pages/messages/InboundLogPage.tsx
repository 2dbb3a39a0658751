import { Anchor, Badge, Button, Card, Group, Select, SimpleGrid, Skeleton, Stack, Switch, Table, Text, TextInput, Tooltip } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconInbox, IconPaperclip, IconSearch } from '@tabler/icons-react';
import { useEffect, useMemo, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { describeError } from '@/api/problem';
import { EmptyState } from '@/components/EmptyState';
import { ErrorAlert } from '@/components/ErrorAlert';
import { PageHeader } from '@/components/PageHeader';
import { formatNumber } from '@/lib/format';
import { downloadUpload, type InboundFilters, useInboundLog } from './api';
import { CHANNEL_META, fileSize, type InboundMessage, PATHS } from './model';
import { ChannelIcon, When } from './parts';

const CHAT_OPTIONS = (['whatsapp', 'telegram', 'instagram'] as const).map((value) => ({ value, label: CHANNEL_META[value].label }));

/** Who a message is from, in words: the contact's name or handle, else the address. */
export function senderName(m: InboundMessage): string {
  if (m.contact.name) return m.contact.name;
  if (m.contact.username) return `@${m.contact.username}`;
  return m.from;
}

/** Every message contacts sent on the chat channels, newest first. */
export function InboundLogPage() {
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const channel = (params.get('channel') || undefined) as InboundFilters['channel'];
  const searchParam = params.get('search') ?? '';
  const contactId = params.get('contact_id') || undefined;
  const [search, setSearch] = useState(searchParam);
  const [debounced] = useDebouncedValue(search, 300);
  const [live, setLive] = useState(true);

  const setParam = (key: string, value: string | null) =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        if (value) next.set(key, value);
        else next.delete(key);
        return next;
      },
      { replace: true },
    );
  useEffect(() => {
    if (debounced.trim() !== searchParam) setParam('search', debounced.trim() || null);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [debounced]);

  const log = useInboundLog({ channel, search: searchParam || undefined, contact_id: contactId }, live);
  const rows = useMemo(() => log.data?.pages.flatMap((p) => p.items ?? []) ?? [], [log.data]);
  const filtered = !!(channel || searchParam || contactId);

  const download = (id: string, name: string) =>
    void downloadUpload(id, name).catch((err: unknown) => notifications.show({ color: 'red', title: 'Download failed', message: describeError(err).message }));

  return (
    <>
      <PageHeader
        title="Inbound log"
        description="Every message your contacts sent on WhatsApp, Telegram and Instagram, newest first. Open one to answer in its conversation."
      />
      <Card p={0}>
        <Group p="md" gap="sm" justify="space-between" style={{ borderBottom: '1px solid var(--mantine-color-gray-2)' }}>
          <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm" style={{ flex: '1 1 300px', maxWidth: 560 }}>
            <TextInput
              aria-label="Search"
              placeholder="Text, sender or name"
              leftSection={<IconSearch size={16} />}
              value={search}
              onChange={(e) => setSearch(e.currentTarget.value)}
              data-testid="inbound-search"
            />
            <Select aria-label="Channel" placeholder="Any channel" data={CHAT_OPTIONS} value={channel ?? null} onChange={(v) => setParam('channel', v)} clearable />
          </SimpleGrid>
          <Switch label="Auto-refresh" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} />
        </Group>
        {contactId && (
          <Group px="md" py={8} gap="xs" bg="var(--mantine-color-gray-0)">
            <Text size="sm">Messages from one contact.</Text>
            <Anchor size="sm" onClick={() => setParam('contact_id', null)}>
              Show all
            </Anchor>
          </Group>
        )}
        {log.isPending ? (
          <Stack gap="sm" p="md">
            {[0, 1, 2].map((i) => (
              <Skeleton key={i} h={36} />
            ))}
          </Stack>
        ) : log.isError ? (
          <div style={{ padding: 'var(--mantine-spacing-md)' }}>
            <ErrorAlert error={log.error} title="Couldn't load the inbound log" onRetry={() => void log.refetch()} />
          </div>
        ) : rows.length === 0 ? (
          filtered ? (
            <EmptyState icon={<IconSearch size={24} />} title="Nothing matches" compact>
              No message matches these filters.
            </EmptyState>
          ) : (
            <EmptyState icon={<IconInbox size={24} />} title="No messages received yet">
              When a contact writes to your WhatsApp number, Telegram bot or Instagram account, the message shows up here and in Conversations.
            </EmptyState>
          )
        ) : (
          <>
            <Table.ScrollContainer minWidth={720}>
              <Table verticalSpacing="sm" horizontalSpacing="md" highlightOnHover data-testid="inbound-log" style={{ opacity: log.isPlaceholderData ? 0.6 : 1 }}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th w={56} pl="lg" />
                    <Table.Th>From</Table.Th>
                    <Table.Th>Message</Table.Th>
                    <Table.Th pr="lg">Received</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {rows.map((m) => (
                    <Table.Tr key={m.id} style={{ cursor: 'pointer' }} onClick={() => navigate(PATHS.conversation(m.conversation_id))} data-testid="inbound-row">
                      <Table.Td pl="lg">
                        <ChannelIcon channel={m.channel} />
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" fw={500} truncate maw={240}>
                          {senderName(m)}
                        </Text>
                        <Text size="xs" c="dimmed" truncate maw={240}>
                          {m.from}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" lineClamp={2} maw={520} c={m.text ? undefined : 'dimmed'}>
                          {m.text || (m.media?.length ? '' : '—')}
                        </Text>
                        {(m.media ?? []).length > 0 && (
                          <Group gap={4} mt={4}>
                            {(m.media ?? []).map((f, i) => (
                              <Tooltip key={i} label={f.unavailable ? 'The provider would not give the file' : `${f.content_type} · ${fileSize(f.size)} · download`}>
                                <Badge
                                  size="sm"
                                  variant="light"
                                  color={f.unavailable ? 'gray' : 'blue'}
                                  tt="none"
                                  leftSection={<IconPaperclip size={10} />}
                                  style={{ cursor: f.upload_id ? 'pointer' : undefined }}
                                  onClick={(e) => {
                                    e.stopPropagation();
                                    if (f.upload_id) download(f.upload_id, f.filename);
                                  }}
                                >
                                  {f.filename || f.content_type}
                                </Badge>
                              </Tooltip>
                            ))}
                          </Group>
                        )}
                      </Table.Td>
                      <Table.Td pr="lg">
                        <When at={m.received_at} />
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <Group justify="space-between" px="md" py="sm" style={{ borderTop: '1px solid var(--mantine-color-gray-2)' }}>
              <Text size="xs" c="dimmed">
                {formatNumber(rows.length)} shown{log.hasNextPage ? ', more available' : ''}
              </Text>
              {log.hasNextPage && (
                <Button variant="default" size="xs" onClick={() => void log.fetchNextPage()} loading={log.isFetchingNextPage}>
                  Load more
                </Button>
              )}
            </Group>
          </>
        )}
      </Card>
    </>
  );
}

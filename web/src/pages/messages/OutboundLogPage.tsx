import { ActionIcon, Anchor, Badge, Button, Card, Group, Loader, Select, SimpleGrid, Skeleton, Stack, Switch, Table, Tabs, Text, TextInput, Tooltip } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconChevronDown, IconChevronRight, IconMail, IconSearch, IconSend } from '@tabler/icons-react';
import { Fragment, useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { EmptyState } from '@/components/EmptyState';
import { ErrorAlert } from '@/components/ErrorAlert';
import { PageHeader } from '@/components/PageHeader';
import { useCurrent } from '@/layout/CurrentContext';
import { formatDateTime, formatNumber } from '@/lib/format';
import { atLeast } from '@/lib/roles';
import { useMessage, useMessages } from './api';
import { type Channel, CHANNEL_OPTIONS, type Message, messageSummary, PATHS, type Status, STATUS_OPTIONS, statusMeta } from './model';
import { ChannelIcon, StatusBadge, When } from './parts';

/**
 * The outbound log: every message sent on any channel, newest first. With
 * preset "email" it is the email log: the channel is fixed and each row
 * shows what SendGrid reported.
 */
export function OutboundLogPage({ preset }: { preset?: 'email' }) {
  const { role } = useCurrent();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const isEmail = preset === 'email';
  const channel = (isEmail ? 'email' : params.get('channel') || undefined) as Channel | undefined;
  const status = (params.get('status') || undefined) as Status | undefined;
  const searchParam = params.get('search') ?? '';
  const contactId = params.get('contact_id') || undefined;
  const [search, setSearch] = useState(searchParam);
  const [debounced] = useDebouncedValue(search, 300);
  const [live, setLive] = useState(true);
  const [open, setOpen] = useState<Record<string, boolean>>({});

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

  const log = useMessages({ channel, status, search: searchParam || undefined, contact_id: contactId }, live);
  const rows = useMemo(() => log.data?.pages.flatMap((p) => p.items ?? []) ?? [], [log.data]);
  const filtered = !!((!isEmail && channel) || status || searchParam || contactId);
  const cols = isEmail ? 6 : 5;

  return (
    <>
      <PageHeader
        title={isEmail ? 'Email log' : 'Outbound log'}
        description={
          isEmail
            ? 'Every email sent, with what SendGrid reported back: processed, delivered, opened, clicked, bounced or marked as spam.'
            : 'Every message sent on every channel, newest first. Open one to see its content, attachments and delivery timeline.'
        }
        actions={
          atLeast(role, 'member') && (
            <Button leftSection={<IconSend size={16} />} component={Link} to={PATHS.send}>
              New message
            </Button>
          )
        }
      />
      <Tabs value={isEmail ? 'email' : 'all'} onChange={(v) => navigate(v === 'email' ? PATHS.email : PATHS.outbound)} mb="md">
        <Tabs.List>
          <Tabs.Tab value="all">All channels</Tabs.Tab>
          <Tabs.Tab value="email" leftSection={<IconMail size={14} />}>
            Email
          </Tabs.Tab>
        </Tabs.List>
      </Tabs>
      <Card p={0}>
        <Group p="md" gap="sm" justify="space-between" style={{ borderBottom: '1px solid var(--mantine-color-gray-2)' }}>
          <SimpleGrid cols={{ base: 1, xs: isEmail ? 2 : 3 }} spacing="sm" style={{ flex: '1 1 300px', maxWidth: 720 }}>
            <TextInput
              aria-label="Search"
              placeholder={isEmail ? 'Recipient or subject' : 'Recipient or subject'}
              leftSection={<IconSearch size={16} />}
              value={search}
              onChange={(e) => setSearch(e.currentTarget.value)}
              data-testid="log-search"
            />
            {!isEmail && (
              <Select
                aria-label="Channel"
                placeholder="Any channel"
                data={CHANNEL_OPTIONS}
                value={channel ?? null}
                onChange={(v) => setParam('channel', v)}
                clearable
                data-testid="log-channel"
              />
            )}
            <Select aria-label="Status" placeholder="Any status" data={STATUS_OPTIONS} value={status ?? null} onChange={(v) => setParam('status', v)} clearable data-testid="log-status" />
          </SimpleGrid>
          <Switch label="Auto-refresh" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} />
        </Group>
        {contactId && (
          <Group px="md" py={8} gap="xs" bg="var(--mantine-color-gray-0)">
            <Text size="sm">Messages to one contact.</Text>
            <Anchor size="sm" onClick={() => setParam('contact_id', null)}>
              Show all
            </Anchor>
          </Group>
        )}
        {log.isPending ? (
          <Stack gap="sm" p="md">
            {[0, 1, 2, 3].map((i) => (
              <Skeleton key={i} h={36} />
            ))}
          </Stack>
        ) : log.isError ? (
          <div style={{ padding: 'var(--mantine-spacing-md)' }}>
            <ErrorAlert error={log.error} title="Couldn't load the messages" onRetry={() => void log.refetch()} />
          </div>
        ) : rows.length === 0 ? (
          filtered ? (
            <EmptyState icon={<IconSearch size={24} />} title="Nothing matches" compact>
              No message matches these filters.
            </EmptyState>
          ) : (
            <EmptyState
              icon={isEmail ? <IconMail size={24} /> : <IconSend size={24} />}
              title={isEmail ? 'No emails sent yet' : 'No messages sent yet'}
              action={
                atLeast(role, 'member') && (
                  <Button component={Link} to={isEmail ? `${PATHS.send}?channel=email` : PATHS.send}>
                    Send a message
                  </Button>
                )
              }
            >
              Messages sent from the dashboard, the API, conversations and campaigns show up here with their delivery status.
            </EmptyState>
          )
        ) : (
          <>
            <Table.ScrollContainer minWidth={760}>
              <Table verticalSpacing="sm" horizontalSpacing="md" highlightOnHover data-testid="message-log" style={{ opacity: log.isPlaceholderData ? 0.6 : 1 }}>
                <Table.Thead>
                  <Table.Tr>
                    {isEmail ? <Table.Th w={40} pl="lg" /> : <Table.Th w={56} pl="lg" />}
                    <Table.Th>Recipient</Table.Th>
                    <Table.Th>{isEmail ? 'Subject' : 'Message'}</Table.Th>
                    <Table.Th>Status</Table.Th>
                    {isEmail && <Table.Th>SendGrid events</Table.Th>}
                    <Table.Th pr="lg">Time</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {rows.map((m) => (
                    <Fragment key={m.id}>
                      <Table.Tr style={{ cursor: 'pointer' }} onClick={() => navigate(PATHS.message(m.id))} data-testid="message-row" data-id={m.id}>
                        <Table.Td pl="lg">
                          {isEmail ? (
                            <ActionIcon
                              variant="subtle"
                              color="gray"
                              size="sm"
                              aria-label={open[m.id] ? 'Hide the events' : 'Show the events'}
                              aria-expanded={!!open[m.id]}
                              onClick={(e) => {
                                e.stopPropagation();
                                setOpen((o) => ({ ...o, [m.id]: !o[m.id] }));
                              }}
                            >
                              {open[m.id] ? <IconChevronDown size={16} /> : <IconChevronRight size={16} />}
                            </ActionIcon>
                          ) : (
                            <ChannelIcon channel={m.channel} />
                          )}
                        </Table.Td>
                        <Table.Td>
                          <Text size="sm" fw={500} truncate maw={isEmail ? 220 : 260}>
                            {m.to}
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          <Text size="sm" truncate maw={isEmail ? 280 : 420} c={messageSummary(m) ? undefined : 'dimmed'}>
                            {messageSummary(m) || '—'}
                          </Text>
                          {m.error_reason && (
                            <Text size="xs" c="red.7" truncate maw={isEmail ? 280 : 420}>
                              {m.error_reason}
                            </Text>
                          )}
                        </Table.Td>
                        <Table.Td>
                          <StatusBadge status={m.status} />
                        </Table.Td>
                        {isEmail && (
                          <Table.Td>
                            <EventChips m={m} />
                          </Table.Td>
                        )}
                        <Table.Td pr="lg" style={{ whiteSpace: 'nowrap' }}>
                          <When at={m.created_at} />
                        </Table.Td>
                      </Table.Tr>
                      {isEmail && open[m.id] && (
                        <Table.Tr>
                          <Table.Td colSpan={cols} px="lg" bg="var(--mantine-color-gray-0)">
                            <EmailEvents id={m.id} />
                          </Table.Td>
                        </Table.Tr>
                      )}
                    </Fragment>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <Group justify="space-between" px="md" py="sm" style={{ borderTop: '1px solid var(--mantine-color-gray-2)' }}>
              <Text size="xs" c="dimmed">
                {formatNumber(rows.length)} shown{log.hasNextPage ? ', more available' : ''}
              </Text>
              {log.hasNextPage && (
                <Button variant="default" size="xs" onClick={() => void log.fetchNextPage()} loading={log.isFetchingNextPage} data-testid="load-more">
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

/** What the provider reported, from the message's timestamps. */
function EventChips({ m }: { m: Message }) {
  const chips: { label: string; at: string; color: string }[] = [];
  if (m.sent_at) chips.push({ label: 'Sent', at: m.sent_at, color: 'blue' });
  if (m.delivered_at) chips.push({ label: 'Delivered', at: m.delivered_at, color: 'teal' });
  if (m.read_at) chips.push({ label: m.status === 'clicked' ? 'Clicked' : 'Opened', at: m.read_at, color: 'green' });
  if (m.failed_at) chips.push({ label: statusMeta(m.status).label, at: m.failed_at, color: 'red' });
  if (!chips.length) return <Text size="xs" c="dimmed">—</Text>;
  return (
    <Group gap={4} wrap="nowrap">
      {chips.map((c) => (
        <Tooltip key={c.label} label={formatDateTime(c.at)}>
          <Badge size="xs" variant="outline" color={c.color} tt="none">
            {c.label}
          </Badge>
        </Tooltip>
      ))}
    </Group>
  );
}

/** An email's provider events, loaded when its row opens. */
function EmailEvents({ id }: { id: string }) {
  const q = useMessage(id);
  if (q.isPending) return <Loader size="xs" />;
  if (q.isError) return <ErrorAlert error={q.error} />;
  const events = (q.data.events ?? []).filter((e) => e.source === 'provider');
  if (!events.length) {
    return (
      <Text size="sm" c="dimmed" py={4}>
        SendGrid has reported nothing yet.
      </Text>
    );
  }
  return (
    <Table withRowBorders={false} verticalSpacing={4} data-testid="email-events">
      <Table.Tbody>
        {events.map((e, i) => (
          <Table.Tr key={i}>
            <Table.Td w={180}>
              <Text size="xs" c="dimmed">
                {formatDateTime(e.occurred_at)}
              </Text>
            </Table.Td>
            <Table.Td w={140}>
              <StatusBadge status={e.status} size="xs" />
            </Table.Td>
            <Table.Td>
              <Text size="xs" c="dimmed">
                {Object.entries(e.detail ?? {})
                  .filter(([k]) => ['reason', 'code', 'url', 'type', 'response'].includes(k))
                  .map(([k, v]) => `${k}: ${String(v)}`)
                  .join(' · ')}
              </Text>
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

import { ActionIcon, Badge, Button, Card, Code, Group, Select, SimpleGrid, Skeleton, Stack, Switch, Table, Text, Tooltip } from '@mantine/core';
import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { IconChevronDown, IconChevronRight, IconSearch, IconWebhook } from '@tabler/icons-react';
import { Fragment, useMemo, useState } from 'react';
import { api, unwrap } from '@/api/client';
import { EmptyState } from '@/components/EmptyState';
import { ErrorAlert } from '@/components/ErrorAlert';
import { PageHeader } from '@/components/PageHeader';
import { formatDateTime, formatNumber, formatRelative } from '@/lib/format';
import {
  formatLatency,
  kindLabel,
  prettySnippet,
  type Provider,
  PROVIDER_OPTIONS,
  providerLabel,
  REFRESH_MS,
  statusColor,
  type Verdict,
  VERDICT_OPTIONS,
  VERDICTS,
  type WebhookCall,
} from './log';

function useWebhookLog(q: { provider: string; verdict: string }, live: boolean) {
  return useInfiniteQuery({
    queryKey: ['webhook-log', q],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/webhooks/log', {
          params: {
            query: {
              limit: 50,
              ...(q.provider ? { provider: q.provider as Provider } : {}),
              ...(q.verdict ? { verdict: q.verdict as Verdict } : {}),
              ...(pageParam ? { cursor: pageParam } : {}),
            },
          },
        }),
      ),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_cursor || undefined,
    placeholderData: keepPreviousData,
    refetchInterval: live ? REFRESH_MS : false,
  });
}

/** Every call the providers made to the org's webhook URLs, newest first. */
export function WebhookLogPage() {
  const [provider, setProvider] = useState<string | null>(null);
  const [verdict, setVerdict] = useState<string | null>(null);
  const [live, setLive] = useState(true);
  const [open, setOpen] = useState<Record<string, boolean>>({});
  const log = useWebhookLog({ provider: provider ?? '', verdict: verdict ?? '' }, live);
  const rows = useMemo(() => log.data?.pages.flatMap((p) => p.items ?? []) ?? [], [log.data]);
  const filtered = !!(provider || verdict);
  const toggle = (id: string) => setOpen((o) => ({ ...o, [id]: !o[id] }));

  return (
    <>
      <PageHeader
        title="Webhook log"
        description="Every call SendGrid, Twilio, Telegram and Instagram made to your webhook URLs, accepted or refused: the verdict, what Switchboard answered, how long storing it took and the start of its body."
        actions={
          <Switch
            label="Auto-refresh"
            checked={live}
            onChange={(e) => setLive(e.currentTarget.checked)}
            aria-label="Auto-refresh"
          />
        }
      />
      <Card p={0}>
        <Stack gap="sm" p="md" style={{ borderBottom: '1px solid var(--mantine-color-gray-2)' }}>
          <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm" maw={480}>
            <Select aria-label="Provider" placeholder="Any provider" data={PROVIDER_OPTIONS} value={provider} onChange={setProvider} clearable />
            <Select aria-label="Verdict" placeholder="Any verdict" data={VERDICT_OPTIONS} value={verdict} onChange={setVerdict} clearable />
          </SimpleGrid>
        </Stack>
        {log.isPending ? (
          <Stack gap="sm" p="md">
            {[0, 1, 2].map((i) => (
              <Skeleton key={i} h={36} />
            ))}
          </Stack>
        ) : log.isError ? (
          <div style={{ padding: 'var(--mantine-spacing-md)' }}>
            <ErrorAlert error={log.error} title="Couldn't load the webhook log" onRetry={() => void log.refetch()} />
          </div>
        ) : rows.length === 0 ? (
          filtered ? (
            <EmptyState icon={<IconSearch size={24} />} title="Nothing matches" compact>
              No webhook call matches these filters.
            </EmptyState>
          ) : (
            <EmptyState icon={<IconWebhook size={24} />} title="No webhook calls yet">
              When a provider reports a delivery, an open or a bounce, or a contact writes to you, its call shows up here.
              Set up the webhook URLs under Settings → Channels.
            </EmptyState>
          )
        ) : (
          <>
            <Table.ScrollContainer minWidth={820}>
              <Table verticalSpacing="sm" horizontalSpacing="md" highlightOnHover data-testid="webhook-log" style={{ opacity: log.isPlaceholderData ? 0.6 : 1 }}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th w={40} pl="lg" />
                    <Table.Th>Time</Table.Th>
                    <Table.Th>Provider</Table.Th>
                    <Table.Th>Kind</Table.Th>
                    <Table.Th>Verdict</Table.Th>
                    <Table.Th ta="right">HTTP</Table.Th>
                    <Table.Th ta="right">Latency</Table.Th>
                    <Table.Th ta="right" pr="lg">
                      Events
                    </Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {rows.map((r) => (
                    <Fragment key={r.id}>
                      <Table.Tr data-testid={`webhook-row-${r.id}`} onClick={() => toggle(r.id)} style={{ cursor: 'pointer' }}>
                        <Table.Td pl="lg">
                          <ActionIcon
                            variant="subtle"
                            color="gray"
                            size="sm"
                            aria-label={open[r.id] ? 'Hide the payload' : 'Show the payload'}
                            aria-expanded={!!open[r.id]}
                            onClick={(e) => {
                              e.stopPropagation();
                              toggle(r.id);
                            }}
                          >
                            {open[r.id] ? <IconChevronDown size={16} /> : <IconChevronRight size={16} />}
                          </ActionIcon>
                        </Table.Td>
                        <Table.Td style={{ whiteSpace: 'nowrap' }}>
                          <Tooltip label={formatDateTime(r.received_at)}>
                            <Text size="sm">{formatRelative(r.received_at)}</Text>
                          </Tooltip>
                        </Table.Td>
                        <Table.Td>
                          <Text size="sm" fw={500}>
                            {providerLabel(r.provider)}
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          <Text size="sm" c="dimmed">
                            {kindLabel(r.kind)}
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          <VerdictBadge call={r} />
                        </Table.Td>
                        <Table.Td ta="right">
                          <Text size="sm" ff="monospace" c={statusColor(r.http_status)}>
                            {r.http_status}
                          </Text>
                        </Table.Td>
                        <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                          <Text size="sm" c="dimmed">
                            {formatLatency(r.latency_ms)}
                          </Text>
                        </Table.Td>
                        <Table.Td ta="right" pr="lg">
                          <Group gap={6} justify="flex-end" wrap="nowrap">
                            {r.failed_events > 0 && (
                              <Tooltip label="Never processed: given up on after every retry. Open the row for the errors.">
                                <Badge variant="light" color="red" tt="none" data-testid={`webhook-failed-${r.id}`}>
                                  {formatNumber(r.failed_events)} failed
                                </Badge>
                              </Tooltip>
                            )}
                            <Text size="sm">{formatNumber(r.events)}</Text>
                          </Group>
                        </Table.Td>
                      </Table.Tr>
                      {open[r.id] && (
                        <Table.Tr data-testid={`webhook-detail-${r.id}`}>
                          <Table.Td colSpan={8} px="lg" bg="var(--mantine-color-gray-0)">
                            <CallDetail call={r} />
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
                {live && ' · refreshing every few seconds'}
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

function VerdictBadge({ call }: { call: WebhookCall }) {
  const v = VERDICTS[call.verdict] ?? { label: call.verdict, color: 'gray', help: '' };
  return (
    <Tooltip label={v.help} multiline w={260} disabled={!v.help}>
      <Badge variant="light" color={v.color} tt="none">
        {v.label}
      </Badge>
    </Tooltip>
  );
}

function CallDetail({ call }: { call: WebhookCall }) {
  const p = prettySnippet(call.snippet);
  const failures = call.failures ?? [];
  return (
    <Stack gap="xs" py={4}>
      {call.retries > 0 && (
        <Text size="sm">
          <Text span fw={600}>
            Retried:{' '}
          </Text>
          its processing was queued again {call.retries === 1 ? 'once' : `${formatNumber(call.retries)} times`} after its job gave up.
        </Text>
      )}
      {call.failed_events > 0 && (
        <Stack gap={4} data-testid="webhook-failures">
          <Text size="sm" c="red" fw={600}>
            {call.failed_events === 1 ? '1 event failed' : `${formatNumber(call.failed_events)} events failed`}: never processed, so their
            statuses or messages were not applied.
          </Text>
          {failures.map((f) => (
            <Text key={f.event_id} size="sm">
              <Text span c="dimmed">
                {f.kind} · {formatDateTime(f.failed_at)}:{' '}
              </Text>
              {f.error}
            </Text>
          ))}
          {failures.length < call.failed_events && (
            <Text size="xs" c="dimmed">
              The first {formatNumber(failures.length)} shown.
            </Text>
          )}
        </Stack>
      )}
      {call.reason && (
        <Text size="sm">
          <Text span fw={600}>
            {call.verdict === 'accepted' || call.verdict === 'duplicate' ? 'Note: ' : 'Why: '}
          </Text>
          {call.reason}
        </Text>
      )}
      {p.text ? (
        <>
          <Code block style={{ maxHeight: 360, overflow: 'auto', whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }} data-testid="webhook-snippet">
            {p.text}
          </Code>
          <Text size="xs" c="dimmed">
            {p.truncated ? 'The first 2 KB of the body. ' : 'The body as received. '}
            Headers, which carry the signatures, are never kept.
          </Text>
        </>
      ) : (
        <Text size="sm" c="dimmed">
          No body.
        </Text>
      )}
    </Stack>
  );
}

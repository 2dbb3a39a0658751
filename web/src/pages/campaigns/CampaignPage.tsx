import { Anchor, Badge, Button, Card, Group, Select, SimpleGrid, Skeleton, Stack, Table, Text, Title } from '@mantine/core';
import { IconArrowLeft, IconDownload, IconPencil, IconPlayerPause, IconPlayerPlay, IconPlayerStop, IconRocket, IconTrash, IconUsers } from '@tabler/icons-react';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { ConfirmDialog } from '@/components/ConfirmDialog';
import { EmptyState } from '@/components/EmptyState';
import { ErrorAlert } from '@/components/ErrorAlert';
import { useCurrent } from '@/layout/CurrentContext';
import { formatNumber } from '@/lib/format';
import { atLeast } from '@/lib/roles';
import { downloadAuthed, useGroups } from '@/pages/contacts/api';
import { CHANNEL_OPTIONS, type Channel, PATHS, statusMeta } from '@/pages/messages/model';
import { ChannelLabel, StatusBadge, When } from '@/pages/messages/parts';
import { type Action, recipientsCsvPath, useCampaign, useCampaignAction, useDeleteCampaign, useRecipients, useSavedEstimate } from './api';
import { addSample, type Campaign, CPATHS, formatInZone, isLive, KPIS, rates, RECIPIENT_STATUSES, type RecipientStatus, type Sample } from './model';
import { CampaignProgress, CampaignStatusBadge, CostTile, EstimatePanel, KpiTile, RateChart } from './parts';
import { StartDialog } from './StartDialog';

const RECIPIENT_STATUS_OPTIONS = RECIPIENT_STATUSES.map((value) => ({ value, label: statusMeta(value).label }));

/** What the campaign targets, in words. */
function Summary({ c }: { c: Campaign }) {
  const groups = useGroups();
  const { org } = useCurrent();
  const names = new Map((groups.data?.items ?? []).map((g) => [g.id, g.name]));
  const groupList = (ids: string[] | null) => (ids ?? []).map((id) => names.get(id) ?? 'a deleted group').join(', ');
  return (
    <Card withBorder>
      <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }} spacing="md">
        <Stack gap={4}>
          <Text size="xs" c="dimmed" fw={600} tt="uppercase">
            Channels
          </Text>
          <Group gap="xs">
            {(c.channels ?? []).map((ct, i) => (
              <Group key={ct.channel} gap={4} wrap="nowrap">
                {c.delivery === 'first_available' && (c.channels?.length ?? 0) > 1 && (
                  <Badge size="xs" variant="outline" color="gray" circle>
                    {i + 1}
                  </Badge>
                )}
                <Anchor component={Link} to={`/templates/${ct.template_id}`} size="sm" underline="never">
                  <ChannelLabel channel={ct.channel} />
                </Anchor>
              </Group>
            ))}
          </Group>
          <Text size="xs" c="dimmed">
            {c.delivery === 'every_channel' ? 'Every selected channel the contact can be reached on' : 'First channel the contact can be reached on, in this order'}
          </Text>
        </Stack>
        <Stack gap={4}>
          <Text size="xs" c="dimmed" fw={600} tt="uppercase">
            Audience
          </Text>
          <Text size="sm">{groupList(c.include_group_ids) || '—'}</Text>
          {(c.exclude_group_ids?.length ?? 0) > 0 && (
            <Text size="xs" c="dimmed">
              Except {groupList(c.exclude_group_ids)}
            </Text>
          )}
        </Stack>
        <Stack gap={4}>
          <Text size="xs" c="dimmed" fw={600} tt="uppercase">
            Timing
          </Text>
          <Text size="sm">
            {c.started_at ? `Started ${formatInZone(c.started_at, org?.timezone)}` : c.scheduled_at ? `Starts ${formatInZone(c.scheduled_at, org?.timezone)}` : 'Starts when you start it'}
          </Text>
          {c.completed_at && <Text size="xs" c="dimmed">Completed {formatInZone(c.completed_at, org?.timezone)}</Text>}
          {c.cancelled_at && <Text size="xs" c="dimmed">Cancelled {formatInZone(c.cancelled_at, org?.timezone)}</Text>}
        </Stack>
        <Stack gap={4}>
          <Text size="xs" c="dimmed" fw={600} tt="uppercase">
            Throttle
          </Text>
          <Text size="sm">{c.throttle_per_second ? `${formatNumber(c.throttle_per_second)} a second at most` : 'As fast as the channels allow'}</Text>
        </Stack>
      </SimpleGrid>
    </Card>
  );
}

/** The send rate, measured from the counters read every 3 s while this page is open. */
function SendRate({ c, readAt }: { c: Campaign; readAt: number }) {
  const [samples, setSamples] = useState<Sample[]>([]);
  // Sent and failed both count a recipient handed to (or refused by) the provider.
  useEffect(() => {
    setSamples((s) => addSample(s, { at: readAt, sent: c.counters.sent + c.counters.failed }));
  }, [readAt]);
  const values = rates(samples);
  return (
    <Card withBorder>
      <Group justify="space-between" mb="xs">
        <Text fw={600}>Send rate</Text>
        <Text size="xs" c="dimmed">
          Sends a second, measured while this page is open
        </Text>
      </Group>
      {values.length < 2 ? (
        <Text size="sm" c="dimmed">
          Measuring…
        </Text>
      ) : (
        <RateChart values={values} />
      )}
    </Card>
  );
}

function Recipients({ c }: { c: Campaign }) {
  const [params, setParams] = useSearchParams();
  const status = (params.get('status') || undefined) as RecipientStatus | undefined;
  const channel = (params.get('channel') || undefined) as Channel | undefined;
  const filters = useMemo(() => ({ status, channel }), [status, channel]);
  const list = useRecipients(c.id, filters);
  const rows = useMemo(() => list.data?.pages.flatMap((p) => p.items ?? []) ?? [], [list.data]);
  // The loaded pages are asked again whenever the campaign's counters or
  // status move (the campaign itself polls while it runs): a recipient's
  // row changes only with them, and the last change, as the campaign
  // completes, is not missed.
  const moved = `${c.status}:${Object.values(c.counters).join(',')}`;
  const seen = useRef(moved);
  useEffect(() => {
    if (seen.current === moved) return;
    seen.current = moved;
    void list.refetch();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [moved]);
  const [exportError, setExportError] = useState<unknown>(null);
  const [exporting, setExporting] = useState(false);
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
  const exportCsv = async () => {
    setExporting(true);
    setExportError(null);
    try {
      await downloadAuthed(recipientsCsvPath(c.id, filters), `campaign-${c.id}-recipients.csv`);
    } catch (err) {
      setExportError(err);
    } finally {
      setExporting(false);
    }
  };

  return (
    <Card p={0}>
      <Group p="md" justify="space-between" gap="sm" style={{ borderBottom: '1px solid var(--mantine-color-gray-2)' }}>
        <Group gap="sm" style={{ flex: '1 1 300px' }}>
          <Title order={4}>Recipients</Title>
          <Select aria-label="Recipient status" placeholder="Any status" data={RECIPIENT_STATUS_OPTIONS} value={status ?? null} onChange={(v) => setParam('status', v)} clearable w={160} data-testid="recipient-status" />
          <Select aria-label="Recipient channel" placeholder="Any channel" data={CHANNEL_OPTIONS} value={channel ?? null} onChange={(v) => setParam('channel', v)} clearable w={160} data-testid="recipient-channel" />
        </Group>
        <Button variant="default" leftSection={<IconDownload size={16} />} onClick={() => void exportCsv()} loading={exporting} disabled={!c.materialized_at} data-testid="recipients-csv">
          Export CSV
        </Button>
      </Group>
      {exportError != null && (
        <div style={{ padding: 'var(--mantine-spacing-md)' }}>
          <ErrorAlert error={exportError} title="Couldn't export" />
        </div>
      )}
      {list.isPending ? (
        <Stack gap="sm" p="md">
          {[0, 1, 2].map((i) => (
            <Skeleton key={i} h={32} />
          ))}
        </Stack>
      ) : list.isError ? (
        <div style={{ padding: 'var(--mantine-spacing-md)' }}>
          <ErrorAlert error={list.error} title="Couldn't load the recipients" onRetry={() => void list.refetch()} />
        </div>
      ) : rows.length === 0 ? (
        <EmptyState icon={<IconUsers size={24} />} title={c.materialized_at ? 'Nobody matches' : 'No recipients yet'} compact>
          {c.materialized_at ? 'No recipient matches these filters.' : 'Recipients are written from the groups when the campaign starts.'}
        </EmptyState>
      ) : (
        <>
          <Table.ScrollContainer minWidth={760}>
            <Table verticalSpacing="xs" horizontalSpacing="md" data-testid="recipients" style={{ opacity: list.isPlaceholderData ? 0.6 : 1 }}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th pl="lg">Recipient</Table.Th>
                  <Table.Th>Channel</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Last event</Table.Th>
                  <Table.Th pr="lg">Error</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((r) => (
                  <Table.Tr key={r.id} data-testid="recipient-row" data-status={r.status}>
                    <Table.Td pl="lg">
                      <Anchor component={Link} to={PATHS.contact(r.contact_id)} size="sm" truncate maw={360} style={{ display: 'block' }}>
                        {r.address}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>
                      <ChannelLabel channel={r.channel} />
                    </Table.Td>
                    <Table.Td>
                      <StatusBadge status={r.status} />
                    </Table.Td>
                    <Table.Td>
                      <Group gap={6} wrap="nowrap">
                        <Text size="sm" c={r.last_event ? undefined : 'dimmed'}>
                          {r.last_event ? statusMeta(r.last_event).label : '—'}
                        </Text>
                        {r.last_event_at && <When at={r.last_event_at} size="xs" />}
                      </Group>
                    </Table.Td>
                    <Table.Td pr="lg">
                      <Text size="xs" c={r.error ? 'red.7' : 'dimmed'} truncate maw={280} title={r.error || undefined}>
                        {r.error ? `${r.error_code ? `${r.error_code}: ` : ''}${r.error}` : '—'}
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          {list.hasNextPage && (
            <Group justify="center" p="md">
              <Button variant="default" loading={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()} data-testid="recipients-more">
                Load more
              </Button>
            </Group>
          )}
        </>
      )}
    </Card>
  );
}

/** One campaign: live KPIs, progress, controls and its recipients. */
export function CampaignPage() {
  const { id } = useParams();
  const navigate = useNavigate();
  const { role, org } = useCurrent();
  const campaign = useCampaign(id);
  const action = useCampaignAction();
  const remove = useDeleteCampaign();
  const [confirm, setConfirm] = useState<'start' | 'cancel' | 'delete' | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const c = campaign.data;
  const canEdit = atLeast(role, 'member');

  const run = (a: Action, now?: boolean) => action.mutateAsync({ id: c!.id, action: a, now });
  const quick = async (a: Action, now?: boolean) => {
    setActionError(null);
    try {
      await run(a, now);
    } catch (err) {
      setActionError(err);
    }
  };

  if (campaign.isPending) {
    return (
      <Stack>
        <Skeleton h={40} w={300} />
        <SimpleGrid cols={{ base: 2, md: 5 }}>
          {[0, 1, 2, 3, 4].map((i) => (
            <Skeleton key={i} h={80} />
          ))}
        </SimpleGrid>
      </Stack>
    );
  }
  if (campaign.isError || !c) {
    return <ErrorAlert error={campaign.error} title="Couldn't load the campaign" onRetry={() => void campaign.refetch()} />;
  }

  const scheduledLater = !!c.scheduled_at && new Date(c.scheduled_at).getTime() > Date.now();

  return (
    <>
      <Anchor component={Link} to={CPATHS.list} size="sm" c="dimmed" mb="xs" style={{ display: 'inline-flex', alignItems: 'center', gap: 4 }}>
        <IconArrowLeft size={14} /> Campaigns
      </Anchor>
      <Group justify="space-between" align="flex-start" mb="lg" gap="md">
        <Stack gap={6} style={{ minWidth: 0, flex: '1 1 320px' }}>
          <Group gap="sm" wrap="nowrap">
            <Title order={2} fz={{ base: 22, sm: 26 }} style={{ minWidth: 0, overflowWrap: 'anywhere' }} data-testid="campaign-name">
              {c.name}
            </Title>
            <CampaignStatusBadge status={c.status} size="lg" />
          </Group>
          {isLive(c) && (
            <Text size="xs" c="dimmed">
              Updates every 3 seconds
            </Text>
          )}
        </Stack>
        {canEdit && (
          <Group gap="xs">
            {c.status === 'draft' && (
              <>
                <Button variant="subtle" color="red" leftSection={<IconTrash size={16} />} onClick={() => setConfirm('delete')}>
                  Delete
                </Button>
                <Button variant="default" leftSection={<IconPencil size={16} />} component={Link} to={CPATHS.edit(c.id)}>
                  Edit
                </Button>
                <Button leftSection={<IconRocket size={16} />} onClick={() => setConfirm('start')}>
                  {scheduledLater ? 'Schedule' : 'Start'}
                </Button>
              </>
            )}
            {c.status === 'scheduled' && (
              <Button leftSection={<IconRocket size={16} />} onClick={() => void quick('start', true)} variant="light" loading={action.isPending}>
                Start now
              </Button>
            )}
            {c.status === 'running' && (
              <Button variant="default" leftSection={<IconPlayerPause size={16} />} onClick={() => void quick('pause')} loading={action.isPending && action.variables?.action === 'pause'}>
                Pause
              </Button>
            )}
            {c.status === 'paused' && (
              <Button leftSection={<IconPlayerPlay size={16} />} onClick={() => void quick('resume')} loading={action.isPending && action.variables?.action === 'resume'}>
                Resume
              </Button>
            )}
            {(c.status === 'running' || c.status === 'paused' || c.status === 'scheduled') && (
              <Button variant="light" color="red" leftSection={<IconPlayerStop size={16} />} onClick={() => setConfirm('cancel')}>
                Cancel campaign
              </Button>
            )}
          </Group>
        )}
      </Group>
      {actionError != null && <ErrorAlert error={actionError} title="That didn't work" />}

      <Stack gap="md">
        {c.status === 'draft' ? <DraftEstimate id={c.id} /> : <Running c={c} readAt={campaign.dataUpdatedAt} />}
        <Summary c={c} />
        <Recipients c={c} />
      </Stack>

      <StartDialog
        campaign={c}
        opened={confirm === 'start'}
        onClose={() => setConfirm(null)}
        onStart={() => run('start', !scheduledLater)}
        timeZone={org?.timezone}
      />
      <ConfirmDialog opened={confirm === 'cancel'} onClose={() => setConfirm(null)} title="Cancel this campaign?" confirmLabel="Cancel campaign" onConfirm={() => run('cancel')}>
        <Text size="sm">
          Nothing more will be sent. The {formatNumber(c.counters.queued)} recipients still queued are marked cancelled; what was already sent stays sent. This cannot be undone.
        </Text>
      </ConfirmDialog>
      <ConfirmDialog
        opened={confirm === 'delete'}
        onClose={() => setConfirm(null)}
        title="Delete this draft?"
        confirmLabel="Delete"
        onConfirm={async () => {
          await remove.mutateAsync(c.id);
          navigate(CPATHS.list);
        }}
      >
        <Text size="sm">The draft “{c.name}” is deleted. Nothing was sent.</Text>
      </ConfirmDialog>
    </>
  );
}

/** What a draft would send, counted now. */
function DraftEstimate({ id }: { id: string }) {
  const estimate = useSavedEstimate(id, true);
  return <EstimatePanel estimate={estimate.data} loading={estimate.isFetching} error={estimate.error} incomplete={false} />;
}

/** The KPIs, progress and send rate of a started campaign. */
function Running({ c, readAt }: { c: Campaign; readAt: number }) {
  return (
    <>
      <SimpleGrid cols={{ base: 2, xs: 3, sm: 4, xl: 6 }} spacing="sm" data-testid="kpis">
        {KPIS.map((k) => (
          <KpiTile key={k.key} kpi={k} counters={c.counters} />
        ))}
        <CostTile counters={c.counters} />
      </SimpleGrid>
      <Card withBorder>
        <Group justify="space-between" mb={8}>
          <Text fw={600}>Progress</Text>
          <Group gap="md">
            <Legend color="teal" label="Delivered" />
            <Legend color="blue" label="Sent" />
            <Legend color="red" label="Failed" />
          </Group>
        </Group>
        <CampaignProgress counters={c.counters} />
        <Text size="xs" c="dimmed" mt={6}>
          {c.counters.targeted
            ? `${formatNumber(c.counters.targeted - c.counters.queued)} of ${formatNumber(c.counters.targeted)} processed · ${formatNumber(c.counters.queued)} queued`
            : c.status === 'running'
              ? 'Writing the recipients…'
              : 'Recipients are written when the campaign starts.'}
        </Text>
      </Card>
      {(isLive(c) || c.status === 'paused') && c.materialized_at && <SendRate c={c} readAt={readAt} />}
    </>
  );
}

function Legend({ color, label }: { color: string; label: string }) {
  return (
    <Group gap={4} wrap="nowrap">
      <span style={{ width: 10, height: 10, borderRadius: 5, background: `var(--mantine-color-${color}-6)`, display: 'inline-block' }} />
      <Text size="xs" c="dimmed">
        {label}
      </Text>
    </Group>
  );
}


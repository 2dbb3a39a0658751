import { Button, Card, Group, SegmentedControl, Select, SimpleGrid, Skeleton, Stack, Table, Text, Tooltip } from '@mantine/core';
import { IconLayoutGrid, IconList, IconPlus, IconSearch, IconSpeakerphone } from '@tabler/icons-react';
import { useMemo } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { EmptyState } from '@/components/EmptyState';
import { ErrorAlert } from '@/components/ErrorAlert';
import { PageHeader } from '@/components/PageHeader';
import { useCurrent } from '@/layout/CurrentContext';
import { formatNumber } from '@/lib/format';
import { atLeast } from '@/lib/roles';
import { ChannelIcon, When } from '@/pages/messages/parts';
import { useCampaigns } from './api';
import { type Campaign, CAMPAIGN_STATUS_OPTIONS, type CampaignStatus, CPATHS, HEADLINE_KPIS, percent } from './model';
import { CampaignProgress, CampaignStatusBadge } from './parts';

type View = 'cards' | 'table';

/** When the campaign did its last notable thing, for the list. */
function lastMoment(c: Campaign): { label: string; at: string | null } {
  if (c.status === 'completed') return { label: 'Completed', at: c.completed_at };
  if (c.status === 'cancelled') return { label: 'Cancelled', at: c.cancelled_at };
  if (c.status === 'paused') return { label: 'Paused', at: c.paused_at };
  if (c.status === 'running') return { label: 'Started', at: c.started_at };
  if (c.status === 'scheduled') return { label: 'Starts', at: c.scheduled_at };
  return { label: 'Edited', at: c.updated_at };
}

function Channels({ c }: { c: Campaign }) {
  return (
    <Group gap={4} wrap="nowrap">
      {(c.channels ?? []).map((ct) => (
        <ChannelIcon key={ct.channel} channel={ct.channel} size={22} />
      ))}
    </Group>
  );
}

function CampaignCard({ c }: { c: Campaign }) {
  const m = lastMoment(c);
  return (
    <Card withBorder component={Link} to={CPATHS.one(c.id)} data-testid="campaign-card" data-id={c.id} style={{ textDecoration: 'none', color: 'inherit' }}>
      <Group justify="space-between" wrap="nowrap" mb={4}>
        <Text fw={600} truncate>
          {c.name}
        </Text>
        <CampaignStatusBadge status={c.status} />
      </Group>
      <Group justify="space-between" mb="md" wrap="nowrap">
        <Channels c={c} />
        <Group gap={4} wrap="nowrap">
          <Text size="xs" c="dimmed">
            {m.label}
          </Text>
          <When at={m.at} size="xs" />
        </Group>
      </Group>
      <SimpleGrid cols={5} spacing={4} mb="sm">
        {HEADLINE_KPIS.map((k) => {
          const v = k.value(c.counters);
          return (
            <Tooltip key={k.key} label={k.help} multiline w={240}>
              <Stack gap={0} style={{ minWidth: 0 }}>
                <Text size="xs" c="dimmed" truncate>
                  {k.short ?? k.label}
                </Text>
                <Text fw={700} c={k.color && v > 0 ? `${k.color}.7` : undefined} data-testid={`card-${k.key}`}>
                  {formatNumber(v)}
                </Text>
              </Stack>
            </Tooltip>
          );
        })}
      </SimpleGrid>
      <CampaignProgress counters={c.counters} size="sm" />
    </Card>
  );
}

function CampaignTable({ rows }: { rows: Campaign[] }) {
  const navigate = useNavigate();
  return (
    <Card p={0}>
      <Table.ScrollContainer minWidth={900}>
        <Table verticalSpacing="sm" horizontalSpacing="md" highlightOnHover data-testid="campaign-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th pl="lg">Campaign</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Channels</Table.Th>
              {HEADLINE_KPIS.map((k) => (
                <Table.Th key={k.key} ta="right">
                  <Tooltip label={k.help} multiline w={240}>
                    <span style={{ cursor: 'help' }}>{k.label}</span>
                  </Tooltip>
                </Table.Th>
              ))}
              <Table.Th w={140}>Progress</Table.Th>
              <Table.Th pr="lg">When</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((c) => {
              const m = lastMoment(c);
              return (
                <Table.Tr key={c.id} style={{ cursor: 'pointer' }} onClick={() => navigate(CPATHS.one(c.id))} data-testid="campaign-row" data-id={c.id}>
                  <Table.Td pl="lg">
                    <Text size="sm" fw={500} truncate maw={240}>
                      <Link to={CPATHS.one(c.id)} style={{ color: 'inherit', textDecoration: 'none' }} onClick={(e) => e.stopPropagation()}>
                        {c.name}
                      </Link>
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <CampaignStatusBadge status={c.status} />
                  </Table.Td>
                  <Table.Td>
                    <Channels c={c} />
                  </Table.Td>
                  {HEADLINE_KPIS.map((k) => {
                    const v = k.value(c.counters);
                    return (
                      <Table.Td key={k.key} ta="right">
                        <Text size="sm" fw={500}>
                          {formatNumber(v)}
                        </Text>
                        {k.key !== 'targeted' && c.counters.targeted > 0 && (
                          <Text size="xs" c="dimmed">
                            {percent(v, c.counters.targeted)}
                          </Text>
                        )}
                      </Table.Td>
                    );
                  })}
                  <Table.Td>
                    <CampaignProgress counters={c.counters} size="sm" />
                  </Table.Td>
                  <Table.Td pr="lg">
                    <Text size="xs" c="dimmed">
                      {m.label}
                    </Text>
                    <When at={m.at} size="xs" />
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Card>
  );
}

/** The campaigns, as cards or as a table (the choice is kept in the URL). */
export function CampaignsListPage() {
  const { role } = useCurrent();
  const [params, setParams] = useSearchParams();
  const view: View = params.get('view') === 'table' ? 'table' : 'cards';
  const status = (params.get('status') || undefined) as CampaignStatus | undefined;
  const list = useCampaigns(status);
  const rows = useMemo(() => list.data?.pages.flatMap((p) => p.items ?? []) ?? [], [list.data]);
  const canEdit = atLeast(role, 'member');

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

  return (
    <>
      <PageHeader
        title="Campaigns"
        description="Send a template to whole groups on one or more channels, with the cost known before you start and delivery followed live."
        actions={
          canEdit && (
            <Button leftSection={<IconPlus size={16} />} component={Link} to={CPATHS.create}>
              New campaign
            </Button>
          )
        }
      />
      <Group justify="space-between" mb="md" gap="sm">
        <Select
          aria-label="Status"
          placeholder="Any status"
          data={CAMPAIGN_STATUS_OPTIONS}
          value={status ?? null}
          onChange={(v) => setParam('status', v)}
          clearable
          w={200}
          data-testid="campaign-status-filter"
        />
        <SegmentedControl
          aria-label="View"
          value={view}
          onChange={(v) => setParam('view', v === 'table' ? 'table' : null)}
          data={[
            {
              value: 'cards',
              label: (
                <Group gap={6} wrap="nowrap">
                  <IconLayoutGrid size={16} />
                  <span>Cards</span>
                </Group>
              ),
            },
            {
              value: 'table',
              label: (
                <Group gap={6} wrap="nowrap">
                  <IconList size={16} />
                  <span>Table</span>
                </Group>
              ),
            },
          ]}
          data-testid="campaign-view"
        />
      </Group>
      {list.isPending ? (
        <SimpleGrid cols={{ base: 1, sm: 2, xl: 3 }}>
          {[0, 1, 2].map((i) => (
            <Skeleton key={i} h={170} radius="md" />
          ))}
        </SimpleGrid>
      ) : list.isError ? (
        <ErrorAlert error={list.error} title="Couldn't load the campaigns" onRetry={() => void list.refetch()} />
      ) : rows.length === 0 ? (
        <Card>
          {status ? (
            <EmptyState icon={<IconSearch size={24} />} title="Nothing matches" compact>
              No campaign has this status.
            </EmptyState>
          ) : (
            <EmptyState
              icon={<IconSpeakerphone size={24} />}
              title="No campaigns yet"
              action={
                canEdit && (
                  <Button component={Link} to={CPATHS.create}>
                    Create a campaign
                  </Button>
                )
              }
            >
              Pick groups, a template per channel and see the reach and cost before anything is sent.
            </EmptyState>
          )}
        </Card>
      ) : (
        <>
          {view === 'cards' ? (
            <SimpleGrid cols={{ base: 1, sm: 2, xl: 3 }} data-testid="campaign-cards">
              {rows.map((c) => (
                <CampaignCard key={c.id} c={c} />
              ))}
            </SimpleGrid>
          ) : (
            <CampaignTable rows={rows} />
          )}
          {list.hasNextPage && (
            <Group justify="center" mt="md">
              <Button variant="default" loading={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
                Load more
              </Button>
            </Group>
          )}
        </>
      )}
    </>
  );
}

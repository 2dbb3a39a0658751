import { Badge, Card, Divider, Group, Loader, Paper, Progress, SimpleGrid, Stack, Table, Text, Tooltip } from '@mantine/core';
import { IconInfoCircle } from '@tabler/icons-react';
import { ErrorAlert } from '@/components/ErrorAlert';
import { formatNumber } from '@/lib/format';
import { sparklinePoints } from '@/lib/usage';
import { ChannelLabel } from '@/pages/messages/parts';
import { audienceLines, CAMPAIGN_STATUS, type CampaignStatus, type Counters, type Estimate, exclusions, formatMoney, type Kpi, percent, progress } from './model';

/** A campaign's status in its color, with what it means on hover. */
export function CampaignStatusBadge({ status, size = 'sm' }: { status: CampaignStatus; size?: 'xs' | 'sm' | 'md' | 'lg' }) {
  const m = CAMPAIGN_STATUS[status];
  return (
    <Tooltip label={m.help} multiline w={240}>
      <Badge color={m.color} variant="light" size={size} tt="none" data-testid="campaign-status" data-status={status}>
        {m.label}
      </Badge>
    </Tooltip>
  );
}

/** One KPI: a big number, its share of targeted, and how it is counted on hover. */
/** What the campaign has cost so far, from the price each recipient was given at start. */
export function CostTile({ counters }: { counters: Counters }) {
  return (
    <Paper withBorder radius="md" p="md" data-testid="kpi-cost" data-value={counters.cost_micros}>
      <Group gap={4} wrap="nowrap">
        <Text size="xs" c="dimmed" fw={600} tt="uppercase" style={{ letterSpacing: 0.3 }} truncate>
          Cost so far
        </Text>
        <Tooltip label="Sent recipients times the price each was given when the campaign started (Settings → Pricing). Failed and cancelled recipients cost nothing." multiline w={260} withArrow>
          <IconInfoCircle size={14} color="var(--mantine-color-gray-5)" aria-label="How cost so far is counted" style={{ flex: 'none', cursor: 'help' }} />
        </Tooltip>
      </Group>
      <Text fz={26} fw={700} data-testid="kpi-cost-value">
        {formatMoney(counters.cost_micros, counters.currency)}
      </Text>
    </Paper>
  );
}

export function KpiTile({ kpi, counters, compact = false }: { kpi: Kpi; counters: Counters; compact?: boolean }) {
  const value = kpi.value(counters);
  const share = kpi.key === 'targeted' ? null : percent(value, counters.targeted);
  return (
    <Paper withBorder radius="md" p={compact ? 'xs' : 'md'} data-testid={`kpi-${kpi.key}`} data-value={value}>
      <Group gap={4} wrap="nowrap">
        <Text size="xs" c="dimmed" fw={600} tt="uppercase" style={{ letterSpacing: 0.3 }} truncate>
          {kpi.label}
        </Text>
        {!compact && (
          <Tooltip label={kpi.help} multiline w={260} withArrow>
            <IconInfoCircle size={14} color="var(--mantine-color-gray-5)" aria-label={`How ${kpi.label} is counted`} style={{ flex: 'none', cursor: 'help' }} />
          </Tooltip>
        )}
      </Group>
      <Group gap={6} align="baseline" wrap="nowrap">
        <Text fz={compact ? 'lg' : 26} fw={700} c={kpi.color && value > 0 ? `${kpi.color}.7` : undefined} data-testid={`kpi-${kpi.key}-value`}>
          {formatNumber(value)}
        </Text>
        {share && share !== '—' && (
          <Text size="xs" c="dimmed">
            {share}
          </Text>
        )}
      </Group>
    </Paper>
  );
}

/** The progress bar: delivered, then the rest sent, then failed, against everything targeted. */
export function CampaignProgress({ counters, size = 'lg' }: { counters: Counters; size?: 'sm' | 'md' | 'lg' }) {
  const p = progress(counters);
  const sentOnly = Math.max(0, p.done - p.delivered - p.failed);
  const label = counters.targeted
    ? `${percent(counters.targeted - counters.queued, counters.targeted)} processed: ${formatNumber(counters.delivered)} delivered, ${formatNumber(counters.failed)} failed, ${formatNumber(counters.queued)} still queued of ${formatNumber(counters.targeted)}`
    : 'No recipients yet: they are written when the campaign starts';
  return (
    <Tooltip label={label} multiline w={300}>
      <Progress.Root size={size} radius="xl" aria-label={label} data-testid="campaign-progress" data-done={Math.round(p.done)}>
        <Progress.Section value={p.delivered} color="teal" />
        <Progress.Section value={sentOnly} color="blue" />
        <Progress.Section value={p.failed} color="red" />
      </Progress.Root>
    </Tooltip>
  );
}

/**
 * The estimate: per channel the messages it will send and the contacts each
 * rule left out, its cost, and the totals.
 */
export function EstimatePanel({ estimate, loading, error, incomplete }: { estimate: Estimate | undefined; loading: boolean; error: unknown; incomplete: boolean }) {
  return (
    <Card withBorder data-testid="estimate">
      <Group justify="space-between" mb="xs">
        <Text fw={600}>Estimate</Text>
        {loading && <Loader size="xs" />}
      </Group>
      {incomplete ? (
        <Text size="sm" c="dimmed">
          Choose at least one group and a template for every channel to see how many people this reaches and what it costs.
        </Text>
      ) : error ? (
        <ErrorAlert error={error} title="Couldn't estimate" />
      ) : !estimate ? (
        <Text size="sm" c="dimmed">
          Counting…
        </Text>
      ) : (
        <EstimateBody estimate={estimate} />
      )}
    </Card>
  );
}

export function EstimateBody({ estimate: e }: { estimate: Estimate }) {
  return (
    <Stack gap="sm">
      <SimpleGrid cols={2} spacing="xs">
        <Paper bg="var(--mantine-color-brand-0)" p="sm" radius="md">
          <Text size="xs" c="dimmed" fw={600} tt="uppercase">
            Messages
          </Text>
          <Text fz={24} fw={700} data-testid="estimate-recipients">
            {formatNumber(e.recipients)}
          </Text>
        </Paper>
        <Paper bg="var(--mantine-color-gray-0)" p="sm" radius="md">
          <Text size="xs" c="dimmed" fw={600} tt="uppercase">
            Cost
          </Text>
          <Text fz={24} fw={700} data-testid="estimate-cost">
            {formatMoney(e.cost_micros, e.currency)}
          </Text>
        </Paper>
      </SimpleGrid>
      <Stack gap={2}>
        {audienceLines(e).map((l) => (
          <Group key={l.label} justify="space-between" wrap="nowrap">
            <Tooltip label={l.help} multiline w={260}>
              <Text size="sm" c="dimmed" style={{ cursor: 'help' }}>
                {l.label}
              </Text>
            </Tooltip>
            <Text size="sm" fw={500}>
              {formatNumber(l.count)}
            </Text>
          </Group>
        ))}
      </Stack>
      <Divider />
      {(e.channels ?? []).map((ch) => (
        <Stack key={ch.channel} gap={4} data-testid={`estimate-${ch.channel}`}>
          <Group justify="space-between" wrap="nowrap">
            <ChannelLabel channel={ch.channel} />
            <Text size="sm" fw={600} data-testid={`estimate-${ch.channel}-recipients`}>
              {formatNumber(ch.recipients)} {ch.recipients === 1 ? 'message' : 'messages'}
            </Text>
          </Group>
          <Table fz="xs" verticalSpacing={2} horizontalSpacing={0} withRowBorders={false}>
            <Table.Tbody>
              {exclusions(ch).map((x) => (
                <Table.Tr key={x.key} data-testid={`estimate-${ch.channel}-${x.key}`} data-count={x.count}>
                  <Table.Td c="dimmed" pl="lg">
                    {x.label}
                  </Table.Td>
                  <Table.Td ta="right" c={x.count > 0 ? 'orange.8' : 'dimmed'}>
                    {x.count > 0 ? '−' : ''}
                    {formatNumber(x.count)}
                  </Table.Td>
                </Table.Tr>
              ))}
              <Table.Tr>
                <Table.Td c="dimmed" pl="lg">
                  {formatMoney(ch.unit_price_micros, ch.currency)} each
                </Table.Td>
                <Table.Td ta="right" fw={600} data-testid={`estimate-${ch.channel}-cost`}>
                  {formatMoney(ch.cost_micros, ch.currency)}
                </Table.Td>
              </Table.Tr>
            </Table.Tbody>
          </Table>
        </Stack>
      ))}
      <Divider />
      <Group justify="space-between">
        <Text size="sm" fw={600}>
          Total
        </Text>
        <Text size="sm" fw={700}>
          {formatNumber(e.recipients)} messages · {formatMoney(e.cost_micros, e.currency)}
        </Text>
      </Group>
    </Stack>
  );
}

/** Sends a second over the last readings, as a small line chart. */
export function RateChart({ values, width = 320, height = 64 }: { values: number[]; width?: number; height?: number }) {
  const points = sparklinePoints(values, width, height);
  const line = points.map(([x, y]) => `${x},${y}`).join(' ');
  const latest = values[values.length - 1] ?? 0;
  const peak = values.reduce((a, b) => Math.max(a, b), 0);
  return (
    <Stack gap={4} data-testid="rate-chart">
      <Group gap="md">
        <Text size="sm">
          <b>{formatNumber(Math.round(latest))}</b>/s now
        </Text>
        <Text size="sm" c="dimmed">
          peak {formatNumber(Math.round(peak))}/s
        </Text>
      </Group>
      <svg width="100%" height={height} viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label={`Send rate: ${Math.round(latest)} a second now, peak ${Math.round(peak)}`}>
        <line x1={0} x2={width} y1={height - 1} y2={height - 1} stroke="var(--mantine-color-gray-3)" />
        {points.length > 1 && <polyline points={line} fill="none" stroke="var(--mantine-color-brand-6)" strokeWidth={2} strokeLinejoin="round" vectorEffect="non-scaling-stroke" />}
      </svg>
    </Stack>
  );
}

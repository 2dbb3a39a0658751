import { ActionIcon, Alert, Badge, Button, Card, Group, NumberInput, Select, Skeleton, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { IconDeviceFloppy, IconInfoCircle, IconPlus, IconRestore, IconTrash } from '@tabler/icons-react';
import { useEffect, useMemo, useRef, useState } from 'react';
import { api, unwrap } from '@/api/client';
import { ErrorAlert } from '@/components/ErrorAlert';
import { PageHeader } from '@/components/PageHeader';
import { useCurrent } from '@/layout/CurrentContext';
import { formatRelative } from '@/lib/format';
import { countryOptions } from '@/lib/geo';
import { atLeast } from '@/lib/roles';
import { SettingsTabs } from '../channels/SettingsTabs';
import {
  ANY_COUNTRY,
  CATEGORIES,
  type CellErrors,
  CHANNELS,
  type Channel,
  COMMON_CURRENCIES,
  type EditRow,
  isDirty,
  localErrors,
  mapServerErrors,
  matchesList,
  newRow,
  perThousand,
  type PriceTable,
  toBody,
  toEditRows,
} from './model';

const pkeys = { table: ['pricing'] as const, list: ['pricing', 'list-prices'] as const };

/** Settings → Pricing: the per-message prices campaign estimates use. */
export function PricingPage() {
  const { role } = useCurrent();
  const canEdit = atLeast(role, 'admin');
  const qc = useQueryClient();
  const table = useQuery({ queryKey: pkeys.table, queryFn: () => unwrap(api.GET('/api/v1/pricing')) });
  const list = useQuery({ queryKey: pkeys.list, queryFn: () => unwrap(api.GET('/api/v1/pricing/list-prices')), staleTime: 10 * 60_000 });

  const [currency, setCurrency] = useState('USD');
  const [rows, setRows] = useState<EditRow[]>([]);
  const [errors, setErrors] = useState<Record<string, CellErrors>>({});
  const [currencyError, setCurrencyError] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);

  const load = (t: PriceTable) => {
    setCurrency(t.currency);
    setRows(toEditRows(t.rows));
    setErrors({});
    setCurrencyError(null);
    setFormError(null);
  };
  // Load what the server has once per saved version: a refetch (window
  // focus) of the same table must not wipe edits in progress.
  const loaded = useRef<string | null>(null);
  useEffect(() => {
    if (!table.data || loaded.current === table.data.updated_at) return;
    loaded.current = table.data.updated_at;
    load(table.data);
  }, [table.data]);

  const save = useMutation({
    mutationFn: (sent: EditRow[]) => unwrap(api.PUT('/api/v1/pricing', { body: toBody(currency, sent) })),
    onSuccess: (t) => {
      qc.setQueryData(pkeys.table, t);
      notifications.show({ color: 'teal', title: 'Prices saved', message: 'Campaign estimates use them from now on.' });
    },
    onError: (err, sent) => {
      const mapped = mapServerErrors(err, sent);
      setErrors(mapped.cells);
      setCurrencyError(mapped.currency);
      setFormError(mapped.form);
    },
  });

  const dirty = isDirty(currency, rows, table.data);
  const atList = matchesList(rows, currency, list.data);
  const errorCount = Object.keys(errors).length + (currencyError ? 1 : 0);

  const submit = () => {
    const local = localErrors(rows);
    setFormError(null);
    setCurrencyError(null);
    setErrors(local);
    if (Object.keys(local).length) return;
    save.mutate(rows);
  };
  const update = (key: string, patch: Partial<EditRow>) => {
    setRows((rs) => rs.map((r) => (r.key === key ? { ...r, ...patch } : r)));
    setErrors((es) => {
      if (!es[key]) return es;
      const cleared = { ...es[key] };
      for (const f of Object.keys(patch)) delete cleared[f as keyof CellErrors];
      const next = { ...es };
      if (Object.keys(cleared).length) next[key] = cleared;
      else delete next[key];
      return next;
    });
  };
  const add = (channel: Channel) => setRows((rs) => {
    const row = newRow(channel, rs);
    // After the channel's last row, so that the table reads in groups.
    let at = -1;
    rs.forEach((r, i) => {
      if (r.channel === channel) at = i;
    });
    return at < 0 ? [...rs, row] : [...rs.slice(0, at + 1), row, ...rs.slice(at + 1)];
  });
  const remove = (key: string) => {
    setRows((rs) => rs.filter((r) => r.key !== key));
    setErrors(({ [key]: _gone, ...rest }) => rest);
  };
  const resetToList = () => {
    if (!list.data) return;
    setCurrency(list.data.currency);
    setRows(toEditRows(list.data.rows));
    setErrors({});
    setCurrencyError(null);
    setFormError(null);
    notifications.show({ color: 'blue', title: 'List prices loaded', message: 'Review them and save to use them.' });
  };

  const currencies = useMemo(() => (COMMON_CURRENCIES.includes(currency) ? COMMON_CURRENCIES : [currency, ...COMMON_CURRENCIES]), [currency]);

  return (
    <>
      <PageHeader
        title="Settings"
        description="What each message costs your organization. Campaign estimates multiply these prices by the recipients on each channel."
      />
      <SettingsTabs />
      {table.isPending ? (
        <Stack gap="lg">
          <Skeleton h={90} radius="md" />
          <Skeleton h={320} radius="md" />
        </Stack>
      ) : table.isError ? (
        <ErrorAlert error={table.error} title="Couldn't load the price table" onRetry={() => void table.refetch()} />
      ) : (
        <Stack gap="lg">
          <Card withBorder radius="md" padding="lg">
            <Group justify="space-between" align="flex-end" wrap="wrap" gap="md">
              <Group align="flex-end" gap="lg" wrap="wrap">
                <Select
                  label="Currency"
                  description="Names the prices' unit; changing it converts nothing."
                  data={currencies}
                  value={currency}
                  onChange={(v) => {
                    if (v) setCurrency(v);
                    setCurrencyError(null);
                  }}
                  searchable
                  allowDeselect={false}
                  disabled={!canEdit}
                  error={currencyError}
                  w={260}
                />
                <Stack gap={2}>
                  <Text size="xs" c="dimmed">
                    {table.data.updated_by ? `Last saved ${formatRelative(table.data.updated_at)}` : 'Published list prices'}
                  </Text>
                  <Group gap={6}>
                    {atList ? (
                      <Badge variant="light" color="gray">
                        List prices
                      </Badge>
                    ) : (
                      <Badge variant="light" color="grape">
                        Custom prices
                      </Badge>
                    )}
                    {dirty && (
                      <Badge variant="light" color="yellow" data-testid="pricing-unsaved">
                        Unsaved changes
                      </Badge>
                    )}
                  </Group>
                </Stack>
              </Group>
              {canEdit && (
                <Group gap="sm">
                  <Tooltip label="Fill the table with the published list prices (USD); nothing is saved until you save.">
                    <Button variant="default" leftSection={<IconRestore size={16} />} onClick={resetToList} disabled={!list.data || atList}>
                      Reset to list prices
                    </Button>
                  </Tooltip>
                  <Button variant="subtle" color="gray" onClick={() => table.data && load(table.data)} disabled={!dirty}>
                    Discard
                  </Button>
                  <Button leftSection={<IconDeviceFloppy size={16} />} onClick={submit} loading={save.isPending} disabled={!dirty}>
                    Save prices
                  </Button>
                </Group>
              )}
            </Group>
            {!canEdit && (
              <Alert mt="md" variant="light" color="gray" icon={<IconInfoCircle size={18} />}>
                Only admins and the owner change prices.
              </Alert>
            )}
            {errorCount > 0 && (
              <Alert mt="md" variant="light" color="red" title="Some prices need fixing" data-testid="pricing-errors">
                The cells marked in red say what is wrong. Nothing was saved.
              </Alert>
            )}
            {formError && <ErrorAlert mt="md" error={new Error(formError)} title="Couldn't save the prices" />}
          </Card>

          {CHANNELS.map((c) => (
            <ChannelPrices
              key={c.value}
              channel={c.value}
              label={c.label}
              hint={c.hint}
              rows={rows}
              currency={currency}
              errors={errors}
              canEdit={canEdit}
              onChange={update}
              onRemove={remove}
              onAdd={() => add(c.value)}
            />
          ))}
        </Stack>
      )}
    </>
  );
}

interface ChannelPricesProps {
  channel: Channel;
  label: string;
  hint: string;
  rows: EditRow[];
  currency: string;
  errors: Record<string, CellErrors>;
  canEdit: boolean;
  onChange: (key: string, patch: Partial<EditRow>) => void;
  onRemove: (key: string) => void;
  onAdd: () => void;
}

const COUNTRY_DATA = () => [{ value: ANY_COUNTRY, label: 'Default · every other country' }, ...countryOptions()];

function ChannelPrices({ channel, label, hint, rows, currency, errors, canEdit, onChange, onRemove, onAdd }: ChannelPricesProps) {
  const mine = rows.filter((r) => r.channel === channel);
  const whatsapp = channel === 'whatsapp';
  const countries = useMemo(COUNTRY_DATA, []);
  return (
    <Card withBorder radius="md" padding="lg" data-testid={`pricing-${channel}`}>
      <Group justify="space-between" mb="xs" wrap="nowrap" align="flex-start">
        <div>
          <Title order={4}>{label}</Title>
          <Text size="sm" c="dimmed">
            {hint}
          </Text>
        </div>
        <Badge variant="light" color="gray">
          {mine.length} {mine.length === 1 ? 'price' : 'prices'}
        </Badge>
      </Group>
      {mine.length === 0 ? (
        <Text size="sm" c="dimmed" py="sm">
          No prices: estimates count these messages as unpriced.
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={560}>
          <Table verticalSpacing={6} highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                {whatsapp && <Table.Th w={200}>Category</Table.Th>}
                <Table.Th>Destination country</Table.Th>
                <Table.Th w={200}>Price per message</Table.Th>
                <Table.Th w={120} ta="right">
                  Per 1,000
                </Table.Th>
                {canEdit && <Table.Th w={44} />}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {mine.map((r) => {
                const e = errors[r.key] ?? {};
                return (
                  <Table.Tr key={r.key} data-testid="pricing-row">
                    {whatsapp && (
                      <Table.Td style={{ verticalAlign: 'top' }}>
                        <Select
                          aria-label="Category"
                          data={CATEGORIES}
                          value={r.category || null}
                          onChange={(v) => onChange(r.key, { category: v ?? '' })}
                          allowDeselect={false}
                          disabled={!canEdit}
                          error={e.category}
                          size="sm"
                        />
                      </Table.Td>
                    )}
                    <Table.Td style={{ verticalAlign: 'top' }}>
                      <Select
                        aria-label="Country"
                        data={countries}
                        value={r.country || null}
                        onChange={(v) => onChange(r.key, { country: v ?? '' })}
                        searchable
                        allowDeselect={false}
                        placeholder="Pick a country"
                        nothingFoundMessage="No such country"
                        disabled={!canEdit}
                        error={e.country}
                        size="sm"
                        limit={300}
                        styles={r.country === ANY_COUNTRY ? { input: { fontWeight: 600 } } : undefined}
                      />
                    </Table.Td>
                    <Table.Td style={{ verticalAlign: 'top' }}>
                      <NumberInput
                        aria-label="Price per message"
                        value={r.price}
                        onChange={(v) => onChange(r.key, { price: v === '' ? '' : Number(v) })}
                        decimalScale={6}
                        step={0.001}
                        hideControls
                        disabled={!canEdit}
                        error={e.price}
                        rightSection={<Text size="xs" c="dimmed">{currency}</Text>}
                        rightSectionWidth={46}
                        size="sm"
                      />
                    </Table.Td>
                    <Table.Td ta="right" style={{ verticalAlign: 'top', paddingTop: 14 }}>
                      <Text size="sm" c="dimmed">
                        {perThousand(r.price, currency) ?? '—'}
                      </Text>
                    </Table.Td>
                    {canEdit && (
                      <Table.Td style={{ verticalAlign: 'top' }}>
                        <Tooltip label="Remove this price">
                          <ActionIcon variant="subtle" color="gray" onClick={() => onRemove(r.key)} aria-label="Remove price" mt={2}>
                            <IconTrash size={16} />
                          </ActionIcon>
                        </Tooltip>
                      </Table.Td>
                    )}
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {canEdit && (
        <Group mt="sm">
          <Button variant="light" size="xs" leftSection={<IconPlus size={14} />} onClick={onAdd}>
            {whatsapp ? 'Add a country price' : 'Add a price'}
          </Button>
        </Group>
      )}
    </Card>
  );
}

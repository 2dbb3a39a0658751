import { ActionIcon, Badge, Button, Card, CloseButton, Group, Modal, Select, SimpleGrid, Skeleton, Stack, Table, Text, Textarea, TextInput, Tooltip } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDebouncedValue, useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { keepPreviousData, useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { IconBan, IconFileImport, IconPlus, IconSearch, IconTrash } from '@tabler/icons-react';
import { useEffect, useMemo, useState } from 'react';
import { api, unwrap } from '@/api/client';
import { ConfirmDialog } from '@/components/ConfirmDialog';
import { EmptyState } from '@/components/EmptyState';
import { ErrorAlert, FormError } from '@/components/ErrorAlert';
import { PageHeader } from '@/components/PageHeader';
import { useCurrent } from '@/layout/CurrentContext';
import { formatDate, formatDateTime, formatNumber } from '@/lib/format';
import { atLeast } from '@/lib/roles';
import { useFormErrors } from '@/lib/useFormErrors';
import { ImportSuppressionsModal } from './ImportSuppressionsModal';
import { type Channel, CHANNEL_OPTIONS, label, type Reason, REASON_COLORS, REASON_OPTIONS, type Suppression, type SuppressionInput } from './options';

const VALUE_PLACEHOLDER: Record<Channel, string> = {
  email: 'ana@example.com',
  whatsapp: '+4930123456',
  telegram: 'Telegram chat id',
  instagram: 'Instagram id',
};

function useSuppressions(q: { search: string; channel: string; reason: string }) {
  return useInfiniteQuery({
    queryKey: ['suppressions', q],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/suppressions', {
          params: {
            query: {
              limit: 50,
              ...(q.search ? { search: q.search } : {}),
              ...(q.channel ? { channel: q.channel as Channel } : {}),
              ...(q.reason ? { reason: q.reason as Reason } : {}),
              ...(pageParam ? { cursor: pageParam } : {}),
            },
          },
        }),
      ),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_cursor || undefined,
    placeholderData: keepPreviousData,
  });
}

export function SuppressionPage() {
  const { role } = useCurrent();
  const canAdd = atLeast(role, 'member');
  const canRemove = atLeast(role, 'admin');
  const qc = useQueryClient();
  const [search, setSearch] = useState('');
  const [debounced] = useDebouncedValue(search.trim(), 300);
  const [channel, setChannel] = useState<string | null>(null);
  const [reason, setReason] = useState<string | null>(null);
  const list = useSuppressions({ search: debounced, channel: channel ?? '', reason: reason ?? '' });
  const rows = useMemo(() => list.data?.pages.flatMap((p) => p.items ?? []) ?? [], [list.data]);
  const [addOpened, addModal] = useDisclosure(false);
  const [importOpened, importModal] = useDisclosure(false);
  const [removing, setRemoving] = useState<Suppression | null>(null);
  const [removeReason, setRemoveReason] = useState('');
  useEffect(() => setRemoveReason(''), [removing]);

  const remove = useMutation({
    mutationFn: ({ id, reason }: { id: string; reason: string }) =>
      unwrap(api.DELETE('/api/v1/suppressions/{id}', { params: { path: { id }, query: { reason } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['suppressions'] }),
  });
  const filtered = !!(debounced || channel || reason);

  return (
    <>
      <PageHeader
        title="Suppression"
        description="Addresses Switchboard never messages on a channel: unsubscribes, bounces, spam complaints and ones you add. Every send checks this list."
        actions={
          canAdd && (
            <Group gap="sm" wrap="wrap">
              <Button variant="default" leftSection={<IconFileImport size={16} />} onClick={importModal.open}>
                Import CSV
              </Button>
              <Button leftSection={<IconPlus size={16} />} onClick={addModal.open}>
                Add suppression
              </Button>
            </Group>
          )
        }
      />
      <Card p={0}>
        <Stack gap="sm" p="md" style={{ borderBottom: '1px solid var(--mantine-color-gray-2)' }}>
          <TextInput
            placeholder="Search an address"
            aria-label="Search suppressions"
            leftSection={<IconSearch size={16} />}
            value={search}
            onChange={(e) => setSearch(e.currentTarget.value)}
            rightSection={search ? <CloseButton size="sm" aria-label="Clear search" onClick={() => setSearch('')} /> : null}
          />
          <SimpleGrid cols={2} spacing="sm" maw={480}>
            <Select aria-label="Channel" placeholder="Any channel" data={CHANNEL_OPTIONS} value={channel} onChange={setChannel} clearable />
            <Select aria-label="Reason" placeholder="Any reason" data={REASON_OPTIONS} value={reason} onChange={setReason} clearable />
          </SimpleGrid>
        </Stack>
        {list.isPending ? (
          <Stack gap="sm" p="md">
            {[0, 1, 2].map((i) => (
              <Skeleton key={i} h={36} />
            ))}
          </Stack>
        ) : list.isError ? (
          <div style={{ padding: 'var(--mantine-spacing-md)' }}>
            <ErrorAlert error={list.error} title="Couldn't load the suppression list" onRetry={() => void list.refetch()} />
          </div>
        ) : rows.length === 0 ? (
          filtered ? (
            <EmptyState icon={<IconSearch size={24} />} title="Nothing matches" compact>
              No suppressed address matches this search.
            </EmptyState>
          ) : (
            <EmptyState icon={<IconBan size={24} />} title="No suppressed addresses">
              When someone unsubscribes, an email bounces or a complaint comes in, the address lands here and Switchboard
              stops messaging it on that channel.
            </EmptyState>
          )
        ) : (
          <>
            <Table.ScrollContainer minWidth={720}>
              <Table verticalSpacing="sm" horizontalSpacing="md" highlightOnHover data-testid="suppressions-table" style={{ opacity: list.isPlaceholderData ? 0.6 : 1 }}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th pl="lg">Address</Table.Th>
                    <Table.Th>Channel</Table.Th>
                    <Table.Th>Reason</Table.Th>
                    <Table.Th>Source</Table.Th>
                    <Table.Th>Added</Table.Th>
                    <Table.Th w={56} pr="lg" />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {rows.map((s) => (
                    <Table.Tr key={s.id} data-testid={`suppression-row-${s.value}`}>
                      <Table.Td pl="lg" miw={240}>
                        <Text size="sm" fw={600} ff="monospace" style={{ overflowWrap: 'anywhere' }}>
                          {s.value}
                        </Text>
                        {s.note && (
                          <Text size="xs" c="dimmed" lineClamp={2}>
                            {s.note}
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">{label(CHANNEL_OPTIONS, s.channel)}</Text>
                      </Table.Td>
                      <Table.Td>
                        <Badge variant="light" color={REASON_COLORS[s.reason]} tt="none">
                          {label(REASON_OPTIONS, s.reason)}
                        </Badge>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" c="dimmed">
                          {s.source.replace(/_/g, ' ')}
                        </Text>
                      </Table.Td>
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>
                        <Tooltip label={formatDateTime(s.created_at)}>
                          <Text size="sm" c="dimmed">
                            {formatDate(s.created_at)}
                          </Text>
                        </Tooltip>
                      </Table.Td>
                      <Table.Td pr="lg">
                        {canRemove ? (
                          <Tooltip label="Remove from the list">
                            <ActionIcon variant="subtle" color="red" aria-label={`Remove ${s.value}`} onClick={() => setRemoving(s)}>
                              <IconTrash size={16} />
                            </ActionIcon>
                          </Tooltip>
                        ) : null}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <Group justify="space-between" px="md" py="sm" style={{ borderTop: '1px solid var(--mantine-color-gray-2)' }}>
              <Text size="xs" c="dimmed">
                {formatNumber(rows.length)} shown{list.hasNextPage ? ', more available' : ''}
                {!canRemove && ' · Only admins can remove addresses'}
              </Text>
              {list.hasNextPage && (
                <Button variant="default" size="xs" onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage}>
                  Load more
                </Button>
              )}
            </Group>
          </>
        )}
      </Card>

      {canAdd && <AddSuppressionModal opened={addOpened} onClose={addModal.close} />}
      {canAdd && <ImportSuppressionsModal opened={importOpened} onClose={importModal.close} />}
      <ConfirmDialog
        opened={!!removing}
        onClose={() => setRemoving(null)}
        title="Remove suppression"
        confirmLabel="Remove"
        confirmDisabled={!removeReason.trim()}
        onConfirm={async () => {
          if (!removing) return;
          await remove.mutateAsync({ id: removing.id, reason: removeReason.trim() });
          notifications.show({ color: 'teal', message: `${removing.value} can be messaged again on ${label(CHANNEL_OPTIONS, removing.channel)}` });
        }}
      >
        <Stack gap="sm">
          <Text size="sm">
            Allow messages to <b>{removing?.value}</b> on {removing ? label(CHANNEL_OPTIONS, removing.channel) : ''} again? A
            contact who opted out stays opted out: resubscribe them from their consent instead.
          </Text>
          <Textarea
            label="Reason"
            description="Kept in the contact's consent history"
            placeholder="The person asked to hear from us again"
            required
            autosize
            minRows={2}
            value={removeReason}
            onChange={(e) => setRemoveReason(e.currentTarget.value)}
            data-autofocus
          />
        </Stack>
      </ConfirmDialog>
    </>
  );
}

function AddSuppressionModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const qc = useQueryClient();
  const add = useMutation({
    mutationFn: (body: SuppressionInput) => unwrap(api.POST('/api/v1/suppressions', { body })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['suppressions'] }),
  });
  const form = useForm<{ channel: Channel; value: string; reason: Reason; note: string }>({
    mode: 'controlled',
    initialValues: { channel: 'email', value: '', reason: 'manual', note: '' },
    validate: { value: (v) => (v.trim() ? null : 'Enter the address to suppress') },
  });
  const { formError, applyError, resetError } = useFormErrors(form);
  const close = () => {
    if (add.isPending) return;
    form.reset();
    resetError();
    onClose();
  };
  const submit = form.onSubmit(async (values) => {
    resetError();
    try {
      const s = await add.mutateAsync({ channel: values.channel, value: values.value.trim(), reason: values.reason, ...(values.note.trim() ? { note: values.note.trim() } : {}) });
      notifications.show({ color: 'teal', message: `Suppressed ${s.value}` });
      form.reset();
      onClose();
    } catch (err) {
      applyError(err);
    }
  });
  return (
    <Modal opened={opened} onClose={close} title={<Text fw={600}>Add suppression</Text>}>
      <form onSubmit={submit} noValidate>
        <Stack gap="md">
          <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="md">
            <Select label="Channel" data={CHANNEL_OPTIONS} allowDeselect={false} {...form.getInputProps('channel')} />
            <Select label="Reason" data={REASON_OPTIONS} allowDeselect={false} {...form.getInputProps('reason')} />
          </SimpleGrid>
          <TextInput label="Address" placeholder={VALUE_PLACEHOLDER[form.values.channel]} required data-autofocus {...form.getInputProps('value')} />
          <Textarea label="Note" placeholder="Optional: why" autosize minRows={2} {...form.getInputProps('note')} />
          <FormError message={formError} />
          <Group justify="flex-end">
            <Button variant="default" onClick={close} disabled={add.isPending}>
              Cancel
            </Button>
            <Button type="submit" loading={add.isPending}>
              Suppress
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

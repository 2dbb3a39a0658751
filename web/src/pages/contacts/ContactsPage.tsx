import {
  Anchor,
  Badge,
  Button,
  Card,
  Checkbox,
  CloseButton,
  Group,
  Menu,
  Paper,
  Select,
  SimpleGrid,
  Skeleton,
  Stack,
  Table,
  Text,
  TextInput,
  Tooltip,
} from '@mantine/core';
import { useDebouncedValue, useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconAddressBook, IconChevronDown, IconDownload, IconFileImport, IconHistory, IconPlus, IconSearch, IconTrash, IconUserMinus, IconUsersPlus } from '@tabler/icons-react';
import { type ReactNode, useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { ConfirmDialog } from '@/components/ConfirmDialog';
import { EmptyState } from '@/components/EmptyState';
import { ErrorAlert } from '@/components/ErrorAlert';
import { PageHeader } from '@/components/PageHeader';
import { useCurrent } from '@/layout/CurrentContext';
import { formatDate, formatDateTime, formatNumber } from '@/lib/format';
import { atLeast } from '@/lib/roles';
import {
  type Contact,
  type ContactFilters,
  contactLabel,
  contactName,
  downloadAuthed,
  EMPTY_FILTERS,
  exportPath,
  type Group as ContactGroup,
  useBulkDelete,
  useBulkGroups,
  useContacts,
  useGroups,
} from './api';
import { ChannelIcons, GroupBadge } from './bits';
import { ContactDrawer } from './ContactDrawer';
import { ContactFormModal } from './ContactFormModal';
import { ImportModal } from './ImportModal';

const FILTER_KEYS = ['search', 'group_id', 'tag', 'has_channel', 'opted_out', 'sort'] as const;

const SORTS = [
  { value: '-created_at', label: 'Newest first' },
  { value: 'created_at', label: 'Oldest first' },
  { value: 'name', label: 'Name A–Z' },
  { value: '-name', label: 'Name Z–A' },
  { value: 'email', label: 'Email A–Z' },
  { value: '-email', label: 'Email Z–A' },
];
const HAS_CHANNEL = [
  { value: 'email', label: 'Has email' },
  { value: 'phone', label: 'Has phone' },
  { value: 'whatsapp', label: 'Has WhatsApp' },
  { value: 'telegram', label: 'Has Telegram' },
  { value: 'instagram', label: 'Has Instagram' },
];
const OPTED_OUT = [
  { value: 'any', label: 'Opted out anywhere' },
  { value: 'email', label: 'Opted out of email' },
  { value: 'whatsapp', label: 'Opted out of WhatsApp' },
  { value: 'telegram', label: 'Opted out of Telegram' },
  { value: 'instagram', label: 'Opted out of Instagram' },
];

function filtersFrom(params: URLSearchParams): ContactFilters {
  const f = { ...EMPTY_FILTERS };
  for (const k of FILTER_KEYS) {
    const v = params.get(k);
    if (v) f[k] = v;
  }
  return f;
}

export function ContactsPage() {
  const { role } = useCurrent();
  const canEdit = atLeast(role, 'member');
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const filters = useMemo(() => filtersFrom(params), [params]);
  const groups = useGroups();
  const groupList = groups.data?.items ?? [];

  // Free-text inputs are typed into locally, then debounced into the URL.
  const [search, setSearch] = useState(filters.search);
  const [tag, setTag] = useState(filters.tag);
  const [debouncedSearch] = useDebouncedValue(search, 300);
  const [debouncedTag] = useDebouncedValue(tag, 300);

  const setFilter = (key: keyof ContactFilters, value: string | null) => {
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        if (value && !(key === 'sort' && value === EMPTY_FILTERS.sort)) next.set(key, value);
        else next.delete(key);
        return next;
      },
      { replace: true },
    );
  };
  useEffect(() => {
    if (debouncedSearch.trim() !== filters.search) setFilter('search', debouncedSearch.trim());
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [debouncedSearch]);
  useEffect(() => {
    if (debouncedTag.trim() !== filters.tag) setFilter('tag', debouncedTag.trim());
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [debouncedTag]);

  const openId = params.get('contact');
  const openContact = (id: string | null) => setFilter('contact' as keyof ContactFilters, id);

  const list = useContacts(filters);
  const loadMoreError: unknown = list.error;
  const rows = useMemo(() => list.data?.pages.flatMap((p) => p.items ?? []) ?? [], [list.data]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const filterKey = JSON.stringify(filters);
  useEffect(() => setSelected(new Set()), [filterKey]);
  // Drop selections of rows no longer listed (deleted, filtered away).
  const selectedIds = rows.filter((r) => selected.has(r.id)).map((r) => r.id);

  const [createOpened, createModal] = useDisclosure(false);
  const [importOpened, importModal] = useDisclosure(false);
  const [exportError, setExportError] = useState<unknown>(null);
  const [exporting, setExporting] = useState(false);

  const filtered = FILTER_KEYS.some((k) => k !== 'sort' && filters[k]);
  const activeGroup = groupList.find((g) => g.id === filters.group_id);

  const doExport = async () => {
    setExportError(null);
    setExporting(true);
    try {
      await downloadAuthed(exportPath(filters), activeGroup ? `contacts-${activeGroup.name.replace(/[^\w-]+/g, '_')}.csv` : 'contacts.csv');
    } catch (err) {
      setExportError(err);
    } finally {
      setExporting(false);
    }
  };

  return (
    <>
      <PageHeader
        title="Contacts"
        description="Everyone your organization reaches, across every channel."
        actions={
          <Group gap="sm" wrap="wrap" style={{ maxWidth: 'calc(100vw - 32px)' }}>
            {canEdit && (
              <Button variant="default" leftSection={<IconDownload size={16} />} onClick={() => void doExport()} loading={exporting}>
                Export CSV
              </Button>
            )}
            {canEdit ? (
              <Button.Group>
                <Button variant="default" leftSection={<IconFileImport size={16} />} onClick={importModal.open}>
                  Import CSV
                </Button>
                <Tooltip label="Import history">
                  <Button variant="default" px={10} component={Link} to="/contacts/imports" aria-label="Import history">
                    <IconHistory size={16} />
                  </Button>
                </Tooltip>
              </Button.Group>
            ) : (
              <Button variant="default" leftSection={<IconHistory size={16} />} component={Link} to="/contacts/imports">
                Import history
              </Button>
            )}
            {canEdit && (
              <Button leftSection={<IconPlus size={16} />} onClick={createModal.open}>
                New contact
              </Button>
            )}
          </Group>
        }
      />
      <ErrorAlert error={exportError} title="Couldn't export contacts" onClose={() => setExportError(null)} />

      <Card p={0} mt={exportError ? 'md' : 0}>
        <Stack gap="sm" p="md" style={{ borderBottom: '1px solid var(--mantine-color-gray-2)' }}>
          <TextInput
            placeholder="Search name, email, phone or username"
            aria-label="Search contacts"
            leftSection={<IconSearch size={16} />}
            value={search}
            onChange={(e) => setSearch(e.currentTarget.value)}
            rightSection={search ? <CloseButton size="sm" aria-label="Clear search" onClick={() => setSearch('')} /> : null}
          />
          <SimpleGrid cols={{ base: 2, sm: 3, lg: 5 }} spacing="sm">
            <Select
              aria-label="Group"
              placeholder="Any group"
              data={groupList.map((g) => ({ value: g.id, label: g.name }))}
              value={filters.group_id || null}
              onChange={(v) => setFilter('group_id', v)}
              clearable
              searchable
            />
            <TextInput aria-label="Tag" placeholder="Tag" value={tag} onChange={(e) => setTag(e.currentTarget.value)} />
            <Select aria-label="Has channel" placeholder="Any channel" data={HAS_CHANNEL} value={filters.has_channel || null} onChange={(v) => setFilter('has_channel', v)} clearable />
            <Select aria-label="Opted out" placeholder="Any consent" data={OPTED_OUT} value={filters.opted_out || null} onChange={(v) => setFilter('opted_out', v)} clearable />
            <Select aria-label="Sort" data={SORTS} value={filters.sort} onChange={(v) => setFilter('sort', v)} allowDeselect={false} />
          </SimpleGrid>
          {filtered && (
            <Group gap="xs">
              {activeGroup && (
                <Text size="xs" c="dimmed">
                  In group <GroupBadge group={activeGroup} size="xs" />
                </Text>
              )}
              <Anchor
                component="button"
                size="xs"
                onClick={() => {
                  setSearch('');
                  setTag('');
                  setParams(new URLSearchParams(filters.sort !== EMPTY_FILTERS.sort ? { sort: filters.sort } : {}), { replace: true });
                }}
              >
                Clear filters
              </Anchor>
            </Group>
          )}
        </Stack>

        {canEdit && selectedIds.length > 0 && (
          <BulkBar ids={selectedIds} groups={groupList} onDone={() => setSelected(new Set())} />
        )}

        {list.isPending ? (
          <Stack gap="sm" p="md">
            {[0, 1, 2, 3, 4].map((i) => (
              <Skeleton key={i} h={36} />
            ))}
          </Stack>
        ) : list.isError ? (
          <div style={{ padding: 'var(--mantine-spacing-md)' }}>
            <ErrorAlert error={list.error} title="Couldn't load contacts" onRetry={() => void list.refetch()} />
          </div>
        ) : rows.length === 0 ? (
          filtered ? (
            <EmptyState icon={<IconSearch size={24} />} title="No contacts match" compact>
              Try another search or clear the filters.
            </EmptyState>
          ) : (
            <EmptyState
              icon={<IconAddressBook size={24} />}
              title="No contacts yet"
              action={
                canEdit && (
                  <Group gap="sm" justify="center">
                    <Button variant="default" leftSection={<IconFileImport size={16} />} onClick={importModal.open}>
                      Import CSV
                    </Button>
                    <Button leftSection={<IconPlus size={16} />} onClick={createModal.open}>
                      New contact
                    </Button>
                  </Group>
                )
              }
            >
              Add people one by one, or import a CSV exported from another tool. Each person is one contact with all of their channels.
            </EmptyState>
          )
        ) : (
          <>
            <Table.ScrollContainer minWidth={940}>
              <Table verticalSpacing="sm" horizontalSpacing="md" highlightOnHover data-testid="contacts-table" style={{ opacity: list.isPlaceholderData ? 0.6 : 1 }}>
                <Table.Thead>
                  <Table.Tr>
                    {canEdit && (
                      <Table.Th w={40} pl="md">
                        <Checkbox
                          aria-label="Select all shown"
                          checked={selectedIds.length > 0 && selectedIds.length === rows.length}
                          indeterminate={selectedIds.length > 0 && selectedIds.length < rows.length}
                          onChange={(e) => setSelected(e.currentTarget.checked ? new Set(rows.map((r) => r.id)) : new Set())}
                        />
                      </Table.Th>
                    )}
                    <Table.Th>Name</Table.Th>
                    <Table.Th>Email</Table.Th>
                    <Table.Th>Phone</Table.Th>
                    <Table.Th>Channels</Table.Th>
                    <Table.Th>Tags</Table.Th>
                    <Table.Th>Groups</Table.Th>
                    <Table.Th pr="md">Created</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {rows.map((c) => (
                    <ContactRow
                      key={c.id}
                      contact={c}
                      groups={groupList}
                      filterGroup={activeGroup}
                      selectable={canEdit}
                      selected={selected.has(c.id)}
                      onSelect={(on) =>
                        setSelected((prev) => {
                          const next = new Set(prev);
                          if (on) next.add(c.id);
                          else next.delete(c.id);
                          return next;
                        })
                      }
                      onOpen={() => openContact(c.id)}
                    />
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <Group justify="space-between" px="md" py="sm" style={{ borderTop: '1px solid var(--mantine-color-gray-2)' }}>
              <Text size="xs" c="dimmed">
                {formatNumber(rows.length)} shown{list.hasNextPage ? ', more available' : ''}
              </Text>
              {list.hasNextPage && (
                <Button variant="default" size="xs" onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage}>
                  Load more
                </Button>
              )}
            </Group>
            {list.isFetchNextPageError && <ErrorAlert error={loadMoreError} title="Couldn't load more" mt="xs" />}
          </>
        )}
      </Card>

      {canEdit && (
        <ContactFormModal
          opened={createOpened}
          contact={null}
          onClose={createModal.close}
          onSaved={(c) => {
            createModal.close();
            notifications.show({ color: 'teal', message: `Created ${contactLabel(c)}` });
          }}
          onOpenContact={(id) => {
            createModal.close();
            openContact(id);
          }}
        />
      )}
      {canEdit && (
        <ImportModal opened={importOpened} onClose={importModal.close} groups={groupList} onShowHistory={() => navigate('/contacts/imports')} />
      )}
      <ContactDrawer id={openId} groups={groupList} canEdit={canEdit} onClose={() => openContact(null)} onOpenContact={openContact} />
    </>
  );
}

function ContactRow({
  contact: c,
  groups,
  filterGroup,
  selectable,
  selected,
  onSelect,
  onOpen,
}: {
  contact: Contact;
  groups: ContactGroup[];
  filterGroup: ContactGroup | undefined;
  selectable: boolean;
  selected: boolean;
  onSelect: (on: boolean) => void;
  onOpen: () => void;
}) {
  const name = contactName(c);
  const tags = c.tags ?? [];
  // The list carries group ids on single reads only; a group filter says at least that one.
  const inGroups = c.group_ids?.length ? c.group_ids.map((id) => groups.find((g) => g.id === id)).filter(Boolean) : filterGroup ? [filterGroup] : [];
  return (
    <Table.Tr data-testid={`contact-row-${c.email ?? c.id}`} bg={selected ? 'var(--mantine-color-brand-light)' : undefined} style={{ cursor: 'pointer' }} onClick={onOpen}>
      {selectable && (
        <Table.Td pl="md" onClick={(e) => e.stopPropagation()}>
          <Checkbox aria-label={`Select ${contactLabel(c)}`} checked={selected} onChange={(e) => onSelect(e.currentTarget.checked)} />
        </Table.Td>
      )}
      <Table.Td>
        <Text size="sm" fw={600} truncate="end" maw={200} c={name ? undefined : 'dimmed'}>
          {name || 'No name'}
        </Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm" truncate="end" maw={210}>
          {c.email || <Text span c="dimmed">—</Text>}
        </Text>
      </Table.Td>
      <Table.Td style={{ whiteSpace: 'nowrap' }}>
        <Text size="sm">{c.phone || c.whatsapp || <Text span c="dimmed">—</Text>}</Text>
      </Table.Td>
      <Table.Td>
        <ChannelIcons contact={c} />
      </Table.Td>
      <Table.Td maw={200}>
        <Group gap={4}>
          {tags.slice(0, 3).map((t) => (
            <Badge key={t} size="sm" variant="light" color="gray" tt="none" fw={500}>
              {t}
            </Badge>
          ))}
          {tags.length > 3 && (
            <Tooltip label={tags.slice(3).join(', ')}>
              <Badge size="sm" variant="outline" color="gray">
                +{tags.length - 3}
              </Badge>
            </Tooltip>
          )}
        </Group>
      </Table.Td>
      <Table.Td maw={200}>
        <Group gap={4}>
          {inGroups.map((g) => (
            <GroupBadge key={g!.id} group={g} />
          ))}
        </Group>
      </Table.Td>
      <Table.Td pr="md" style={{ whiteSpace: 'nowrap' }}>
        <Tooltip label={formatDateTime(c.created_at)}>
          <Text size="sm" c="dimmed">
            {formatDate(c.created_at)}
          </Text>
        </Tooltip>
      </Table.Td>
    </Table.Tr>
  );
}

function BulkBar({ ids, groups, onDone }: { ids: string[]; groups: ContactGroup[]; onDone: () => void }) {
  const bulkGroups = useBulkGroups();
  const bulkDelete = useBulkDelete();
  const [error, setError] = useState<unknown>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const n = ids.length;
  const noun = `${n} contact${n === 1 ? '' : 's'}`;

  const groupAction = async (action: 'add' | 'remove', group: ContactGroup) => {
    setError(null);
    try {
      const res = await bulkGroups.mutateAsync({ ids, action, group_ids: [group.id] });
      notifications.show({
        color: 'teal',
        message: action === 'add' ? `Added ${res.affected} to ${group.name}` : `Removed ${res.affected} from ${group.name}`,
      });
      onDone();
    } catch (err) {
      setError(err);
    }
  };

  const groupMenu = (action: 'add' | 'remove', label: string, icon: ReactNode) => (
    <Menu position="bottom-start" withinPortal shadow="md">
      <Menu.Target>
        <Button size="xs" variant="default" leftSection={icon} rightSection={<IconChevronDown size={14} />} loading={bulkGroups.isPending && bulkGroups.variables?.action === action}>
          {label}
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        {groups.length === 0 ? (
          <Menu.Label>No groups yet: create one under Groups</Menu.Label>
        ) : (
          groups.map((g) => (
            <Menu.Item key={g.id} onClick={() => void groupAction(action, g)} leftSection={<span style={{ display: 'inline-block', width: 8, height: 8, borderRadius: 4, background: g.color || 'var(--mantine-color-gray-5)' }} />}>
              {g.name}
            </Menu.Item>
          ))
        )}
      </Menu.Dropdown>
    </Menu>
  );

  return (
    <Paper px="md" py="xs" radius={0} bg="var(--mantine-color-brand-light)" data-testid="bulk-bar">
      <Group gap="sm" wrap="wrap">
        <Text size="sm" fw={600}>
          {noun} selected
        </Text>
        {groupMenu('add', 'Add to group', <IconUsersPlus size={14} />)}
        {groupMenu('remove', 'Remove from group', <IconUserMinus size={14} />)}
        <Button size="xs" variant="light" color="red" leftSection={<IconTrash size={14} />} onClick={() => setConfirmDelete(true)}>
          Delete
        </Button>
        <Anchor component="button" size="xs" c="dimmed" onClick={onDone}>
          Clear selection
        </Anchor>
      </Group>
      <ErrorAlert error={error} title="Couldn't change groups" onClose={() => setError(null)} mt="xs" />
      <ConfirmDialog
        opened={confirmDelete}
        onClose={() => setConfirmDelete(false)}
        title="Delete contacts"
        confirmLabel={`Delete ${noun}`}
        onConfirm={async () => {
          const res = await bulkDelete.mutateAsync({ ids });
          notifications.show({ color: 'teal', message: `Deleted ${res.affected} contact${res.affected === 1 ? '' : 's'}` });
          onDone();
        }}
      >
        <Text size="sm">
          Delete <b>{noun}</b>? Their group memberships go with them; suppressions stay. This can't be undone.
        </Text>
      </ConfirmDialog>
    </Paper>
  );
}

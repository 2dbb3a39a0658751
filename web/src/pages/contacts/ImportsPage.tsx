import { ActionIcon, Anchor, Badge, Breadcrumbs, Button, Card, Group, Loader, Progress, Skeleton, Stack, Table, Text, Tooltip } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconAlertTriangle, IconArrowLeft, IconDownload, IconFileImport, IconFileSpreadsheet, IconPlayerPlay, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { Link as RouterLink } from 'react-router';
import { useMembers } from '@/api/queries';
import { ConfirmDialog } from '@/components/ConfirmDialog';
import { EmptyState } from '@/components/EmptyState';
import { ErrorAlert } from '@/components/ErrorAlert';
import { PageHeader } from '@/components/PageHeader';
import { useCurrent } from '@/layout/CurrentContext';
import { formatDateTime, formatNumber, formatRelative } from '@/lib/format';
import { atLeast } from '@/lib/roles';
import { type ContactImport, downloadRejects, importActive, useDeleteImport, useGroups, useImports } from './api';
import { formatBytes, importDuration, importPercent, importStatusMeta, uploaderLabel } from './imports';
import { ImportModal } from './ImportModal';

/** The org's recent CSV imports, with live progress, rejected rows and delete. */
export function ImportsPage() {
  const { role } = useCurrent();
  const canEdit = atLeast(role, 'member');
  const imports = useImports();
  const members = useMembers();
  const groups = useGroups();
  const remove = useDeleteImport();
  const [importOpened, importModal] = useDisclosure(false);
  const [resumeId, setResumeId] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<ContactImport | null>(null);
  const [downloadError, setDownloadError] = useState<unknown>(null);
  const items = imports.data?.items ?? [];
  const memberList = members.data?.items ?? [];

  const openImport = (id: string | null) => {
    setResumeId(id);
    importModal.open();
  };

  return (
    <>
      <Breadcrumbs mb="xs" fz="sm">
        <Anchor component={RouterLink} to="/contacts" size="sm">
          <Group gap={4}>
            <IconArrowLeft size={14} /> Contacts
          </Group>
        </Anchor>
      </Breadcrumbs>
      <PageHeader
        title="Import history"
        description="The latest CSV imports into your contacts. Progress updates live; rejected rows can be downloaded to fix and import again."
        actions={
          canEdit && (
            <Button leftSection={<IconFileImport size={16} />} onClick={() => openImport(null)}>
              Import CSV
            </Button>
          )
        }
      />
      <ErrorAlert error={downloadError} title="Couldn't download the rejected rows" onClose={() => setDownloadError(null)} />
      <Card p={0} mt={downloadError ? 'md' : 0}>
        {imports.isPending ? (
          <Stack gap="sm" p="md">
            {[0, 1, 2].map((i) => (
              <Skeleton key={i} h={44} />
            ))}
          </Stack>
        ) : imports.isError ? (
          <div style={{ padding: 'var(--mantine-spacing-md)' }}>
            <ErrorAlert error={imports.error} title="Couldn't load the imports" onRetry={() => void imports.refetch()} />
          </div>
        ) : items.length === 0 ? (
          <EmptyState
            icon={<IconFileSpreadsheet size={24} />}
            title="No imports yet"
            action={
              canEdit && (
                <Button leftSection={<IconFileImport size={16} />} onClick={() => openImport(null)}>
                  Import CSV
                </Button>
              )
            }
          >
            Import a CSV exported from another tool: rows are matched to existing contacts by email, phone and handles, so
            nobody is duplicated.
          </EmptyState>
        ) : (
          <Table.ScrollContainer minWidth={880}>
            <Table verticalSpacing="sm" horizontalSpacing="md" highlightOnHover data-testid="imports-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th pl="lg">File</Table.Th>
                  <Table.Th>Uploaded</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th ta="right">Rows</Table.Th>
                  <Table.Th ta="right">Created</Table.Th>
                  <Table.Th ta="right">Merged</Table.Th>
                  <Table.Th ta="right">Rejected</Table.Th>
                  <Table.Th w={56} pr="md" />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((im) => (
                  <ImportRow
                    key={im.id}
                    im={im}
                    uploader={uploaderLabel(im.created_by, memberList)}
                    canEdit={canEdit}
                    onResume={() => openImport(im.id)}
                    onDelete={() => setDeleting(im)}
                    onDownloadError={setDownloadError}
                  />
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        {items.length > 0 && (
          <Group justify="space-between" px="md" py="sm" style={{ borderTop: '1px solid var(--mantine-color-gray-2)' }}>
            <Text size="xs" c="dimmed">
              {formatNumber(items.length)} import{items.length === 1 ? '' : 's'}
              {items.length >= 100 ? ' (the latest 100)' : ''} · Imports never started, and failed ones, are removed after 7 days
            </Text>
            {items.some(importActive) && (
              <Group gap={6}>
                <Loader size={12} />
                <Text size="xs" c="dimmed">
                  Updating live
                </Text>
              </Group>
            )}
          </Group>
        )}
      </Card>

      {canEdit && (
        <ImportModal
          opened={importOpened}
          onClose={() => {
            importModal.close();
            setResumeId(null);
          }}
          groups={groups.data?.items ?? []}
          resumeId={resumeId}
        />
      )}
      <ConfirmDialog
        opened={!!deleting}
        onClose={() => setDeleting(null)}
        title="Delete import"
        confirmLabel="Delete import"
        onConfirm={async () => {
          if (!deleting) return;
          await remove.mutateAsync(deleting.id);
          notifications.show({ color: 'teal', message: `Deleted the import of ${deleting.filename}` });
        }}
      >
        <Text size="sm">
          Delete the import of <b>{deleting?.filename}</b>? Its file and rejected rows go; the contacts it created or updated stay.
        </Text>
      </ConfirmDialog>
    </>
  );
}

function ImportRow({
  im,
  uploader,
  canEdit,
  onResume,
  onDelete,
  onDownloadError,
}: {
  im: ContactImport;
  uploader: string;
  canEdit: boolean;
  onResume: () => void;
  onDelete: () => void;
  onDownloadError: (err: unknown) => void;
}) {
  const [downloading, setDownloading] = useState(false);
  const meta = importStatusMeta(im);
  const active = importActive(im);
  const pct = importPercent(im);
  const duration = importDuration(im);
  const started = im.status !== 'uploaded' && im.status !== 'ready';

  const download = async () => {
    onDownloadError(null);
    setDownloading(true);
    try {
      await downloadRejects(im);
    } catch (err) {
      onDownloadError(err);
    } finally {
      setDownloading(false);
    }
  };

  return (
    <Table.Tr data-testid={`import-row-${im.filename}`}>
      <Table.Td pl="lg" maw={300}>
        <Group gap="sm" wrap="nowrap">
          <IconFileSpreadsheet size={20} color="var(--mantine-color-teal-6)" style={{ flex: 'none' }} />
          <div style={{ minWidth: 0 }}>
            <Text size="sm" fw={600} truncate="end" title={im.filename}>
              {im.filename}
            </Text>
            <Text size="xs" c="dimmed">
              {formatBytes(im.size_bytes)}
              {(im.tags ?? []).length > 0 && ` · tagged ${(im.tags ?? []).join(', ')}`}
            </Text>
          </div>
        </Group>
      </Table.Td>
      <Table.Td style={{ whiteSpace: 'nowrap' }}>
        <Text size="sm">{uploader}</Text>
        <Tooltip label={formatDateTime(im.created_at)}>
          <Text size="xs" c="dimmed" data-testid="import-row-when">
            {formatRelative(im.created_at)}
          </Text>
        </Tooltip>
      </Table.Td>
      <Table.Td>
        <Stack gap={6}>
          <div>
            <Tooltip label={meta.hint} multiline w={260} disabled={!meta.hint}>
              <Badge variant="light" color={meta.color} data-testid="import-row-status" leftSection={active ? <Loader size={10} color={meta.color} /> : undefined}>
                {meta.label}
              </Badge>
            </Tooltip>
            {duration && (
              <Text size="xs" c="dimmed" mt={2} style={{ whiteSpace: 'nowrap' }}>
                Took {duration}
              </Text>
            )}
          </div>
          {active && started && (
            <div>
              <Progress value={pct} size="sm" color="blue" striped animated aria-label={`Progress of ${im.filename}`} />
              <Text size="xs" c="dimmed" mt={2}>
                {formatNumber(im.rows_done)} of {im.rows_total ? formatNumber(im.rows_total) : '…'} rows · {pct}%
              </Text>
            </div>
          )}
          {im.status === 'failed' && im.error && (
            <Group gap={4} wrap="nowrap" align="flex-start">
              <IconAlertTriangle size={14} color="var(--mantine-color-red-6)" style={{ flex: 'none', marginTop: 2 }} />
              <Text size="xs" c="red.7" lineClamp={2} title={im.error}>
                {im.error}
              </Text>
            </Group>
          )}
          {im.status === 'ready' && canEdit && (
            <Anchor component="button" size="xs" onClick={onResume} w="fit-content">
              <Group gap={4}>
                <IconPlayerPlay size={12} /> Map columns and start
              </Group>
            </Anchor>
          )}
        </Stack>
      </Table.Td>
      <Table.Td ta="right">
        <Text size="sm" data-testid="import-row-total">
          {im.rows_total || im.status !== 'uploaded' ? formatNumber(im.rows_total) : '…'}
        </Text>
      </Table.Td>
      <Table.Td ta="right">
        <Count value={im.created} color="teal" testId="import-row-created" show={started} />
      </Table.Td>
      <Table.Td ta="right">
        <Count value={im.merged} color="brand" testId="import-row-merged" show={started} />
      </Table.Td>
      <Table.Td ta="right">
        <Group gap={4} justify="flex-end" wrap="nowrap">
          <Count value={im.rejected} color={im.rejected > 0 ? 'red' : 'gray'} testId="import-row-rejected" show={started} />
          {im.rejected > 0 && !active && (
            <Tooltip label="Download the rejected rows with the reason for each">
              <ActionIcon variant="subtle" color="red" size="sm" aria-label={`Download rejected rows of ${im.filename}`} onClick={() => void download()} loading={downloading}>
                <IconDownload size={14} />
              </ActionIcon>
            </Tooltip>
          )}
        </Group>
      </Table.Td>
      <Table.Td pr="md">
        {canEdit && (
          <Group justify="flex-end">
            <Tooltip label={active ? "Can't delete while it runs" : 'Delete the import (the contacts stay)'}>
              <ActionIcon variant="subtle" color="gray" aria-label={`Delete import ${im.filename}`} onClick={onDelete} disabled={active}>
                <IconTrash size={16} />
              </ActionIcon>
            </Tooltip>
          </Group>
        )}
      </Table.Td>
    </Table.Tr>
  );
}

function Count({ value, color, testId, show }: { value: number; color: string; testId: string; show: boolean }) {
  if (!show) {
    return (
      <Text size="sm" c="dimmed">
        —
      </Text>
    );
  }
  return (
    <Text size="sm" fw={value > 0 ? 600 : 400} c={value > 0 ? `${color}.7` : 'dimmed'} data-testid={testId}>
      {formatNumber(value)}
    </Text>
  );
}

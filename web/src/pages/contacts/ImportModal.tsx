import {
  Alert,
  Badge,
  Button,
  FileInput,
  Group,
  Modal,
  MultiSelect,
  Progress,
  ScrollArea,
  Select,
  SimpleGrid,
  Skeleton,
  Stack,
  Switch,
  Table,
  TagsInput,
  Text,
  ThemeIcon,
} from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { IconCheck, IconDownload, IconFileSpreadsheet, IconUpload, IconX } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import { ErrorAlert } from '@/components/ErrorAlert';
import { formatNumber } from '@/lib/format';
import {
  contactKeys,
  downloadRejects,
  type Group as ContactGroup,
  importDone,
  type ImportPreview,
  uploadImport,
  useImport,
  useImportPreview,
  useStartImport,
} from './api';

const TARGET_LABELS: Record<string, string> = {
  email: 'Email',
  phone: 'Phone',
  whatsapp: 'WhatsApp',
  telegram_chat_id: 'Telegram chat id',
  telegram_username: 'Telegram username',
  instagram_id: 'Instagram id',
  instagram_username: 'Instagram username',
  first_name: 'First name',
  last_name: 'Last name',
  name: 'Full name',
  locale: 'Locale',
  timezone: 'Time zone',
  tags: 'Tags',
};

/** Turns a header into an attribute name: "Plan Tier" → plan_tier. */
export function attributeKey(header: string): string {
  const key = header
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return key || 'column';
}

/** The choices of one column's select: ignore, the fixed fields, or an attribute named after it. */
export function targetOptions(preview: Pick<ImportPreview, 'targets'>, header: string, current: string) {
  const attr = `attributes.${attributeKey(header)}`;
  const opts = [
    { value: '', label: "Don't import" },
    ...(preview.targets ?? []).map((t) => ({ value: t, label: TARGET_LABELS[t] ?? t })),
    { value: attr, label: `Attribute: ${attributeKey(header)}` },
  ];
  if (current && !opts.some((o) => o.value === current)) opts.push({ value: current, label: current.replace(/^attributes\./, 'Attribute: ') });
  return opts;
}

type Step = 'upload' | 'map' | 'progress';

/**
 * CSV import: upload → map columns → watch the progress → rejected rows.
 * resumeId opens an import that was uploaded but never started at its
 * mapping step.
 */
export function ImportModal({
  opened,
  onClose,
  groups,
  resumeId = null,
  onShowHistory,
}: {
  opened: boolean;
  onClose: () => void;
  groups: ContactGroup[];
  resumeId?: string | null;
  onShowHistory?: () => void;
}) {
  const qc = useQueryClient();
  const [step, setStep] = useState<Step>('upload');
  const [file, setFile] = useState<File | null>(null);
  const [uploading, setUploading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [importId, setImportId] = useState<string | null>(null);
  const [mapping, setMapping] = useState<string[]>([]);
  const [groupIds, setGroupIds] = useState<string[]>([]);
  const [tags, setTags] = useState<string[]>([]);
  const [overwrite, setOverwrite] = useState(false);

  const preview = useImportPreview(importId, step === 'map');
  const start = useStartImport();
  const progress = useImport(step === 'progress' ? importId : null, step === 'progress');
  const im = progress.data;
  const done = importDone(im);

  useEffect(() => {
    if (preview.data) setMapping([...(preview.data.mapping ?? (preview.data.header ?? []).map(() => ''))]);
  }, [preview.data]);

  useEffect(() => {
    if (opened && resumeId) {
      setImportId(resumeId);
      setStep('map');
    }
  }, [opened, resumeId]);

  useEffect(() => {
    if (done) {
      void qc.invalidateQueries({ queryKey: contactKeys.all });
      void qc.invalidateQueries({ queryKey: contactKeys.groups });
    }
    // The history lists this import: uploaded, started or finished.
    void qc.invalidateQueries({ queryKey: contactKeys.imports, exact: true });
  }, [done, step, qc]);

  const reset = () => {
    setStep('upload');
    setFile(null);
    setError(null);
    setImportId(null);
    setMapping([]);
    setGroupIds([]);
    setTags([]);
    setOverwrite(false);
  };
  const close = () => {
    if (uploading || start.isPending) return;
    onClose();
  };

  const upload = async () => {
    if (!file) return;
    setError(null);
    setUploading(true);
    try {
      const created = await uploadImport(file);
      setImportId(created.id);
      setStep('map');
    } catch (err) {
      setError(err);
    } finally {
      setUploading(false);
    }
  };

  const begin = async () => {
    if (!importId) return;
    setError(null);
    try {
      await start.mutateAsync({ id: importId, body: { mapping, group_ids: groupIds, tags, overwrite } });
      setStep('progress');
    } catch (err) {
      setError(err);
    }
  };

  const mapped = mapping.filter(Boolean).length;
  const header = preview.data?.header ?? [];
  const sampleRows = (preview.data?.rows ?? []).slice(0, 5);

  return (
    // Reset once the modal has faded out, so that it does not flip back to the upload step while closing.
    <Modal opened={opened} onClose={close} onExitTransitionEnd={reset} title={<Text fw={600}>Import contacts from CSV</Text>} size="xl">
      {step === 'upload' && (
        <Stack gap="md">
          <Text size="sm" c="dimmed">
            A UTF-8 CSV with a header row. Rows are matched to existing contacts by email, phone and handles: a match fills
            the contact's empty fields instead of making a duplicate.
          </Text>
          <FileInput
            label="CSV file"
            placeholder="Choose a .csv file"
            accept=".csv,text/csv"
            leftSection={<IconFileSpreadsheet size={16} />}
            value={file}
            onChange={setFile}
            clearable
            data-testid="import-file"
          />
          <ErrorAlert error={error} title="Couldn't upload the file" />
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button leftSection={<IconUpload size={16} />} onClick={() => void upload()} disabled={!file} loading={uploading}>
              Upload
            </Button>
          </Group>
        </Stack>
      )}

      {step === 'map' && (
        <Stack gap="md">
          {preview.isPending ? (
            <Stack gap="xs">
              <Skeleton h={32} />
              <Skeleton h={32} />
              <Skeleton h={32} />
            </Stack>
          ) : preview.isError ? (
            <ErrorAlert error={preview.error} title="Couldn't read the file" />
          ) : (
            <>
              <Text size="sm" c="dimmed">
                Choose what each column fills. We guessed from the headers; the first rows are shown as they will be read.
              </Text>
              <ScrollArea type="auto" offsetScrollbars>
                <Table withTableBorder withColumnBorders verticalSpacing={6} fz="sm" style={{ minWidth: Math.max(480, header.length * 170) }} data-testid="import-preview">
                  <Table.Thead>
                    <Table.Tr>
                      {header.map((h, i) => (
                        <Table.Th key={i} miw={160}>
                          <Text size="xs" c="dimmed" fw={600} mb={4} truncate="end">
                            {h || `Column ${i + 1}`}
                          </Text>
                          <Select
                            size="xs"
                            aria-label={`Field for column ${h || i + 1}`}
                            data={targetOptions(preview.data, h, mapping[i] ?? '')}
                            value={mapping[i] ?? ''}
                            onChange={(v) => setMapping((m) => m.map((x, j) => (j === i ? (v ?? '') : x)))}
                            allowDeselect={false}
                            comboboxProps={{ withinPortal: true }}
                          />
                        </Table.Th>
                      ))}
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {sampleRows.map((row, r) => (
                      <Table.Tr key={r}>
                        {header.map((_, i) => (
                          <Table.Td key={i} c={mapping[i] ? undefined : 'dimmed'}>
                            <Text size="sm" truncate="end" maw={200}>
                              {row?.[i] ?? ''}
                            </Text>
                          </Table.Td>
                        ))}
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </ScrollArea>
              <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
                <MultiSelect
                  label="Add everyone to groups"
                  placeholder={groups.length ? 'Pick groups' : 'No groups yet'}
                  data={groups.map((g) => ({ value: g.id, label: g.name }))}
                  value={groupIds}
                  onChange={setGroupIds}
                  disabled={groups.length === 0}
                  clearable
                  searchable
                />
                <TagsInput label="Tag everyone" placeholder="Type a tag and press Enter" value={tags} onChange={setTags} clearable />
              </SimpleGrid>
              <Switch
                label="Overwrite existing values"
                description="By default a row only fills a matched contact's empty fields."
                checked={overwrite}
                onChange={(e) => setOverwrite(e.currentTarget.checked)}
              />
            </>
          )}
          <ErrorAlert error={error} title="Couldn't start the import" />
          <Group justify="space-between">
            <Text size="xs" c="dimmed">
              {mapped} of {header.length} columns imported
            </Text>
            <Group gap="sm">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button onClick={() => void begin()} loading={start.isPending} disabled={!preview.data || mapped === 0}>
                Start import
              </Button>
            </Group>
          </Group>
        </Stack>
      )}

      {step === 'progress' && (
        <ImportProgress
          im={im}
          error={progress.error}
          done={done}
          importId={importId}
          onClose={close}
          onAnother={reset}
          onShowHistory={
            onShowHistory &&
            (() => {
              reset();
              onShowHistory();
            })
          }
        />
      )}
    </Modal>
  );
}

function ImportProgress({
  im,
  error,
  done,
  importId,
  onClose,
  onAnother,
  onShowHistory,
}: {
  im: ReturnType<typeof useImport>['data'];
  error: unknown;
  done: boolean;
  importId: string | null;
  onClose: () => void;
  onAnother: () => void;
  onShowHistory?: () => void;
}) {
  const [dlError, setDlError] = useState<unknown>(null);
  const [downloading, setDownloading] = useState(false);
  const total = im?.rows_total ?? 0;
  const doneRows = im?.rows_done ?? 0;
  const pct = done && im?.status === 'completed' ? 100 : total > 0 ? Math.min(100, Math.round((doneRows / total) * 100)) : 0;
  const failed = im?.status === 'failed';

  const download = async () => {
    if (!importId) return;
    setDlError(null);
    setDownloading(true);
    try {
      await downloadRejects({ id: importId, filename: im?.filename ?? '' });
    } catch (err) {
      setDlError(err);
    } finally {
      setDownloading(false);
    }
  };

  return (
    <Stack gap="md" data-testid="import-progress">
      <Group gap="sm" wrap="nowrap">
        <ThemeIcon radius="xl" size={36} variant="light" color={failed ? 'red' : done ? 'teal' : 'brand'}>
          {failed ? <IconX size={18} /> : done ? <IconCheck size={18} /> : <IconUpload size={18} />}
        </ThemeIcon>
        <div style={{ minWidth: 0 }}>
          <Text fw={600} data-testid="import-status">
            {failed ? 'Import failed' : done ? 'Import finished' : im?.phase === 'merging' ? 'Merging into contacts…' : 'Reading the file…'}
          </Text>
          <Text size="xs" c="dimmed" truncate="end">
            {im?.filename}
          </Text>
        </div>
      </Group>
      <div>
        <Progress value={pct} animated={!done} striped={!done} color={failed ? 'red' : 'teal'} size="lg" aria-label="Import progress" />
        <Text size="xs" c="dimmed" mt={4}>
          {formatNumber(doneRows)} of {total ? formatNumber(total) : '…'} rows
        </Text>
      </div>
      <SimpleGrid cols={3} spacing="sm">
        <Stat label="Created" value={im?.created ?? 0} color="teal" />
        <Stat label="Merged" value={im?.merged ?? 0} color="brand" />
        <Stat label="Rejected" value={im?.rejected ?? 0} color={im?.rejected ? 'red' : 'gray'} />
      </SimpleGrid>
      {im?.error && (
        <Alert color="red" variant="light">
          <Text size="sm">{im.error}</Text>
        </Alert>
      )}
      <ErrorAlert error={error} title="Couldn't read the progress" />
      <ErrorAlert error={dlError} title="Couldn't download the rejected rows" />
      <Group justify="space-between">
        {done && (im?.rejected ?? 0) > 0 ? (
          <Button variant="light" color="red" leftSection={<IconDownload size={16} />} onClick={() => void download()} loading={downloading}>
            Download rejected rows
          </Button>
        ) : (
          <Text size="xs" c="dimmed">
            {done ? 'Every row was imported.' : 'You can close this: the import keeps running.'}
          </Text>
        )}
        <Group gap="sm">
          {onShowHistory && (
            <Button variant="subtle" onClick={onShowHistory}>
              Import history
            </Button>
          )}
          {done && (
            <Button variant="default" onClick={onAnother}>
              Import another
            </Button>
          )}
          <Button onClick={onClose}>{done ? 'Done' : 'Close'}</Button>
        </Group>
      </Group>
    </Stack>
  );
}

function Stat({ label, value, color }: { label: string; value: number; color: string }) {
  return (
    <Stack gap={2} align="center" p="sm" style={{ border: '1px solid var(--mantine-color-gray-2)', borderRadius: 8 }}>
      <Text fz={22} fw={700} c={`${color}.7`} data-testid={`import-${label.toLowerCase()}`}>
        {formatNumber(value)}
      </Text>
      <Badge variant="light" color={color} size="sm">
        {label}
      </Badge>
    </Stack>
  );
}

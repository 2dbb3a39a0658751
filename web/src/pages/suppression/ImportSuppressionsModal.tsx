import { Alert, Anchor, Badge, Box, Button, Code, FileInput, Group, Modal, ScrollArea, Select, SimpleGrid, Stack, Table, Text, ThemeIcon } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { IconAlertTriangle, IconCheck, IconFileSpreadsheet, IconUpload } from '@tabler/icons-react';
import { useState } from 'react';
import { ApiError } from '@/api/problem';
import { ErrorAlert } from '@/components/ErrorAlert';
import { formatNumber } from '@/lib/format';
import { uploadFile } from '@/pages/contacts/api';
import { type Channel, CHANNEL_OPTIONS, importPath, type Reason, REASON_OPTIONS, SAMPLE_CSV, type SuppressionImportResult } from './options';

/** Saves the sample CSV, made in the browser. */
function downloadSample() {
  const url = URL.createObjectURL(new Blob([SAMPLE_CSV], { type: 'text/csv' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = 'suppressions-sample.csv';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Imports a CSV of addresses into the suppression list and shows what it did. */
export function ImportSuppressionsModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const qc = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [channel, setChannel] = useState<Channel | null>(null);
  const [reason, setReason] = useState<Reason>('manual');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [channelError, setChannelError] = useState<string | null>(null);
  const [result, setResult] = useState<SuppressionImportResult | null>(null);

  const reset = () => {
    setFile(null);
    setError(null);
    setChannelError(null);
    setResult(null);
  };
  const close = () => {
    if (busy) return;
    onClose();
  };
  // Once faded out, so that the modal does not change while closing.
  const clear = () => {
    reset();
    setChannel(null);
    setReason('manual');
  };

  const upload = async () => {
    if (!file) return;
    setBusy(true);
    setError(null);
    setChannelError(null);
    try {
      const res = await uploadFile<SuppressionImportResult>(importPath(channel, reason), file);
      setResult(res);
      void qc.invalidateQueries({ queryKey: ['suppressions'] });
    } catch (err) {
      // "No channel column": the answer names the channel select.
      const onChannel = err instanceof ApiError ? err.errors.find((e) => e.location === 'query.channel') : undefined;
      if (onChannel) setChannelError(`Choose a channel: ${onChannel.message ?? 'the file has no channel column'}`);
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened={opened} onClose={close} onExitTransitionEnd={clear} title={<Text fw={600}>Import suppressions from CSV</Text>} size="lg">
      {!result ? (
        <Stack gap="md">
          <Text size="sm" c="dimmed">
            Add many addresses at once, for example an unsubscribe list exported from your previous tool. Addresses already on the list
            are skipped; if the file can't be read, nothing is added.
          </Text>
          <Box p="sm" style={{ background: 'var(--mantine-color-gray-0)', borderRadius: 8, border: '1px solid var(--mantine-color-gray-2)' }}>
            <Group justify="space-between" align="flex-start" wrap="nowrap" gap="sm">
              <Text size="xs" c="dimmed">
                A header row, and a column named <Code>email</Code>, <Code>phone</Code>, <Code>whatsapp</Code>, <Code>telegram_chat_id</Code>,{' '}
                <Code>instagram_id</Code>, <Code>value</Code> or <Code>address</Code>. Optional <Code>channel</Code> and <Code>reason</Code>{' '}
                columns (unsubscribed, bounced, spam_complaint, manual) override the choices below.
              </Text>
              <Anchor component="button" size="xs" onClick={downloadSample} style={{ whiteSpace: 'nowrap' }}>
                Sample CSV
              </Anchor>
            </Group>
            <Code block mt="xs" fz={11}>
              {SAMPLE_CSV.trim()}
            </Code>
          </Box>
          <FileInput
            label="CSV file"
            placeholder="Choose a .csv file"
            accept=".csv,text/csv"
            leftSection={<IconFileSpreadsheet size={16} />}
            value={file}
            onChange={setFile}
            clearable
            data-testid="suppression-import-file"
          />
          <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="md">
            <Select
              label="Channel"
              description="For rows that don't say"
              placeholder="From the file's columns"
              data={CHANNEL_OPTIONS}
              value={channel}
              onChange={(v) => {
                setChannel(v as Channel | null);
                setChannelError(null);
              }}
              clearable
              error={channelError}
            />
            <Select
              label="Reason"
              description="For rows that don't say"
              data={REASON_OPTIONS}
              value={reason}
              onChange={(v) => v && setReason(v as Reason)}
              allowDeselect={false}
            />
          </SimpleGrid>
          <ErrorAlert error={error} title="Couldn't import the file" />
          <Group justify="flex-end">
            <Button variant="default" onClick={close} disabled={busy}>
              Cancel
            </Button>
            <Button leftSection={<IconUpload size={16} />} onClick={() => void upload()} disabled={!file} loading={busy}>
              Import
            </Button>
          </Group>
        </Stack>
      ) : (
        <ImportResult result={result} onAnother={reset} onDone={close} />
      )}
    </Modal>
  );
}

function ImportResult({ result: r, onAnother, onDone }: { result: SuppressionImportResult; onAnother: () => void; onDone: () => void }) {
  const rejects = r.rejects ?? [];
  return (
    <Stack gap="md" data-testid="suppression-import-result">
      <Group gap="sm" wrap="nowrap">
        <ThemeIcon radius="xl" size={36} variant="light" color={r.rejected > 0 ? 'orange' : 'teal'}>
          {r.rejected > 0 ? <IconAlertTriangle size={18} /> : <IconCheck size={18} />}
        </ThemeIcon>
        <div>
          <Text fw={600}>
            {r.added > 0 ? `Added ${formatNumber(r.added)} address${r.added === 1 ? '' : 'es'} to the suppression list` : 'Nothing new to add'}
          </Text>
          <Text size="xs" c="dimmed">
            {formatNumber(r.rows)} row{r.rows === 1 ? '' : 's'} read
          </Text>
        </div>
      </Group>
      <SimpleGrid cols={3} spacing="sm">
        <Stat label="Added" value={r.added} color="teal" testId="suppression-import-added" />
        <Stat label="Already suppressed" value={r.existing} color="gray" testId="suppression-import-skipped" />
        <Stat label="Rejected" value={r.rejected} color={r.rejected ? 'red' : 'gray'} testId="suppression-import-rejected" />
      </SimpleGrid>
      {rejects.length > 0 && (
        <div>
          <Text size="sm" fw={600} mb={6}>
            Rejected rows
          </Text>
          <ScrollArea.Autosize mah={240} type="auto">
            <Table withTableBorder verticalSpacing={6} fz="sm" data-testid="suppression-import-rejects">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th w={64}>Line</Table.Th>
                  <Table.Th>Value</Table.Th>
                  <Table.Th>Why</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rejects.map((x) => (
                  <Table.Tr key={x.line}>
                    <Table.Td c="dimmed">{x.line}</Table.Td>
                    <Table.Td ff="monospace" style={{ overflowWrap: 'anywhere' }}>
                      {x.value || <Text span c="dimmed">(empty)</Text>}
                    </Table.Td>
                    <Table.Td c="red.8">{x.reason}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollArea.Autosize>
          {r.rejected > rejects.length && (
            <Text size="xs" c="dimmed" mt={4}>
              Showing the first {formatNumber(rejects.length)} of {formatNumber(r.rejected)} rejected rows.
            </Text>
          )}
        </div>
      )}
      {r.rejected > 0 && (
        <Alert variant="light" color="orange" p="xs">
          <Text size="xs">Fix the rejected rows and import them again: rows already added are skipped.</Text>
        </Alert>
      )}
      <Group justify="flex-end">
        <Button variant="default" onClick={onAnother}>
          Import another
        </Button>
        <Button onClick={onDone}>Done</Button>
      </Group>
    </Stack>
  );
}

function Stat({ label, value, color, testId }: { label: string; value: number; color: string; testId: string }) {
  return (
    <Stack gap={2} align="center" p="sm" style={{ border: '1px solid var(--mantine-color-gray-2)', borderRadius: 8 }}>
      <Text fz={22} fw={700} c={`${color}.7`} data-testid={testId}>
        {formatNumber(value)}
      </Text>
      <Badge variant="light" color={color} size="sm" tt="none">
        {label}
      </Badge>
    </Stack>
  );
}

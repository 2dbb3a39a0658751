import { Alert, Badge, Box, Card, Group, Loader, SegmentedControl, Select, Stack, Text, Title, Tooltip } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconAlertTriangle, IconUser } from '@tabler/icons-react';
import { useMemo, useState } from 'react';
import { ErrorAlert } from '@/components/ErrorAlert';
import { contactLabel } from '@/pages/contacts/api';
import { type Channel, type DraftPreviewBody, useContactOptions, useDraftPreview } from './api';

/** How long typing pauses before the preview renders again. */
export const PREVIEW_DEBOUNCE_MS = 300;

/** The picker's value for "render with the samples". */
export const SAMPLES = '';
const SAMPLES_LABEL = 'Sample values';

/**
 * Renders the editor's content as it is typed: the request waits for a
 * pause of PREVIEW_DEBOUNCE_MS. pending is true from a keystroke until its
 * render is shown.
 */
export function useLivePreview(channel: Channel, content: Omit<DraftPreviewBody, 'channel' | 'contact_id' | 'values'>, contactId: string) {
  const body = useMemo(() => JSON.stringify({ channel, ...content, ...(contactId ? { contact_id: contactId } : {}) }), [channel, content, contactId]);
  const [debounced] = useDebouncedValue(body, PREVIEW_DEBOUNCE_MS);
  const request = useMemo(() => JSON.parse(debounced) as DraftPreviewBody, [debounced]);
  const preview = useDraftPreview(request);
  return { preview, pending: preview.isFetching || body !== debounced };
}

/**
 * The editor's current content, saved or not, rendered as a send would:
 * with the declared samples, or for a contact. It follows the edits as the
 * user types, and says how many problems saving would meet.
 */
export function PreviewPanel({
  channel,
  live,
  contactId,
  onContactChange,
  warnings,
}: {
  channel: Channel;
  live: ReturnType<typeof useLivePreview>;
  contactId: string;
  onContactChange: (id: string) => void;
  warnings: number;
}) {
  const { preview, pending } = live;
  const [part, setPart] = useState<'html' | 'text'>('html');
  const isEmail = channel === 'email';
  const data = preview.data;

  return (
    <Card data-testid="preview-panel">
      <Group justify="space-between" mb="sm" wrap="nowrap">
        <Group gap={8} wrap="nowrap">
          <Title order={4} fz="md">
            Preview
          </Title>
          <Badge size="xs" variant="dot" color={pending ? 'gray' : 'teal'} data-testid="preview-state">
            {pending ? 'Updating' : 'Live'}
          </Badge>
          {warnings > 0 && (
            <Tooltip label="Problems to fix before saving: they are shown next to their fields">
              <Badge size="xs" variant="light" color="orange" leftSection={<IconAlertTriangle size={10} />} data-testid="preview-warnings">
                {warnings} to fix
              </Badge>
            </Tooltip>
          )}
        </Group>
        {isEmail && (
          <SegmentedControl
            size="xs"
            value={part}
            onChange={(v) => setPart(v as 'html' | 'text')}
            data={[
              { value: 'html', label: 'HTML' },
              { value: 'text', label: 'Text' },
            ]}
          />
        )}
      </Group>
      <ContactPicker value={contactId} onChange={onContactChange} />
      {preview.isError ? (
        <ErrorAlert error={preview.error} title="Couldn't render the preview" onRetry={() => void preview.refetch()} mt="sm" />
      ) : !data ? (
        <Stack h={200} align="center" justify="center">
          <Loader size="sm" />
        </Stack>
      ) : (
        <Stack gap="sm" mt="sm" style={{ opacity: pending ? 0.75 : 1, transition: 'opacity 120ms' }}>
          {(data.missing ?? []).length > 0 && (
            <Alert color="orange" variant="light" p="xs" data-testid="preview-missing">
              <Group gap={6} wrap="wrap">
                <Text size="xs">No value or default for:</Text>
                {(data.missing ?? []).map((m) => (
                  <Badge key={m} size="xs" color="orange" variant="outline" tt="none">
                    {m}
                  </Badge>
                ))}
              </Group>
            </Alert>
          )}
          {isEmail ? (
            <>
              <Box p="xs" style={{ background: 'var(--mantine-color-gray-0)', borderRadius: 6 }}>
                <Text size="xs" c="dimmed">
                  Subject
                </Text>
                <Text size="sm" fw={600} data-testid="preview-subject" style={{ overflowWrap: 'anywhere' }} c={data.subject ? undefined : 'dimmed'}>
                  {data.subject || 'No subject yet'}
                </Text>
              </Box>
              {part === 'html' ? (
                <iframe
                  title="Email preview"
                  sandbox=""
                  srcDoc={`<!doctype html><html><head><meta charset="utf-8"><style>body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;font-size:14px;line-height:1.5;color:#222;margin:12px;overflow-wrap:anywhere}</style></head><body>${data.html}</body></html>`}
                  style={{ width: '100%', height: 380, border: '1px solid var(--mantine-color-gray-3)', borderRadius: 6, background: 'white' }}
                  data-testid="preview-html"
                />
              ) : (
                <Box
                  component="pre"
                  p="sm"
                  m={0}
                  data-testid="preview-text"
                  style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', fontSize: 13, border: '1px solid var(--mantine-color-gray-3)', borderRadius: 6, height: 380, overflow: 'auto' }}
                >
                  {data.text}
                </Box>
              )}
              {(part === 'html' ? data.footer_appended?.html : data.footer_appended?.text) && (
                <Text size="xs" c="dimmed">
                  Your organization's email footer was added because the body has no {'{{unsubscribe_url}}'}.
                </Text>
              )}
            </>
          ) : (
            <Box p="md" style={{ background: 'var(--mantine-color-gray-0)', borderRadius: 8, minHeight: 120 }}>
              <Box
                p="sm"
                data-testid="preview-body"
                style={{
                  background: channel === 'whatsapp' ? '#dcf8c6' : 'white',
                  borderRadius: 10,
                  maxWidth: '90%',
                  whiteSpace: 'pre-wrap',
                  overflowWrap: 'anywhere',
                  fontSize: 14,
                  boxShadow: '0 1px 1px rgba(0,0,0,.08)',
                }}
              >
                {data.body || (
                  <Text span c="dimmed" size="sm">
                    Start typing the message…
                  </Text>
                )}
              </Box>
            </Box>
          )}
        </Stack>
      )}
    </Card>
  );
}

/** Chooses whom the preview renders for: the samples, or a contact found by search. */
function ContactPicker({ value, onChange }: { value: string; onChange: (id: string) => void }) {
  const [search, setSearch] = useState('');
  const [debounced] = useDebouncedValue(search.trim(), 250);
  const [chosenLabel, setChosenLabel] = useState('');
  // Typing searches; the chosen option's own label (shown in the input) is not a search.
  const query = debounced === (value ? chosenLabel : SAMPLES_LABEL) ? '' : debounced;
  const options = useContactOptions(query);
  const data = useMemo(() => {
    const items = (options.data?.items ?? []).map((c) => ({ value: c.id, label: contactLabel(c) }));
    if (value && chosenLabel && !items.some((o) => o.value === value)) items.unshift({ value, label: chosenLabel });
    return [{ value: SAMPLES, label: SAMPLES_LABEL }, ...items];
  }, [options.data, value, chosenLabel]);

  return (
    <Select
      size="xs"
      aria-label="Preview for"
      leftSection={<IconUser size={14} />}
      data={data}
      value={value}
      onChange={(v, opt) => {
        onChange(v ?? SAMPLES);
        setChosenLabel(v ? opt.label : '');
      }}
      searchable
      searchValue={search}
      onSearchChange={setSearch}
      filter={({ options: o }) => o}
      nothingFoundMessage={options.isFetching ? 'Searching…' : 'No contact matches'}
      allowDeselect={false}
      comboboxProps={{ withinPortal: true }}
      description="Render with the declared samples, or for one of your contacts"
    />
  );
}

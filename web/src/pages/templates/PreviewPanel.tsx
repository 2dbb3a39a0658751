import { Alert, Badge, Box, Card, Group, Loader, SegmentedControl, Stack, Text, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconEye } from '@tabler/icons-react';
import { useMemo, useState } from 'react';
import { EmptyState } from '@/components/EmptyState';
import { ErrorAlert } from '@/components/ErrorAlert';
import { useTemplatePreview, type Template } from './api';
import type { VarRow } from './variables';

/** The saved newest version rendered with the panel's sample values. */
export function PreviewPanel({ template, rows, dirty }: { template: Template | undefined; rows: VarRow[]; dirty: boolean }) {
  const samples: Record<string, string> = {};
  for (const r of rows) if (r.name.trim() && r.sample !== '') samples[r.name.trim()] = r.sample;
  const [debounced] = useDebouncedValue(JSON.stringify(samples), 400);
  const values = useMemo(() => JSON.parse(debounced) as Record<string, string>, [debounced]);
  const preview = useTemplatePreview(template?.id, values, undefined);
  const [part, setPart] = useState<'html' | 'text'>('html');
  const isEmail = template?.channel === 'email';

  return (
    <Card data-testid="preview-panel" style={{ position: 'relative' }}>
      <Group justify="space-between" mb="sm" wrap="nowrap">
        <Group gap={8}>
          <Title order={4} fz="md">
            Preview
          </Title>
          {preview.isFetching && <Loader size={14} />}
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
      {!template ? (
        <EmptyState icon={<IconEye size={22} />} title="Save to preview" compact>
          Save the draft to see it rendered with your sample values.
        </EmptyState>
      ) : preview.isError ? (
        <ErrorAlert error={preview.error} title="Couldn't render the preview" onRetry={() => void preview.refetch()} />
      ) : !preview.data ? (
        <Box h={160} />
      ) : (
        <Stack gap="sm">
          {dirty && (
            <Text size="xs" c="dimmed">
              Showing the saved version {preview.data.version}; save to preview your changes.
            </Text>
          )}
          {(preview.data.missing ?? []).length > 0 && (
            <Alert color="orange" variant="light" p="xs" data-testid="preview-missing">
              <Group gap={6} wrap="wrap">
                <Text size="xs">No value or default for:</Text>
                {(preview.data.missing ?? []).map((m) => (
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
                <Text size="sm" fw={600} data-testid="preview-subject" style={{ overflowWrap: 'anywhere' }}>
                  {preview.data.subject}
                </Text>
              </Box>
              {part === 'html' ? (
                <iframe
                  title="Email preview"
                  sandbox=""
                  srcDoc={`<!doctype html><html><head><meta charset="utf-8"><style>body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;font-size:14px;line-height:1.5;color:#222;margin:12px;overflow-wrap:anywhere}</style></head><body>${preview.data.html}</body></html>`}
                  style={{ width: '100%', height: 360, border: '1px solid var(--mantine-color-gray-3)', borderRadius: 6, background: 'white' }}
                  data-testid="preview-html"
                />
              ) : (
                <Box
                  component="pre"
                  p="sm"
                  m={0}
                  data-testid="preview-text"
                  style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', fontSize: 13, border: '1px solid var(--mantine-color-gray-3)', borderRadius: 6, maxHeight: 360, overflow: 'auto' }}
                >
                  {preview.data.text}
                </Box>
              )}
              {preview.data.footer_appended?.html && (
                <Text size="xs" c="dimmed">
                  Your organization's email footer was added because the body has no {'{{unsubscribe_url}}'}.
                </Text>
              )}
            </>
          ) : (
            <Box p="md" style={{ background: 'var(--mantine-color-gray-0)', borderRadius: 8 }}>
              <Box
                p="sm"
                data-testid="preview-body"
                style={{
                  background: template.channel === 'whatsapp' ? '#dcf8c6' : 'white',
                  borderRadius: 10,
                  maxWidth: '90%',
                  whiteSpace: 'pre-wrap',
                  overflowWrap: 'anywhere',
                  fontSize: 14,
                  boxShadow: '0 1px 1px rgba(0,0,0,.08)',
                }}
              >
                {preview.data.body}
              </Box>
            </Box>
          )}
        </Stack>
      )}
    </Card>
  );
}

import {
  Alert,
  Anchor,
  Badge,
  Box,
  Breadcrumbs,
  Button,
  Card,
  Code,
  CopyButton,
  Grid,
  Group,
  Loader,
  SegmentedControl,
  Skeleton,
  Stack,
  Text,
  ThemeIcon,
  Timeline,
  Title,
  Tooltip,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import {
  IconAlertTriangle,
  IconArrowLeft,
  IconCheck,
  IconCircleDot,
  IconClock,
  IconCopy,
  IconDownload,
  IconFile,
  IconRefresh,
  IconServer,
  IconX,
} from '@tabler/icons-react';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { describeError } from '@/api/problem';
import { ErrorAlert } from '@/components/ErrorAlert';
import { formatDateTime, formatRelative } from '@/lib/format';
import { downloadUpload, useMessage } from './api';
import { CHANNEL_META, fileSize, type Message, type MessageEvent, orderTimeline, PATHS, pollInterval, statusMeta } from './model';
import { ChannelIcon, StatusBadge } from './parts';

/** One message: its content, attachments, error and delivery timeline. */
export function MessagePage() {
  const { id } = useParams();
  const q = useMessage(id);

  if (q.isPending) {
    return (
      <Stack>
        <Skeleton h={40} w={360} />
        <Skeleton h={280} />
      </Stack>
    );
  }
  if (q.isError) {
    return (
      <Stack>
        <Back />
        <ErrorAlert error={q.error} title="Couldn't load the message" onRetry={() => void q.refetch()} />
      </Stack>
    );
  }
  const m = q.data;
  const meta = CHANNEL_META[m.channel];
  const polling = pollInterval(m) !== false;

  return (
    <>
      <Breadcrumbs mb="sm" separator="›">
        <Anchor component={Link} to={m.channel === 'email' ? PATHS.email : PATHS.outbound} size="sm">
          {m.channel === 'email' ? 'Email log' : 'Outbound log'}
        </Anchor>
        <Text size="sm" c="dimmed">
          Message
        </Text>
      </Breadcrumbs>
      <Group justify="space-between" align="flex-start" mb="lg" wrap="wrap" gap="md">
        <Group gap="md" wrap="nowrap" style={{ minWidth: 0 }}>
          <ChannelIcon channel={m.channel} size={44} />
          <Stack gap={2} style={{ minWidth: 0 }}>
            <Title order={2} fz={{ base: 20, sm: 24 }} style={{ overflowWrap: 'anywhere' }}>
              {m.subject || `${meta.label} message`}
            </Title>
            <Text size="sm" c="dimmed">
              To <b>{m.to}</b> · {formatDateTime(m.created_at)}
            </Text>
          </Stack>
        </Group>
        <Group gap="sm">
          {polling && (
            <Tooltip label="This page follows the message's status as it changes">
              <Badge variant="dot" color="teal" size="lg" tt="none" leftSection={q.isFetching ? <Loader size={10} /> : undefined}>
                Live
              </Badge>
            </Tooltip>
          )}
          <StatusBadge status={m.status} size="lg" />
        </Group>
      </Group>

      {m.error_reason && (
        <Alert color="red" variant="light" icon={<IconAlertTriangle size={18} />} mb="lg" title={failureTitle(m)} data-testid="message-error">
          <Text size="sm">{m.error_reason}</Text>
          {m.error_code && (
            <Text size="xs" c="dimmed" mt={4}>
              Provider code {m.error_code}
            </Text>
          )}
        </Alert>
      )}

      <Grid gutter="lg">
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Stack gap="lg">
            <ContentCard m={m} />
            {(m.attachments?.length ?? 0) > 0 && <AttachmentsCard m={m} />}
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Stack gap="lg">
            <TimelineCard m={m} onRefresh={() => void q.refetch()} refreshing={q.isFetching} />
            <DetailsCard m={m} />
          </Stack>
        </Grid.Col>
      </Grid>
    </>
  );
}

function Back() {
  return (
    <Button variant="subtle" leftSection={<IconArrowLeft size={16} />} component={Link} to={PATHS.outbound} w="fit-content">
      Outbound log
    </Button>
  );
}

function failureTitle(m: Message): string {
  if (m.status === 'failed' || m.status === 'bounced' || m.status === 'undelivered' || m.status === 'spam') return `${statusMeta(m.status).label}: why`;
  return 'Last error (the send is being retried)';
}

function ContentCard({ m }: { m: Message }) {
  const [part, setPart] = useState<'html' | 'text'>(m.body_html ? 'html' : 'text');
  const isEmail = m.channel === 'email';
  return (
    <Card data-testid="message-content">
      <Group justify="space-between" mb="sm">
        <Title order={4} fz="md">
          Content
        </Title>
        {isEmail && m.body_html && (
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
      {isEmail ? (
        <Stack gap="xs">
          <Box p="xs" style={{ background: 'var(--mantine-color-gray-0)', borderRadius: 6 }}>
            <Text size="xs" c="dimmed">
              Subject
            </Text>
            <Text size="sm" fw={600}>
              {m.subject || '—'}
            </Text>
          </Box>
          {part === 'html' && m.body_html ? (
            <iframe
              title="Email as sent"
              sandbox=""
              srcDoc={`<!doctype html><html><head><meta charset="utf-8"><style>body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;font-size:14px;line-height:1.5;color:#222;margin:12px;overflow-wrap:anywhere}</style></head><body>${m.body_html}</body></html>`}
              style={{ width: '100%', height: 320, border: '1px solid var(--mantine-color-gray-3)', borderRadius: 6, background: 'white' }}
            />
          ) : (
            <Box component="pre" p="sm" m={0} fz="sm" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', fontFamily: 'inherit', border: '1px solid var(--mantine-color-gray-3)', borderRadius: 6 }}>
              {m.body_text}
            </Box>
          )}
        </Stack>
      ) : (
        <Box p="md" style={{ background: 'var(--mantine-color-gray-1)', borderRadius: 12 }}>
          <Box ml="auto" maw="85%" p="sm" style={{ background: 'var(--mantine-color-blue-1)', borderRadius: '14px 14px 4px 14px', whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
            <Text size="sm">{m.body_text || (m.attachments?.length ? `Attachment: ${m.attachments[0]!.filename}` : '—')}</Text>
          </Box>
        </Box>
      )}
      {m.template_id && (
        <Text size="xs" c="dimmed" mt="sm">
          From the template{' '}
          <Anchor component={Link} to={`/templates/${m.template_id}`} size="xs">
            version {m.template_version}
          </Anchor>
          .
        </Text>
      )}
    </Card>
  );
}

function AttachmentsCard({ m }: { m: Message }) {
  const [busy, setBusy] = useState<string | null>(null);
  const download = async (id: string, name: string) => {
    setBusy(id);
    try {
      await downloadUpload(id, name);
    } catch (err) {
      notifications.show({ color: 'red', title: 'Download failed', message: describeError(err).message });
    } finally {
      setBusy(null);
    }
  };
  return (
    <Card data-testid="message-attachments">
      <Title order={4} fz="md" mb="sm">
        Attachments
      </Title>
      <Stack gap="xs">
        {(m.attachments ?? []).map((a) => (
          <Group key={a.id} justify="space-between" wrap="nowrap" p="xs" style={{ border: '1px solid var(--mantine-color-gray-3)', borderRadius: 6 }}>
            <Group gap="xs" wrap="nowrap" style={{ minWidth: 0 }}>
              <IconFile size={18} color="var(--mantine-color-gray-6)" />
              <div style={{ minWidth: 0 }}>
                <Text size="sm" truncate>
                  {a.filename}
                </Text>
                <Text size="xs" c="dimmed">
                  {a.content_type} · {fileSize(a.size)}
                </Text>
              </div>
            </Group>
            <Button
              size="xs"
              variant="default"
              leftSection={<IconDownload size={14} />}
              loading={busy === a.id}
              onClick={() => void download(a.id, a.filename)}
              aria-label={`Download ${a.filename}`}
            >
              Download
            </Button>
          </Group>
        ))}
      </Stack>
    </Card>
  );
}

const SOURCE_LABEL: Record<string, string> = { api: 'Switchboard', worker: 'Send worker', provider: 'Provider' };

/** The icon of a timeline step. */
function stepIcon(status: string) {
  if (['failed', 'bounced', 'undelivered', 'spam'].includes(status)) return <IconX size={12} />;
  if (['delivered', 'read', 'opened', 'clicked', 'sent'].includes(status)) return <IconCheck size={12} />;
  if (status === 'queued' || status === 'sending') return <IconClock size={12} />;
  return <IconCircleDot size={12} />;
}

/** A timeline detail's fields worth showing, in words. */
function detailLines(e: MessageEvent): string[] {
  const d = (e.detail ?? {}) as Record<string, unknown>;
  const out: string[] = [];
  const label: Record<string, string> = {
    reason: 'Reason',
    code: 'Code',
    type: 'Type',
    url: 'Link',
    provider_message_id: 'Provider id',
    attempt: 'Attempt',
    retry_after_ms: 'Retry after',
  };
  for (const [k, v] of Object.entries(d)) {
    if (v === '' || v == null || !(k in label)) continue;
    const value = k === 'retry_after_ms' ? `${Math.round(Number(v) / 100) / 10} s` : String(v);
    out.push(`${label[k]}: ${value}`);
  }
  return out;
}

function TimelineCard({ m, onRefresh, refreshing }: { m: Message; onRefresh: () => void; refreshing: boolean }) {
  const events = orderTimeline(m.events ?? []);
  const provider = CHANNEL_META[m.channel].provider;
  return (
    <Card data-testid="message-timeline">
      <Group justify="space-between" mb="md">
        <Title order={4} fz="md">
          Timeline
        </Title>
        <Button size="compact-xs" variant="subtle" leftSection={<IconRefresh size={12} />} onClick={onRefresh} loading={refreshing}>
          Refresh
        </Button>
      </Group>
      <Timeline active={events.length - 1} bulletSize={22} lineWidth={2}>
        {events.map((e, i) => {
          const meta = statusMeta(e.status);
          return (
            <Timeline.Item
              key={i}
              color={meta.color}
              bullet={
                <ThemeIcon size={22} radius="xl" color={meta.color} variant={i === events.length - 1 ? 'filled' : 'light'}>
                  {stepIcon(e.status)}
                </ThemeIcon>
              }
              title={
                <Group gap={6} wrap="nowrap">
                  <Text size="sm" fw={600}>
                    {meta.label}
                  </Text>
                  <Badge size="xs" variant="outline" color="gray" tt="none" leftSection={e.source === 'provider' ? <IconServer size={9} /> : undefined}>
                    {e.source === 'provider' ? provider : (SOURCE_LABEL[e.source] ?? e.source)}
                  </Badge>
                </Group>
              }
              data-testid="timeline-step"
              data-status={e.status}
            >
              <Tooltip label={formatDateTime(e.occurred_at)}>
                <Text size="xs" c="dimmed" w="fit-content">
                  {formatRelative(e.occurred_at)} · {new Date(e.occurred_at).toLocaleTimeString()}
                </Text>
              </Tooltip>
              {detailLines(e).map((l) => (
                <Text key={l} size="xs" mt={2} style={{ overflowWrap: 'anywhere' }}>
                  {l}
                </Text>
              ))}
            </Timeline.Item>
          );
        })}
      </Timeline>
      {pollInterval(m) !== false && (
        <Text size="xs" c="dimmed" mt="md">
          Waiting for {provider} to report what happens next…
        </Text>
      )}
    </Card>
  );
}

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <Group justify="space-between" align="flex-start" wrap="nowrap" gap="md">
      <Text size="sm" c="dimmed" style={{ flex: '0 0 auto' }}>
        {label}
      </Text>
      <Box ta="right" style={{ minWidth: 0, overflowWrap: 'anywhere' }}>
        {children}
      </Box>
    </Group>
  );
}

function DetailsCard({ m }: { m: Message }) {
  const meta = CHANNEL_META[m.channel];
  return (
    <Card data-testid="message-details">
      <Title order={4} fz="md" mb="sm">
        Details
      </Title>
      <Stack gap={8}>
        <Row label="Channel">
          <Text size="sm">{meta.label === meta.provider ? meta.label : `${meta.label} · ${meta.provider}`}</Text>
        </Row>
        <Row label="To">
          <Text size="sm">{m.to}</Text>
          {m.contact_id && (
            <Anchor component={Link} to={PATHS.contact(m.contact_id)} size="xs">
              Open contact
            </Anchor>
          )}
        </Row>
        {m.conversation_id && (
          <Row label="Conversation">
            <Anchor component={Link} to={PATHS.conversation(m.conversation_id)} size="sm">
              Open thread
            </Anchor>
          </Row>
        )}
        <Row label="Provider id">
          {m.provider_message_id ? (
            <Group gap={4} wrap="nowrap" justify="flex-end">
              <Code fz="xs">{m.provider_message_id}</Code>
              <CopyButton value={m.provider_message_id}>
                {({ copied, copy }) => (
                  <Tooltip label={copied ? 'Copied' : 'Copy'}>
                    <Button size="compact-xs" variant="subtle" color="gray" onClick={copy} aria-label="Copy the provider id">
                      {copied ? <IconCheck size={12} /> : <IconCopy size={12} />}
                    </Button>
                  </Tooltip>
                )}
              </CopyButton>
            </Group>
          ) : (
            <Text size="sm" c="dimmed">
              Not sent yet
            </Text>
          )}
        </Row>
        <Row label="Attempts">
          <Text size="sm">{m.attempts}</Text>
        </Row>
        <Row label="Sent by">
          <Text size="sm">{m.api_key_id ? 'An API key' : m.created_by ? 'A member, from the dashboard or a conversation' : 'Switchboard'}</Text>
        </Row>
        {(
          [
            ['Queued', m.created_at],
            ['Sent', m.sent_at],
            ['Delivered', m.delivered_at],
            [m.channel === 'email' ? 'Opened' : 'Read', m.read_at],
            ['Failed', m.failed_at],
          ] as const
        )
          .filter(([, at]) => !!at)
          .map(([label, at]) => (
            <Row key={label} label={label}>
              <Text size="sm">{formatDateTime(at)}</Text>
            </Row>
          ))}
      </Stack>
    </Card>
  );
}

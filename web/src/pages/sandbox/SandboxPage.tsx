import {
  ActionIcon,
  Alert,
  Anchor,
  Badge,
  Box,
  Button,
  Card,
  CloseButton,
  FileButton,
  Grid,
  Group,
  NumberInput,
  ScrollArea,
  SegmentedControl,
  SimpleGrid,
  Skeleton,
  Stack,
  Switch,
  Table,
  Tabs,
  Text,
  Textarea,
  TextInput,
  Title,
  Tooltip,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import {
  IconAdjustments,
  IconArrowDownLeft,
  IconArrowUpRight,
  IconCheck,
  IconDeviceMobile,
  IconDice5,
  IconFlask,
  IconPaperclip,
  IconSend,
  IconTrafficLights,
  IconWebhook,
} from '@tabler/icons-react';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { describeError, mapErrorToForm } from '@/api/problem';
import { EmptyState } from '@/components/EmptyState';
import { ErrorAlert } from '@/components/ErrorAlert';
import { PageHeader } from '@/components/PageHeader';
import { useCurrent } from '@/layout/CurrentContext';
import { formatDateTime } from '@/lib/format';
import { atLeast } from '@/lib/roles';
import { useChannelList } from '@/pages/messages/api';
import { CHANNEL_META, fileSize, PATHS } from '@/pages/messages/model';
import { ChannelIcon, StatusBadge, When } from '@/pages/messages/parts';
import {
  type Behaviour,
  type Outcome,
  type Provider,
  type SandboxChannel,
  type SandboxMessage,
  useTraffic,
  usePlay,
  usePutSandboxConfig,
  useSandboxConfig,
} from './api';
import { type ChatChannel, fileToBase64, MAX_PLAY_BYTES, type Persona, personaAddress, personaProblem, phoneThread, randomPersona } from './personas';

const CHAT: ChatChannel[] = ['whatsapp', 'telegram', 'instagram'];

/**
 * The sandbox: play a contact writing to the org (the message arrives as
 * the provider's real webhook), watch the provider traffic, and change how
 * the simulated providers behave.
 */
export function SandboxPage() {
  const channels = useChannelList();
  const [live, setLive] = useState(true);
  const traffic = useTraffic(live, !!channels.data?.sandbox);

  if (channels.data && !channels.data.sandbox) {
    return (
      <>
        <PageHeader title="Sandbox" />
        <Card>
          <EmptyState icon={<IconFlask size={24} />} title="The sandbox is off">
            This server talks to the real providers. The provider sandbox runs only when the server is started with SANDBOX=1 (as `make run` does).
          </EmptyState>
        </Card>
      </>
    );
  }

  const states = traffic.data?.channels ?? [];
  return (
    <>
      <PageHeader
        title="Sandbox"
        description="The built-in provider simulator. Play a contact writing to you on WhatsApp, Telegram or Instagram: the message reaches Switchboard as the provider's real, signed webhook and shows up in Conversations. Below, the traffic between your channels and the simulated providers."
        actions={
          <Group gap="sm">
            <Badge variant="light" color="grape" size="lg" tt="none" leftSection={<IconFlask size={14} />}>
              Sandbox mode
            </Badge>
            <Switch label="Auto-refresh" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} />
          </Group>
        }
      />
      <Grid gutter="lg">
        <Grid.Col span={{ base: 12, lg: 5 }}>
          <PlayCard states={states} messages={traffic.data?.messages ?? []} loading={traffic.isPending} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 7 }}>
          <Stack gap="lg">
            <ChannelsCard states={states} loading={traffic.isPending} />
            <Card p={0}>
              <Tabs defaultValue="messages">
                <Tabs.List px="md" pt="xs">
                  <Tabs.Tab value="messages" leftSection={<IconTrafficLights size={14} />}>
                    Messages
                  </Tabs.Tab>
                  <Tabs.Tab value="webhooks" leftSection={<IconWebhook size={14} />}>
                    Webhooks
                  </Tabs.Tab>
                  <Tabs.Tab value="behaviour" leftSection={<IconAdjustments size={14} />}>
                    Behaviour
                  </Tabs.Tab>
                </Tabs.List>
                <Tabs.Panel value="messages">
                  {traffic.isError ? (
                    <Box p="md">
                      <ErrorAlert error={traffic.error} title="Couldn't load the sandbox traffic" onRetry={() => void traffic.refetch()} />
                    </Box>
                  ) : (
                    <MessagesTable messages={traffic.data?.messages ?? []} loading={traffic.isPending} />
                  )}
                </Tabs.Panel>
                <Tabs.Panel value="webhooks">
                  <WebhooksTable webhooks={traffic.data?.webhooks ?? []} loading={traffic.isPending} />
                </Tabs.Panel>
                <Tabs.Panel value="behaviour" p="md">
                  <BehaviourForm />
                </Tabs.Panel>
              </Tabs>
            </Card>
          </Stack>
        </Grid.Col>
      </Grid>
    </>
  );
}

/** The phone: a persona, what they write, and the thread as they see it. */
function PlayCard({ states, messages, loading }: { states: SandboxChannel[]; messages: SandboxMessage[]; loading: boolean }) {
  const { role } = useCurrent();
  const canPlay = atLeast(role, 'member');
  const navigate = useNavigate();
  const [channel, setChannel] = useState<ChatChannel>('whatsapp');
  const [personas, setPersonas] = useState<Record<ChatChannel, Persona>>(() => ({
    whatsapp: { name: 'Maria Garcia', phone: '+14155550123', id: '', username: '' },
    telegram: { name: 'Alex Kim', phone: '', id: '310200300', username: 'alexkim' },
    instagram: { name: 'Sam Lee', phone: '', id: '17841400012345678', username: '' },
  }));
  const persona = personas[channel];
  const setPersona = (p: Partial<Persona>) => setPersonas((all) => ({ ...all, [channel]: { ...all[channel], ...p } }));
  const [text, setText] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const play = usePlay();
  const state = states.find((s) => s.channel === channel);
  const address = personaAddress(channel, persona);
  const thread = phoneThread(messages, channel, address);
  const problem = personaProblem(channel, persona);
  const viewport = useRef<HTMLDivElement>(null);
  // The newest message in view. Braces: scroll methods return a promise in
  // recent browsers, and an effect may return nothing but a clean-up.
  useEffect(() => {
    viewport.current?.scrollTo({ top: viewport.current.scrollHeight });
  }, [thread.length]);

  const send = async () => {
    setErrors({});
    if (file && file.size > MAX_PLAY_BYTES) {
      setErrors({ media: `The file is ${fileSize(file.size)}; the sandbox page sends files up to 5 MB.` });
      return;
    }
    try {
      const media = file ? { filename: file.name, content_type: file.type || undefined, base64: await fileToBase64(file) } : undefined;
      await play.mutateAsync({
        channel,
        from: { name: persona.name, ...(channel === 'whatsapp' ? { phone: persona.phone.trim() } : { id: persona.id.trim() }), ...(channel === 'telegram' && persona.username ? { username: persona.username } : {}) },
        ...(text.trim() ? { text } : {}),
        ...(media ? { media } : {}),
      });
      notifications.show({
        color: 'teal',
        icon: <IconCheck size={16} />,
        title: 'Sent from the phone',
        message: (
          <Text size="sm">
            {CHANNEL_META[channel].provider} is delivering it to your webhook.{' '}
            {/* Notifications render outside the router: navigate from here. */}
            <Anchor
              href="/messaging/conversations"
              size="sm"
              onClick={(e) => {
                e.preventDefault();
                navigate('/messaging/conversations');
              }}
            >
              Open Conversations
            </Anchor>
          </Text>
        ),
      });
      setText('');
      setFile(null);
    } catch (err) {
      const mapped = mapErrorToForm(err, ['text', 'media', 'from.phone', 'from.id']);
      setErrors({ ...mapped.fieldErrors, ...(mapped.formError ? { form: mapped.formError } : {}) });
    }
  };

  return (
    <Card data-testid="play-card">
      <Group justify="space-between" mb="md">
        <Group gap="xs">
          <IconDeviceMobile size={20} />
          <Title order={4} fz="md">
            Play a contact
          </Title>
        </Group>
        <Tooltip label="A new random person">
          <ActionIcon variant="default" onClick={() => setPersona(randomPersona(channel))} aria-label="New persona">
            <IconDice5 size={16} />
          </ActionIcon>
        </Tooltip>
      </Group>
      <Stack gap="sm">
        <SegmentedControl
          fullWidth
          value={channel}
          onChange={(v) => setChannel(v as ChatChannel)}
          data={CHAT.map((c) => {
            const M = CHANNEL_META[c];
            return {
              value: c,
              label: (
                <Group gap={6} justify="center" wrap="nowrap">
                  <M.icon size={16} stroke={1.7} />
                  <span>{M.label}</span>
                </Group>
              ),
            };
          })}
          data-testid="play-channel"
        />
        {!loading && state && !state.registered && (
          <Alert color="orange" variant="light" p="sm" data-testid="play-not-ready">
            <Text size="sm">
              {!state.configured
                ? `${CHANNEL_META[channel].label} is not set up.`
                : `The sandbox doesn't know where to deliver ${CHANNEL_META[channel].label} messages yet.`}{' '}
              <Anchor component={Link} to="/settings/channels" size="sm">
                {state.configured ? 'Run Test connection' : 'Use sandbox credentials'} in Settings → Channels
              </Anchor>
              .
            </Text>
          </Alert>
        )}
        <SimpleGrid cols={2} spacing="sm">
          <TextInput label="Name" value={persona.name} onChange={(e) => setPersona({ name: e.currentTarget.value })} data-testid="persona-name" />
          {channel === 'whatsapp' ? (
            <TextInput
              label="Phone"
              value={persona.phone}
              onChange={(e) => setPersona({ phone: e.currentTarget.value })}
              error={problem ?? errors['from.phone']}
              data-testid="persona-phone"
            />
          ) : (
            <TextInput
              label={channel === 'telegram' ? 'Chat id' : 'Instagram-scoped id'}
              value={persona.id}
              onChange={(e) => setPersona({ id: e.currentTarget.value })}
              error={problem ?? errors['from.id']}
              data-testid="persona-id"
            />
          )}
        </SimpleGrid>
        {channel === 'telegram' && (
          <TextInput label="Username" leftSection="@" value={persona.username} onChange={(e) => setPersona({ username: e.currentTarget.value.replace(/^@/, '') })} />
        )}
        {state?.address && (
          <Text size="xs" c="dimmed">
            Writes to {channel === 'whatsapp' ? 'your WhatsApp sender' : channel === 'telegram' ? 'your bot' : 'your Instagram account'}{' '}
            <b>{state.address}</b>
          </Text>
        )}

        <Box
          p="sm"
          style={{ background: 'var(--mantine-color-gray-1)', borderRadius: 14, border: '1px solid var(--mantine-color-gray-3)' }}
          data-testid="phone-thread"
        >
          <Group gap={6} mb="xs">
            <ChannelIcon channel={channel} size={20} />
            <Text size="xs" fw={600}>
              {persona.name || 'Contact'}'s phone
            </Text>
          </Group>
          <ScrollArea h={240} type="auto" viewportRef={viewport}>
            {thread.length === 0 ? (
              <Text size="xs" c="dimmed" ta="center" mt={90}>
                Nothing exchanged with {persona.name || 'this contact'} yet.
              </Text>
            ) : (
              <Stack gap={6} pr="xs">
                {thread.map((m) => {
                  const mine = m.direction === 'inbound';
                  return (
                    <Box
                      key={`${m.direction}-${m.id}`}
                      maw="80%"
                      ml={mine ? 'auto' : undefined}
                      px="sm"
                      py={6}
                      style={{
                        background: mine ? 'var(--mantine-color-green-1)' : 'white',
                        borderRadius: mine ? '12px 12px 4px 12px' : '12px 12px 12px 4px',
                        boxShadow: '0 1px 1px rgba(0,0,0,0.06)',
                      }}
                    >
                      {(m.attachments ?? []).map((a, i) => (
                        <Group key={i} gap={4} wrap="nowrap">
                          <IconPaperclip size={12} color="var(--mantine-color-gray-6)" />
                          <Text size="xs" c="dimmed">
                            {a.name || a.content_type} · {fileSize(a.size)}
                          </Text>
                        </Group>
                      ))}
                      {m.body && (
                        <Text size="sm" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
                          {m.body}
                        </Text>
                      )}
                      <Text size="10px" c="dimmed" ta="right">
                        {new Date(m.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}
                        {!mine && ` · ${m.status}`}
                      </Text>
                    </Box>
                  );
                })}
              </Stack>
            )}
          </ScrollArea>
        </Box>

        <Textarea
          placeholder={`Write as ${persona.name || 'the contact'}…`}
          autosize
          minRows={2}
          maxRows={6}
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
          error={errors.text}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) void send();
          }}
          aria-label="Message from the contact"
          data-testid="play-text"
        />
        {file && (
          <Group gap={6} wrap="nowrap">
            <Badge variant="light" tt="none" leftSection={<IconPaperclip size={12} />} rightSection={<CloseButton size="xs" onClick={() => setFile(null)} aria-label="Remove the file" />}>
              {file.name} · {fileSize(file.size)}
            </Badge>
          </Group>
        )}
        {errors.media && (
          <Text size="xs" c="red.7">
            {errors.media}
          </Text>
        )}
        {errors.form && (
          <Alert color="red" variant="light" p="sm" title="The sandbox did not send it" data-testid="play-error">
            <Text size="sm">{errors.form}</Text>
          </Alert>
        )}
        <Group justify="space-between">
          <FileButton onChange={setFile} accept="image/*,application/pdf,audio/*,video/*">
            {(props) => (
              <Button {...props} variant="default" size="xs" leftSection={<IconPaperclip size={14} />}>
                Image or file
              </Button>
            )}
          </FileButton>
          <Button
            leftSection={<IconSend size={16} />}
            onClick={() => void send()}
            loading={play.isPending}
            disabled={!canPlay || !!problem || (!text.trim() && !file) || (!!state && !state.registered)}
            data-testid="play-send"
          >
            Send from the phone
          </Button>
        </Group>
      </Stack>
    </Card>
  );
}

/** Each channel as the sandbox sees the org. */
function ChannelsCard({ states, loading }: { states: SandboxChannel[]; loading: boolean }) {
  return (
    <Card>
      <Group justify="space-between" mb="sm">
        <Title order={4} fz="md">
          Your channels in the sandbox
        </Title>
        <Anchor component={Link} to="/settings/channels" size="sm">
          Settings → Channels
        </Anchor>
      </Group>
      {loading ? (
        <Skeleton h={60} />
      ) : (
        <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
          {states.map((s) => {
            const c = s.channel as keyof typeof CHANNEL_META;
            return (
              <Group key={s.channel} gap="sm" wrap="nowrap" p="xs" style={{ border: '1px solid var(--mantine-color-gray-3)', borderRadius: 8 }} data-testid={`sandbox-channel-${s.channel}`}>
                <ChannelIcon channel={c} />
                <div style={{ minWidth: 0 }}>
                  <Group gap={6}>
                    <Text size="sm" fw={500}>
                      {CHANNEL_META[c].label}
                    </Text>
                    <Badge size="xs" variant="light" color={s.registered ? 'teal' : s.configured ? 'orange' : 'gray'} tt="none">
                      {s.registered ? 'Connected' : s.configured ? 'Not checked' : 'Not set up'}
                    </Badge>
                  </Group>
                  <Text size="xs" c="dimmed" truncate>
                    {!s.configured ? 'Use sandbox credentials in Settings' : !s.registered ? `${s.address ? `${s.address} · ` : ''}run Test connection` : s.address || '—'}
                  </Text>
                </div>
              </Group>
            );
          })}
        </SimpleGrid>
      )}
    </Card>
  );
}

function MessagesTable({ messages, loading }: { messages: SandboxMessage[]; loading: boolean }) {
  if (loading) return <Skeleton h={160} m="md" />;
  if (!messages.length) {
    return (
      <EmptyState icon={<IconTrafficLights size={24} />} title="No traffic yet" compact>
        Messages you send (from <Anchor component={Link} to={PATHS.send}>Send</Anchor>, Conversations or the API) and the ones contacts send you show up here as the sandbox sees them.
      </EmptyState>
    );
  }
  return (
    <Table.ScrollContainer minWidth={500} mah={460}>
      <Table verticalSpacing={6} horizontalSpacing="sm" data-testid="sandbox-messages" stickyHeader>
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={36} />
            <Table.Th>From → to</Table.Th>
            <Table.Th>Message</Table.Th>
            <Table.Th>State</Table.Th>
            <Table.Th>Time</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {messages.map((m) => (
            <Table.Tr key={`${m.direction}-${m.id}`}>
              <Table.Td>
                <Tooltip label={m.direction === 'inbound' ? 'From a contact' : 'Sent by Switchboard'}>
                  {m.direction === 'inbound' ? <IconArrowDownLeft size={16} color="var(--mantine-color-grape-6)" /> : <IconArrowUpRight size={16} color="var(--mantine-color-blue-6)" />}
                </Tooltip>
              </Table.Td>
              <Table.Td>
                <Group gap={6} wrap="nowrap">
                  <ChannelIcon channel={m.channel as keyof typeof CHANNEL_META} size={20} />
                  <Text size="xs" truncate maw={170}>
                    {m.from || '—'} → {m.to}
                  </Text>
                </Group>
              </Table.Td>
              <Table.Td>
                <Text size="xs" truncate maw={200}>
                  {m.subject || m.body || (m.attachments?.length ? `Attachment: ${m.attachments[0]!.name}` : '—')}
                </Text>
              </Table.Td>
              <Table.Td>
                <StatusBadge status={m.status} size="xs" />
              </Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>
                <When at={m.at} size="xs" />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function WebhooksTable({ webhooks, loading }: { webhooks: { id: number; channel: string; kind: string; target: string; status: number; latency_ms: number; attempt: number; error?: string; at: string; events: number }[]; loading: boolean }) {
  if (loading) return <Skeleton h={160} m="md" />;
  if (!webhooks.length) {
    return (
      <EmptyState icon={<IconWebhook size={24} />} title="No webhooks fired yet" compact>
        Delivery reports and contacts' messages reach your webhook URLs from the sandbox; each call and what Switchboard answered shows here.
      </EmptyState>
    );
  }
  return (
    <Table.ScrollContainer minWidth={500} mah={460}>
      <Table verticalSpacing={6} horizontalSpacing="sm" data-testid="sandbox-webhooks" stickyHeader>
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={36} />
            <Table.Th>Kind</Table.Th>
            <Table.Th>Target</Table.Th>
            <Table.Th ta="right">Answer</Table.Th>
            <Table.Th>Time</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {webhooks.map((w) => (
            <Table.Tr key={w.id}>
              <Table.Td>
                <ChannelIcon channel={w.channel as keyof typeof CHANNEL_META} size={20} />
              </Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>
                <Text size="xs">
                  {w.kind.replace(/_/g, ' ')}
                  {w.events > 1 ? ` · ${w.events} events` : ''}
                  {w.attempt > 1 ? ` · try ${w.attempt}` : ''}
                </Text>
              </Table.Td>
              <Table.Td>
                <Tooltip label={w.target}>
                  <Text size="xs" ff="monospace" truncate maw={200}>
                    {w.target.replace(/^https?:\/\/[^/]+/, '')}
                  </Text>
                </Tooltip>
              </Table.Td>
              <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                <Tooltip label={w.error || `Switchboard answered ${w.status} in ${w.latency_ms.toFixed(1)} ms`}>
                  <Text size="xs" span>
                    <Text span size="xs" ff="monospace" c={w.status >= 200 && w.status < 300 ? 'teal.7' : 'red.7'}>
                      {w.status || 'no answer'}
                    </Text>
                    <Text span size="xs" c="dimmed">
                      {' '}
                      · {w.latency_ms < 10 ? w.latency_ms.toFixed(1) : Math.round(w.latency_ms)} ms
                    </Text>
                  </Text>
                </Tooltip>
              </Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>
                <Tooltip label={formatDateTime(w.at)}>
                  <Text size="xs" c="dimmed">
                    {new Date(w.at).toLocaleTimeString()}
                  </Text>
                </Tooltip>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

const PROVIDERS: { value: Provider; label: string; outcomes: Outcome[] }[] = [
  { value: 'sendgrid', label: 'SendGrid', outcomes: ['delivered', 'bounce', 'dropped', 'deferred', 'open', 'click', 'spam'] },
  { value: 'twilio', label: 'Twilio', outcomes: ['delivered', 'failed', 'undelivered', 'read'] },
  { value: 'telegram', label: 'Telegram', outcomes: [] },
  { value: 'instagram', label: 'Instagram', outcomes: ['read'] },
];

const OUTCOME_HELP: Record<Outcome, string> = {
  delivered: 'Weight of delivered among the final outcomes',
  bounce: 'Weight of bounces',
  dropped: 'Weight of dropped',
  deferred: 'Weight of deferred',
  failed: 'Weight of failed',
  undelivered: 'Weight of undelivered',
  open: 'Chance a delivered email is opened',
  click: 'Chance an opened email is clicked',
  spam: 'Chance a delivered email is reported as spam',
  read: 'Chance a delivered message is read',
};

/** The simulated providers' behaviour: latency, injected errors, outcomes. */
function BehaviourForm() {
  const cfg = useSandboxConfig();
  const put = usePutSandboxConfig();
  const [provider, setProvider] = useState<Provider>('sendgrid');
  const [draft, setDraft] = useState<Behaviour | null>(null);
  const current = cfg.data?.[provider];
  useEffect(() => {
    setDraft(current ? structuredClone(current) : null);
  }, [current, provider]);
  const dirty = useMemo(() => JSON.stringify(draft) !== JSON.stringify(current), [draft, current]);

  if (cfg.isPending) return <Skeleton h={220} />;
  if (cfg.isError) return <ErrorAlert error={cfg.error} title="Couldn't read the sandbox's behaviour" onRetry={() => void cfg.refetch()} />;
  if (!draft) return null;

  const num = (k: keyof Omit<Behaviour, 'outcomes'>, label: string, opts: { suffix?: string; max?: number; percent?: boolean; description?: string } = {}) => (
    <NumberInput
      size="xs"
      label={label}
      description={opts.description}
      min={0}
      max={opts.percent ? 100 : opts.max}
      suffix={opts.suffix}
      decimalScale={opts.percent ? 1 : 0}
      value={opts.percent ? Math.round(draft[k] * 1000) / 10 : draft[k]}
      onChange={(v) => setDraft({ ...draft, [k]: opts.percent ? Number(v || 0) / 100 : Number(v || 0) })}
      data-testid={`behaviour-${k}`}
    />
  );
  const meta = PROVIDERS.find((p) => p.value === provider)!;
  const save = () =>
    put.mutate(
      { [provider]: draft },
      {
        onSuccess: () => notifications.show({ color: 'teal', message: `${meta.label} behaviour saved` }),
        onError: (err) => notifications.show({ color: 'red', title: 'Not saved', message: describeError(err).message }),
      },
    );

  return (
    <Stack gap="md" data-testid="behaviour-form">
      <Group justify="space-between">
        <SegmentedControl size="xs" value={provider} onChange={(v) => setProvider(v as Provider)} data={PROVIDERS.map(({ value, label }) => ({ value, label }))} />
        <Text size="xs" c="dimmed">
          Applies to every organization on this server.
        </Text>
      </Group>
      <div>
        <Text size="sm" fw={500} mb={6}>
          Answers
        </Text>
        <SimpleGrid cols={{ base: 2, sm: 3 }} spacing="sm">
          {num('latency_ms', 'Latency (median)', { suffix: ' ms', max: 60000 })}
          {num('latency_p99_ms', 'Latency p99 (0: fixed)', { suffix: ' ms', max: 60000 })}
          {num('webhook_delay_ms', 'Webhook spacing', { suffix: ' ms', max: 600000 })}
          {num('rate_429', 'Rate limited (429)', { suffix: ' %', percent: true })}
          {num('rate_5xx', 'Server errors (5xx)', { suffix: ' %', percent: true })}
          {num('retry_after_s', 'Retry-After', { suffix: ' s', max: 3600 })}
        </SimpleGrid>
      </div>
      {meta.outcomes.length > 0 ? (
        <div>
          <Text size="sm" fw={500} mb={6}>
            Outcomes
          </Text>
          <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="sm">
            {meta.outcomes.map((o) => (
              <Tooltip key={o} label={OUTCOME_HELP[o]}>
                <NumberInput
                  size="xs"
                  label={o.charAt(0).toUpperCase() + o.slice(1)}
                  min={0}
                  max={100}
                  suffix=" %"
                  decimalScale={1}
                  value={Math.round(draft.outcomes[o] * 1000) / 10}
                  onChange={(v) => setDraft({ ...draft, outcomes: { ...draft.outcomes, [o]: Number(v || 0) / 100 } })}
                  data-testid={`outcome-${o}`}
                />
              </Tooltip>
            ))}
          </SimpleGrid>
        </div>
      ) : (
        <Text size="xs" c="dimmed">
          Telegram sends no delivery receipts: only answers can be tuned.
        </Text>
      )}
      <Text size="xs" c="dimmed">
        Addresses force outcomes whatever the rates: an email containing +bounce, +spam, +dropped or +invalid; a phone number ending in 0000 (invalid),
        0429 (rate limited), 0500 (server error), 0001 (failed), 0002 (undelivered) or 0003 (read).
      </Text>
      <Group justify="flex-end" gap="sm">
        <Button variant="default" size="xs" disabled={!dirty} onClick={() => setDraft(current ? structuredClone(current) : null)}>
          Discard
        </Button>
        <Button size="xs" disabled={!dirty} loading={put.isPending} onClick={save} data-testid="behaviour-save">
          Save {meta.label}
        </Button>
      </Group>
    </Stack>
  );
}

import '@mantine/tiptap/styles.css';
import {
  ActionIcon,
  Alert,
  Anchor,
  Badge,
  Box,
  Button,
  Card,
  Center,
  FileButton,
  Grid,
  Group,
  Loader,
  Progress,
  SegmentedControl,
  Select,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
  Tooltip,
  VisuallyHidden,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { RichTextEditor } from '@mantine/tiptap';
import {
  IconAlertTriangle,
  IconCheck,
  IconFile,
  IconPaperclip,
  IconPlugConnected,
  IconSend,
  IconTemplate,
  IconUser,
  IconX,
} from '@tabler/icons-react';
import Link from '@tiptap/extension-link';
import { useEditor } from '@tiptap/react';
import StarterKit from '@tiptap/starter-kit';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link as RouterLink, useNavigate, useSearchParams } from 'react-router';
import { ApiError, describeError } from '@/api/problem';
import { EmptyState } from '@/components/EmptyState';
import { ErrorAlert } from '@/components/ErrorAlert';
import { PageHeader } from '@/components/PageHeader';
import { useCurrent } from '@/layout/CurrentContext';
import { formatNumber } from '@/lib/format';
import { atLeast } from '@/lib/roles';
import { contactLabel } from '@/pages/contacts/api';
import {
  deleteUpload,
  uploadWithProgress,
  useChannelList,
  useContact,
  useContactSearch,
  useSendCheck,
  useSendMessage,
  useUsableTemplates,
} from './api';
import { type Attachment, charCount, type Compose, EMPTY_COMPOSE, type Recipient, toSendBody, uploading } from './compose';
import {
  type Channel,
  CHANNEL_META,
  CHANNELS,
  CHAT_LIMIT,
  type CheckProblem,
  type CheckResult,
  contactAddress,
  fileSize,
  PATHS,
  placeProblems,
  refuseFile,
  sentence,
  slotOf,
  SubmissionKeys,
  variableOf,
} from './model';

/** How long typing pauses before the form is checked again. */
const CHECK_DEBOUNCE_MS = 400;

/** Problems shown under a field. */
function Problems({ items, testId }: { items: CheckProblem[] | undefined; testId: string }) {
  if (!items?.length) return null;
  return (
    <Stack gap={2} mt={4} data-testid={testId}>
      {items.map((p, i) => (
        <Text key={i} size="xs" c={p.kind === 'missing' ? 'orange.8' : 'red.7'} role="alert">
          {sentence(p.message)}
        </Text>
      ))}
    </Stack>
  );
}

/** Send one message on any channel, checked as it is written. */
export function SendPage() {
  const { role } = useCurrent();
  const canSend = atLeast(role, 'member');
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const channels = useChannelList();
  const [form, setForm] = useState<Compose>(EMPTY_COMPOSE);
  const set = <K extends keyof Compose>(k: K, v: Compose[K]) => setForm((f) => ({ ...f, [k]: v }));
  const [attempted, setAttempted] = useState(false);
  const [refusals, setRefusals] = useState<string[]>([]);
  const keys = useRef(new SubmissionKeys());
  const send = useSendMessage();

  const items = channels.data?.items ?? [];
  const usable = (c: Channel) => items.some((s) => s.channel === c && s.configured && s.enabled);
  const available = CHANNELS.filter(usable);
  const unavailable = CHANNELS.filter((c) => !usable(c));

  // The channel: from the link (?channel=), else the first set up.
  useEffect(() => {
    if (form.channel || !channels.data) return;
    const wanted = params.get('channel') as Channel | null;
    const first = wanted && usable(wanted) ? wanted : available[0];
    if (first) set('channel', first);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [channels.data]);

  // A contact named by the link (?contact=) becomes the recipient.
  const linked = useContact(params.get('contact'));
  useEffect(() => {
    const c = linked.data;
    if (!c || !form.channel || form.recipient) return;
    set('recipient', { kind: 'contact', id: c.id, name: contactLabel(c), address: contactAddress(c, form.channel) });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [linked.data, form.channel]);

  const editor = useEditor({
    extensions: [StarterKit.configure({ link: false }), Link.configure({ openOnClick: false })],
    content: '',
    onUpdate: ({ editor: e }) => set('html', e.isEmpty ? '' : e.getHTML()),
  });

  const body = useMemo(() => toSendBody(form), [form]);
  const bodyKey = JSON.stringify(body);
  const [debouncedKey] = useDebouncedValue(bodyKey, CHECK_DEBOUNCE_MS);
  const checkBody = useMemo(() => (canSend && debouncedKey !== 'null' ? JSON.parse(debouncedKey) : null), [debouncedKey, canSend]);
  const check = useSendCheck(checkBody);
  const result: CheckResult | undefined = check.data;
  const checking = check.isFetching || bodyKey !== debouncedKey;
  const placed = placeProblems(result?.problems, attempted);

  const channel = form.channel;
  const meta = channel ? CHANNEL_META[channel] : null;

  const changeChannel = (c: Channel) => {
    setAttempted(false);
    setForm((f) => ({
      ...f,
      channel: c,
      // A contact's address differs per channel; a typed one is kept.
      recipient: f.recipient?.kind === 'contact' ? null : f.recipient,
      templateId: null,
      variables: {},
      mode: c === f.channel ? f.mode : 'write',
    }));
  };

  const addFiles = (files: File[]) => {
    if (!channel) return;
    const refused: string[] = [];
    let current = form.attachments.filter((a) => !a.error);
    for (const file of files) {
      const why = refuseFile(channel, file, current);
      if (why) {
        refused.push(why);
        continue;
      }
      const a: Attachment = { key: `${file.name}-${Date.now()}-${Math.random()}`, name: file.name, size: file.size, progress: 0 };
      current = [...current, a];
      setForm((f) => ({ ...f, attachments: [...f.attachments, a] }));
      const patch = (p: Partial<Attachment>) =>
        setForm((f) => ({ ...f, attachments: f.attachments.map((x) => (x.key === a.key ? { ...x, ...p } : x)) }));
      uploadWithProgress(file, (progress) => patch({ progress }))
        .then((upload) => patch({ upload, progress: 1 }))
        .catch((err: unknown) => patch({ error: describeError(err).message }));
    }
    setRefusals(refused);
  };

  const removeFile = (a: Attachment) => {
    setForm((f) => ({ ...f, attachments: f.attachments.filter((x) => x.key !== a.key) }));
    // An upload no message uses is deleted; a failure leaves a harmless orphan.
    if (a.upload) void deleteUpload(a.upload.id).catch(() => {});
  };

  const submit = async () => {
    if (send.isPending) return;
    setAttempted(true);
    // Without a recipient there is nothing to send (a second click after the form was cleared).
    if (!body || uploading(form) || (!body.to && !body.contact_id)) return;
    // A current check that found problems: show them rather than send.
    if (result && !result.ok && !checking && !check.isError) return;
    const key = keys.current.keyFor(body);
    try {
      const m = await send.mutateAsync({ body, key });
      keys.current.reset();
      notifications.show({
        id: `sent-${m.id}`,
        color: 'teal',
        icon: <IconCheck size={16} />,
        title: `${CHANNEL_META[m.channel].label} message queued`,
        message: (
          <Text size="sm">
            To {m.to}.{' '}
            {/* Notifications render outside the router: navigate from here. */}
            <Anchor
              href={PATHS.message(m.id)}
              size="sm"
              data-testid="sent-link"
              onClick={(e) => {
                e.preventDefault();
                notifications.hide(`sent-${m.id}`);
                navigate(PATHS.message(m.id));
              }}
            >
              Follow its delivery
            </Anchor>
          </Text>
        ),
        autoClose: 8000,
      });
      setAttempted(false);
      setRefusals([]);
      editor?.commands.clearContent();
      setForm((f) => ({ ...EMPTY_COMPOSE, channel: f.channel, format: f.format }));
    } catch {
      // Shown below the button.
    }
  };

  if (channels.isPending) {
    return (
      <Center h={300}>
        <Loader />
      </Center>
    );
  }
  if (channels.isError) return <ErrorAlert error={channels.error} title="Couldn't load the channels" onRetry={() => void channels.refetch()} />;

  return (
    <>
      <PageHeader
        title="Send a message"
        description="One message to one person, on any channel you have set up. It is checked against the suppression list and the person's consent as you write, and you can follow its delivery afterwards."
        actions={
          <Button variant="default" component={RouterLink} to={PATHS.outbound}>
            Outbound log
          </Button>
        }
      />
      {!canSend && (
        <Alert color="gray" mb="md" icon={<IconAlertTriangle size={18} />}>
          Your role (viewer) can read the logs but not send messages.
        </Alert>
      )}
      {available.length === 0 ? (
        <Card>
          <EmptyState
            icon={<IconPlugConnected size={24} />}
            title="No channel is set up yet"
            action={
              <Button component={RouterLink} to="/settings/channels">
                Set up channels
              </Button>
            }
          >
            Connect email, WhatsApp, Telegram or Instagram under Settings → Channels to send messages.
          </EmptyState>
        </Card>
      ) : (
        <Grid gutter="lg">
          <Grid.Col span={{ base: 12, md: 7 }}>
            <Card>
              <Stack gap="lg">
                <div>
                  <Text size="sm" fw={500} mb={6}>
                    Channel
                  </Text>
                  <SegmentedControl
                    fullWidth
                    value={channel ?? ''}
                    onChange={(v) => changeChannel(v as Channel)}
                    data-testid="channel-picker"
                    data={CHANNELS.map((c) => {
                      const M = CHANNEL_META[c];
                      return {
                        value: c,
                        disabled: !usable(c),
                        label: (
                          <Group gap={6} justify="center" wrap="nowrap">
                            <M.icon size={16} stroke={1.7} aria-hidden />
                            {/* Icons only on phones: four names don't fit. */}
                            <Box component="span" visibleFrom="xs">
                              {M.label}
                            </Box>
                            <VisuallyHidden hiddenFrom="xs">{M.label}</VisuallyHidden>
                          </Group>
                        ),
                      };
                    })}
                  />
                  {unavailable.length > 0 && (
                    <Text size="xs" c="dimmed" mt={6} data-testid="unavailable-channels">
                      {unavailable.map((c) => CHANNEL_META[c].label).join(', ')} {unavailable.length === 1 ? 'is' : 'are'} not set up or
                      disabled.{' '}
                      <Anchor component={RouterLink} to="/settings/channels" size="xs">
                        Settings → Channels
                      </Anchor>
                    </Text>
                  )}
                </div>

                {channel && (
                  <>
                    <RecipientPicker
                      channel={channel}
                      value={form.recipient}
                      onChange={(r) => set('recipient', r)}
                      problems={placed.recipient}
                      resolved={result?.recipient ?? null}
                      disabled={!canSend}
                    />
                    <ContentSection form={form} set={set} result={result} placed={placed} editor={editor} disabled={!canSend} />
                    <AttachmentsSection
                      channel={channel}
                      attachments={form.attachments}
                      onAdd={addFiles}
                      onRemove={removeFile}
                      refusals={refusals}
                      problems={placed.attachments}
                      disabled={!canSend}
                    />
                  </>
                )}

                {send.isError && !(send.error instanceof ApiError && send.error.status === 422) && (
                  <ErrorAlert error={send.error} title="The message was not sent" />
                )}
                {send.isError && send.error instanceof ApiError && send.error.status === 422 && (
                  <Alert color="red" variant="light" icon={<IconAlertTriangle size={18} />} title="The message was not sent" data-testid="send-refused">
                    <Stack gap={2}>
                      {(send.error.errors.length ? send.error.errors : [{ message: send.error.detail }]).map((e, i) => (
                        <Text size="sm" key={i}>
                          {e.message}
                        </Text>
                      ))}
                    </Stack>
                  </Alert>
                )}
                <Group justify="space-between" wrap="wrap" gap="sm">
                  <CheckState checking={checking && !!checkBody} result={result} attempted={attempted} error={check.error} />
                  <Button
                    leftSection={<IconSend size={16} />}
                    onClick={() => void submit()}
                    loading={send.isPending}
                    disabled={!canSend || !channel || uploading(form)}
                    data-testid="send-button"
                    ml="auto"
                  >
                    {uploading(form) ? 'Uploading…' : `Send ${meta?.label === 'Email' ? 'email' : `${meta?.label ?? ''} message`}`}
                  </Button>
                </Group>
              </Stack>
            </Card>
          </Grid.Col>
          <Grid.Col span={{ base: 12, md: 5 }}>
            <PreviewCard channel={channel} result={result} checking={checking && !!checkBody} form={form} />
          </Grid.Col>
        </Grid>
      )}
    </>
  );
}

/** What a still-empty field is, in words. */
const NEEDED: Partial<Record<ReturnType<typeof slotOf>, string>> = { recipient: 'a recipient', subject: 'a subject', body: 'the message' };

/** Whether the form would be accepted, in a few words. */
function CheckState({ checking, result, attempted, error }: { checking: boolean; result: CheckResult | undefined; attempted: boolean; error: unknown }) {
  if (error) {
    return (
      <Text size="xs" c="dimmed">
        Couldn't check the message: {describeError(error).message}
      </Text>
    );
  }
  if (!result) return <span />;
  const shown = (result.problems ?? []).filter((p) => attempted || p.kind !== 'missing');
  const needed = [...new Set((result.problems ?? []).filter((p) => p.kind === 'missing').map((p) => NEEDED[slotOf(p)] ?? 'the message'))];
  return (
    <Group gap={6} wrap="nowrap" data-testid="check-state" style={{ opacity: checking ? 0.6 : 1 }}>
      {checking ? (
        <Loader size={14} />
      ) : result.ok ? (
        <IconCheck size={16} color="var(--mantine-color-teal-6)" />
      ) : (
        <IconAlertTriangle size={16} color={shown.length ? 'var(--mantine-color-red-6)' : 'var(--mantine-color-gray-5)'} />
      )}
      <Text size="xs" c={result.ok ? 'teal.7' : shown.length ? 'red.7' : 'dimmed'}>
        {result.ok
          ? 'Ready to send'
          : shown.length
            ? `${shown.length} problem${shown.length === 1 ? '' : 's'} to fix`
            : needed.length
              ? `Still needed: ${needed.join(', ')}`
              : ''}
      </Text>
    </Group>
  );
}

interface ContactOption {
  value: string;
  label: string;
  disabled?: boolean;
  address?: string;
  name?: string;
  raw?: boolean;
}

/** The recipient: a contact found by name or handle, or an address typed in. */
function RecipientPicker({
  channel,
  value,
  onChange,
  problems,
  resolved,
  disabled,
}: {
  channel: Channel;
  value: Recipient | null;
  onChange: (r: Recipient | null) => void;
  problems: CheckProblem[] | undefined;
  resolved: CheckResult['recipient'] | null;
  disabled: boolean;
}) {
  const meta = CHANNEL_META[channel];
  const [search, setSearch] = useState('');
  const [debounced] = useDebouncedValue(search, 250);
  const contacts = useContactSearch(debounced.trim());
  const selectedValue = value ? (value.kind === 'contact' ? `c:${value.id}` : `raw:${value.address}`) : null;

  const options = useMemo<ContactOption[]>(() => {
    const out: ContactOption[] = [];
    const typed = search.trim();
    for (const c of contacts.data?.items ?? []) {
      const address = contactAddress(c, channel);
      out.push({ value: `c:${c.id}`, label: contactLabel(c), name: contactLabel(c), address, disabled: !address });
    }
    if (value?.kind === 'contact' && !out.some((o) => o.value === `c:${value.id}`)) {
      out.unshift({ value: `c:${value.id}`, label: value.name, name: value.name, address: value.address });
    }
    if (value?.kind === 'raw' && !out.some((o) => o.value === `raw:${value.address}`)) {
      out.unshift({ value: `raw:${value.address}`, label: value.address, raw: true });
    }
    const selectedLabel = out.find((o) => o.value === selectedValue)?.label;
    if (typed && typed !== selectedLabel && !out.some((o) => o.address === typed)) {
      out.unshift({ value: `raw:${typed}`, label: typed, raw: true });
    }
    return out;
  }, [contacts.data, channel, search, value, selectedValue]);

  const pick = (v: string | null) => {
    if (!v) return onChange(null);
    const o = options.find((x) => x.value === v);
    if (!o) return;
    if (o.raw) onChange({ kind: 'raw', address: v.slice(4) });
    else onChange({ kind: 'contact', id: v.slice(2), name: o.name ?? o.label, address: o.address ?? '' });
  };

  const placeholder = channel === 'email' ? 'Search contacts, or type an email address' : `Search contacts, or type a ${meta.address}`;
  return (
    <div>
      <Select
        label="To"
        placeholder={placeholder}
        searchable
        clearable
        disabled={disabled}
        data={options}
        value={selectedValue}
        onChange={pick}
        searchValue={search}
        onSearchChange={setSearch}
        filter={({ options: o }) => o}
        nothingFoundMessage={contacts.isFetching ? 'Searching…' : 'No contact matches: type the full address'}
        leftSection={<IconUser size={16} />}
        error={problems?.length ? true : undefined}
        data-testid="recipient"
        maxDropdownHeight={280}
        renderOption={({ option }) => {
          const o = option as ContactOption;
          if (o.raw) {
            return (
              <Text size="sm">
                Send to <b>{o.label}</b>
              </Text>
            );
          }
          return (
            <Stack gap={0}>
              <Text size="sm">{o.label}</Text>
              <Text size="xs" c="dimmed">
                {o.address || `No ${meta.label} address`}
              </Text>
            </Stack>
          );
        }}
      />
      {resolved && !problems?.length && (
        <Text size="xs" c="dimmed" mt={4} data-testid="recipient-resolved">
          {resolved.name ? `${resolved.name} · ` : ''}
          {resolved.address}
          {!resolved.contact_id && !resolved.name ? ' · a contact is created (or matched) when it is sent' : ''}
        </Text>
      )}
      <Problems items={problems} testId="recipient-problems" />
    </div>
  );
}

function ContentSection({
  form,
  set,
  result,
  placed,
  editor,
  disabled,
}: {
  form: Compose;
  set: <K extends keyof Compose>(k: K, v: Compose[K]) => void;
  result: CheckResult | undefined;
  placed: ReturnType<typeof placeProblems>;
  editor: ReturnType<typeof useEditor>;
  disabled: boolean;
}) {
  const channel = form.channel!;
  const templates = useUsableTemplates(channel);
  const list = templates.data?.items ?? [];
  const isEmail = channel === 'email';
  const limit = isEmail ? null : CHAT_LIMIT[channel];
  const count = charCount(form.text);

  // Variables: the template's declared ones, then any the render is missing.
  const declared = form.mode === 'template' ? (result?.variables ?? []) : [];
  const names = [...declared.map((v) => v.name)];
  for (const p of placed.variables ?? []) {
    const n = variableOf(p);
    if (n && !names.includes(n)) names.push(n);
  }
  for (const n of result?.missing ?? []) if (!names.includes(n)) names.push(n);
  for (const n of Object.keys(form.variables)) if (!names.includes(n)) names.push(n);
  const varProblems = new Map((placed.variables ?? []).map((p) => [variableOf(p), p]));

  return (
    <Stack gap="md">
      <Group justify="space-between" align="flex-end">
        <Text size="sm" fw={500}>
          Message
        </Text>
        <SegmentedControl
          size="xs"
          value={form.mode}
          onChange={(v) => set('mode', v as Compose['mode'])}
          data={[
            { value: 'write', label: 'Write' },
            { value: 'template', label: `Template${list.length ? ` (${list.length})` : ''}` },
          ]}
          data-testid="mode-picker"
        />
      </Group>

      {form.mode === 'template' ? (
        <div>
          <Select
            label="Template"
            placeholder={list.length ? 'Choose an approved template' : `No approved ${CHANNEL_META[channel].label} templates`}
            data={list.map((t) => ({ value: t.id, label: t.name }))}
            value={form.templateId}
            onChange={(v) => set('templateId', v)}
            searchable
            disabled={disabled || !list.length}
            leftSection={<IconTemplate size={16} />}
            error={placed.template?.length ? true : undefined}
            data-testid="template-picker"
          />
          {!list.length && !templates.isPending && (
            <Text size="xs" c="dimmed" mt={4}>
              Only approved templates can be sent.{' '}
              <Anchor component={RouterLink} to="/templates" size="xs">
                Go to Templates
              </Anchor>
            </Text>
          )}
          <Problems items={placed.template} testId="template-problems" />
        </div>
      ) : isEmail ? (
        <>
          <div>
            <TextInput
              label="Subject"
              value={form.subject}
              onChange={(e) => set('subject', e.currentTarget.value)}
              disabled={disabled}
              error={placed.subject?.length ? true : undefined}
              data-testid="subject"
            />
            <Problems items={placed.subject} testId="subject-problems" />
          </div>
          <div>
            <Group justify="space-between" mb={4}>
              <Text size="sm" fw={500}>
                Body
              </Text>
              <SegmentedControl
                size="xs"
                value={form.format}
                onChange={(v) => set('format', v as Compose['format'])}
                data={[
                  { value: 'rich', label: 'Rich text' },
                  { value: 'plain', label: 'Plain text' },
                ]}
              />
            </Group>
            {form.format === 'rich' ? (
              <RichTextEditor
                editor={editor}
                data-testid="body-html-editor"
                style={placed.body?.length ? { borderColor: 'var(--mantine-color-error)' } : undefined}
              >
                <RichTextEditor.Toolbar>
                  <RichTextEditor.ControlsGroup>
                    <RichTextEditor.Bold />
                    <RichTextEditor.Italic />
                    <RichTextEditor.Underline />
                  </RichTextEditor.ControlsGroup>
                  <RichTextEditor.ControlsGroup>
                    <RichTextEditor.H2 />
                    <RichTextEditor.BulletList />
                    <RichTextEditor.OrderedList />
                    <RichTextEditor.Blockquote />
                  </RichTextEditor.ControlsGroup>
                  <RichTextEditor.ControlsGroup>
                    <RichTextEditor.Link />
                    <RichTextEditor.Unlink />
                  </RichTextEditor.ControlsGroup>
                </RichTextEditor.Toolbar>
                <RichTextEditor.Content mih={180} aria-label="Body" />
              </RichTextEditor>
            ) : (
              <Textarea
                aria-label="Body"
                autosize
                minRows={6}
                maxRows={16}
                value={form.text}
                onChange={(e) => set('text', e.currentTarget.value)}
                disabled={disabled}
                error={placed.body?.length ? true : undefined}
                data-testid="body-text"
              />
            )}
            <Text size="xs" c="dimmed" mt={4}>
              {'Use {{first_name}} and other variables; your email footer with the unsubscribe link is added.'}
            </Text>
            <Problems items={placed.body} testId="body-problems" />
          </div>
        </>
      ) : (
        <div>
          <Textarea
            label="Text"
            autosize
            minRows={4}
            maxRows={12}
            value={form.text}
            onChange={(e) => set('text', e.currentTarget.value)}
            disabled={disabled}
            error={placed.body?.length ? true : undefined}
            data-testid="body-text"
          />
          <Group justify="space-between" mt={4}>
            <Text size="xs" c="dimmed">
              {'Variables like {{first_name}} are filled in for the recipient.'}
            </Text>
            <Text size="xs" c={limit && count > limit ? 'red.7' : 'dimmed'} data-testid="char-count">
              {formatNumber(count)} / {formatNumber(limit!)}
            </Text>
          </Group>
          <Problems items={placed.body} testId="body-problems" />
        </div>
      )}

      {names.length > 0 && (
        <Card withBorder p="sm" bg="var(--mantine-color-gray-0)" data-testid="variables-form">
          <Text size="sm" fw={500} mb="xs">
            Variables
          </Text>
          <Stack gap="xs">
            {names.map((n) => {
              const decl = declared.find((v) => v.name === n);
              const problem = varProblems.get(n);
              return (
                <TextInput
                  key={n}
                  size="xs"
                  label={<code>{`{{${n}}}`}</code>}
                  placeholder={decl?.default != null ? `Default: ${decl.default}` : decl?.sample ? `e.g. ${decl.sample}` : 'Value'}
                  value={form.variables[n] ?? ''}
                  onChange={(e) => set('variables', { ...form.variables, [n]: e.currentTarget.value })}
                  error={problem ? problem.message : undefined}
                  disabled={disabled}
                  data-testid={`variable-${n}`}
                />
              );
            })}
          </Stack>
        </Card>
      )}
    </Stack>
  );
}

function AttachmentsSection({
  channel,
  attachments,
  onAdd,
  onRemove,
  refusals,
  problems,
  disabled,
}: {
  channel: Channel;
  attachments: Attachment[];
  onAdd: (files: File[]) => void;
  onRemove: (a: Attachment) => void;
  refusals: string[];
  problems: CheckProblem[] | undefined;
  disabled: boolean;
}) {
  const label = CHANNEL_META[channel].label;
  return (
    <div>
      <Group justify="space-between" mb={attachments.length ? 'xs' : 0}>
        <Text size="sm" fw={500}>
          Attachments
        </Text>
        <FileButton onChange={onAdd} multiple disabled={disabled}>
          {(props) => (
            <Button {...props} variant="default" size="xs" leftSection={<IconPaperclip size={14} />} data-testid="attach-button">
              Attach files
            </Button>
          )}
        </FileButton>
      </Group>
      <Stack gap={6} data-testid="attachments">
        {attachments.map((a) => {
          const refusedHere = a.upload && !(a.upload.channels ?? []).some((c) => c === channel);
          return (
            <Box
              key={a.key}
              p="xs"
              style={{ border: '1px solid var(--mantine-color-gray-3)', borderRadius: 6, borderColor: refusedHere || a.error ? 'var(--mantine-color-red-4)' : undefined }}
              data-testid="attachment"
            >
              <Group justify="space-between" wrap="nowrap" gap="sm">
                <Group gap="xs" wrap="nowrap" style={{ minWidth: 0 }}>
                  <IconFile size={18} color="var(--mantine-color-gray-6)" />
                  <div style={{ minWidth: 0 }}>
                    <Text size="sm" truncate>
                      {a.name}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {fileSize(a.size)}
                      {a.upload ? ` · ${a.upload.content_type}` : ''}
                    </Text>
                  </div>
                </Group>
                <Group gap={4} wrap="nowrap">
                  {a.upload &&
                    (a.upload.channels ?? []).map((ch) => {
                      const c = ch as Channel;
                      return (
                      <Tooltip key={c} label={`${CHANNEL_META[c].label} takes this file`}>
                        <Badge size="xs" variant={c === channel ? 'filled' : 'light'} color={CHANNEL_META[c].color} tt="none">
                          {CHANNEL_META[c].label}
                        </Badge>
                      </Tooltip>
                      );
                    })}
                  <ActionIcon variant="subtle" color="gray" onClick={() => onRemove(a)} aria-label={`Remove ${a.name}`}>
                    <IconX size={14} />
                  </ActionIcon>
                </Group>
              </Group>
              {!a.upload && !a.error && <Progress value={a.progress * 100} size="sm" mt={6} animated={a.progress >= 1} aria-label={`Uploading ${a.name}`} />}
              {a.error && (
                <Text size="xs" c="red.7" mt={4}>
                  Upload failed: {a.error}
                </Text>
              )}
              {refusedHere && (
                <Text size="xs" c="red.7" mt={4}>
                  {label} does not take this file.
                </Text>
              )}
            </Box>
          );
        })}
      </Stack>
      {refusals.map((r, i) => (
        <Text key={i} size="xs" c="red.7" mt={4} role="alert" data-testid="attachment-refused">
          {r}
        </Text>
      ))}
      <Problems items={problems} testId="attachment-problems" />
    </div>
  );
}

/** The message as it would be sent, for the recipient chosen. */
function PreviewCard({ channel, result, checking, form }: { channel: Channel | null; result: CheckResult | undefined; checking: boolean; form: Compose }) {
  const [part, setPart] = useState<'html' | 'text'>('html');
  const p = result?.preview;
  const isEmail = channel === 'email';
  const recipientProblems = (result?.problems ?? []).filter((x) => x.kind === 'recipient');
  return (
    <Stack gap="md" style={{ position: 'sticky', top: 76 }}>
      {recipientProblems.length > 0 && (
        <Alert color="red" variant="light" icon={<IconAlertTriangle size={18} />} title="This recipient can't receive it" data-testid="recipient-warning">
          <Stack gap={2}>
            {recipientProblems.map((x, i) => (
              <Text size="sm" key={i}>
                {sentence(x.message)}
              </Text>
            ))}
          </Stack>
        </Alert>
      )}
      <Card data-testid="send-preview">
        <Group justify="space-between" mb="sm">
          <Group gap={8}>
            <Title order={4} fz="md">
              Preview
            </Title>
            <Badge size="xs" variant="dot" color={checking ? 'gray' : 'teal'}>
              {checking ? 'Updating' : 'Live'}
            </Badge>
          </Group>
          {isEmail && p?.html && (
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
        {result?.recipient && (
          <Text size="xs" c="dimmed" mb="xs">
            To: {result.recipient.name ? `${result.recipient.name} <${result.recipient.address}>` : result.recipient.address}
          </Text>
        )}
        {!p ? (
          <Text size="sm" c="dimmed" py="xl" ta="center">
            Write a message or choose a template to see it as it will be sent.
          </Text>
        ) : isEmail ? (
          <Stack gap="xs" style={{ opacity: checking ? 0.7 : 1 }}>
            <Box p="xs" style={{ background: 'var(--mantine-color-gray-0)', borderRadius: 6 }}>
              <Text size="xs" c="dimmed">
                Subject
              </Text>
              <Text size="sm" fw={600} c={p.subject ? undefined : 'dimmed'} data-testid="preview-subject">
                {p.subject || 'No subject'}
              </Text>
            </Box>
            {part === 'html' && p.html ? (
              <iframe
                title="Email preview"
                sandbox=""
                srcDoc={`<!doctype html><html><head><meta charset="utf-8"><style>body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;font-size:14px;line-height:1.5;color:#222;margin:12px;overflow-wrap:anywhere}</style></head><body>${p.html}</body></html>`}
                style={{ width: '100%', height: 360, border: '1px solid var(--mantine-color-gray-3)', borderRadius: 6, background: 'white' }}
                data-testid="preview-html"
              />
            ) : (
              <Box component="pre" p="sm" m={0} fz="sm" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', fontFamily: 'inherit', border: '1px solid var(--mantine-color-gray-3)', borderRadius: 6, maxHeight: 360, overflow: 'auto' }} data-testid="preview-text">
                {p.text}
              </Box>
            )}
          </Stack>
        ) : (
          <Box p="md" style={{ background: 'var(--mantine-color-gray-1)', borderRadius: 12, opacity: checking ? 0.7 : 1 }}>
            <Box
              ml="auto"
              maw="85%"
              p="sm"
              style={{ background: 'var(--mantine-color-brand-1, var(--mantine-color-blue-1))', borderRadius: '14px 14px 4px 14px', whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}
              data-testid="preview-text"
            >
              {form.attachments
                .filter((a) => a.upload)
                .map((a) => (
                  <Group key={a.key} gap={4} wrap="nowrap">
                    <IconPaperclip size={12} color="var(--mantine-color-gray-6)" />
                    <Text size="xs" c="dimmed">
                      {a.name}
                    </Text>
                  </Group>
                ))}
              <Text size="sm">{p.text || ' '}</Text>
            </Box>
          </Box>
        )}
      </Card>
    </Stack>
  );
}

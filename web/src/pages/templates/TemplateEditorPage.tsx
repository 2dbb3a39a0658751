import '@mantine/tiptap/styles.css';
import {
  Alert,
  Anchor,
  Badge,
  Box,
  Breadcrumbs,
  Button,
  Card,
  Grid,
  Group,
  Select,
  Skeleton,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { RichTextEditor } from '@mantine/tiptap';
import { IconAlertTriangle, IconArrowLeft, IconCheck, IconSend, IconStar, IconX } from '@tabler/icons-react';
import Link from '@tiptap/extension-link';
import { useEditor } from '@tiptap/react';
import StarterKit from '@tiptap/starter-kit';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link as RouterLink, useNavigate, useParams } from 'react-router';
import { mapErrorToForm } from '@/api/problem';
import { ErrorAlert, FormError } from '@/components/ErrorAlert';
import { useCurrent } from '@/layout/CurrentContext';
import { atLeast } from '@/lib/roles';
import {
  CHANNEL_LABEL,
  CHANNELS,
  STATUS_COLOR,
  STATUS_LABEL,
  useCreateTemplate,
  useTemplate,
  useTemplateAction,
  useUpdateTemplate,
  type Channel,
  type Status,
  type Template,
  type TemplateAction,
} from './api';
import { PreviewPanel, SAMPLES, useLivePreview } from './PreviewPanel';
import { RejectModal } from './RejectModal';
import { VariablesPanel } from './VariablesPanel';
import { draftWarnings, type FieldWarning, newRow, splitSaveError, toApiVariables, type VarRow } from './variables';
import { VersionHistory } from './VersionHistory';

const FIELDS = ['name', 'channel', 'subject', 'body_html', 'body_text', 'body', 'provider_template_name', 'provider_template_sid', 'variables'];

interface Draft {
  name: string;
  channel: Channel;
  subject: string;
  body_html: string;
  body_text: string;
  body: string;
  provider_template_name: string;
  provider_template_sid: string;
  variables: VarRow[];
}

const EMPTY: Draft = {
  name: '',
  channel: 'email',
  subject: '',
  body_html: '',
  body_text: '',
  body: '',
  provider_template_name: '',
  provider_template_sid: '',
  variables: [],
};

function fromTemplate(t: Template): Draft {
  return {
    name: t.name,
    channel: t.channel as Channel,
    subject: t.subject,
    body_html: t.body_html,
    body_text: t.body_text_generated ? '' : t.body_text,
    body: t.body,
    provider_template_name: t.provider_template_name,
    provider_template_sid: t.provider_template_sid,
    variables: (t.variables ?? []).map((v) => newRow({ name: v.name, default: v.default ?? '', sample: v.sample ?? '' })),
  };
}

/** The content fields of a draft as the API takes them, for its channel. */
function contentOf(d: Draft) {
  const variables = toApiVariables(d.variables);
  if (d.channel === 'email') return { subject: d.subject, body_html: d.body_html, body_text: d.body_text, variables };
  if (d.channel === 'whatsapp')
    return { body: d.body, provider_template_name: d.provider_template_name, provider_template_sid: d.provider_template_sid, variables };
  return { body: d.body, variables };
}

type InsertTarget = 'subject' | 'body_html' | 'body_text' | 'body';

export function TemplateEditorPage() {
  const { id } = useParams();
  const isNew = !id;
  const template = useTemplate(id);

  if (!isNew && template.isPending) {
    return (
      <Stack>
        <Skeleton h={32} w={280} />
        <Skeleton h={400} />
      </Stack>
    );
  }
  if (!isNew && template.isError) {
    return <ErrorAlert error={template.error} title="Couldn't load the template" onRetry={() => void template.refetch()} />;
  }
  return <Editor key={id ?? 'new'} template={template.data} />;
}

function Editor({ template }: { template: Template | undefined }) {
  const { role } = useCurrent();
  const canWrite = atLeast(role, 'member');
  const canApprove = atLeast(role, 'admin');
  const navigate = useNavigate();
  const [draft, setDraft] = useState<Draft>(() => (template ? fromTemplate(template) : EMPTY));
  const [baseline, setBaseline] = useState<Draft>(() => (template ? fromTemplate(template) : EMPTY));
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [varProblems, setVarProblems] = useState<string[]>([]);
  const [formError, setFormError] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [rejectOpen, setRejectOpen] = useState(false);
  const create = useCreateTemplate();
  const update = useUpdateTemplate(template?.id ?? '');
  const action = useTemplateAction(template?.id ?? '');
  const lastTarget = useRef<InsertTarget>(draft.channel === 'email' ? 'body_html' : 'body');
  const subjectRef = useRef<HTMLInputElement>(null);
  const textRef = useRef<HTMLTextAreaElement>(null);
  const bodyRef = useRef<HTMLTextAreaElement>(null);

  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setDraft((d) => ({ ...d, [k]: v }));

  // The preview renders the content as typed; its problems show inline.
  const [previewContact, setPreviewContact] = useState(SAMPLES);
  const content = useMemo(() => contentOf(draft), [draft]);
  const live = useLivePreview(draft.channel, content, previewContact);
  const problems = live.preview.data?.channel === draft.channel ? live.preview.data.problems : undefined;
  const warnings = useMemo(() => draftWarnings(problems, draft), [problems, draft]);
  const declare = !canWrite ? undefined : (name: string) => setDraft((d) => (d.variables.some((r) => r.name.trim() === name) ? d : { ...d, variables: [...d.variables, newRow({ name })] }));
  // A failed save's list of variable problems is stale once the content changes: the inline warnings take over.
  useEffect(() => setVarProblems([]), [content]);

  const editor = useEditor({
    extensions: [StarterKit.configure({ link: false }), Link.configure({ openOnClick: false })],
    content: draft.body_html,
    editable: canWrite,
    onUpdate: ({ editor: e }) => set('body_html', e.isEmpty ? '' : e.getHTML()),
    onFocus: () => {
      lastTarget.current = 'body_html';
    },
  });

  const dirty = useMemo(
    () => template === undefined || JSON.stringify({ ...contentOf(draft), n: draft.name }) !== JSON.stringify({ ...contentOf(baseline), n: baseline.name }),
    [draft, baseline, template],
  );

  const save = async (): Promise<Template | null> => {
    setFieldErrors({});
    setFormError(null);
    setVarProblems([]);
    setActionError(null);
    try {
      let t: Template;
      if (!template) {
        t = await create.mutateAsync({ name: draft.name.trim(), channel: draft.channel, ...contentOf(draft) });
        notifications.show({ color: 'green', message: 'Template saved as a draft' });
        navigate(`/templates/${t.id}`, { replace: true });
        return t;
      }
      const body: Record<string, unknown> = {};
      if (draft.name !== baseline.name) body.name = draft.name.trim();
      const now = contentOf(draft) as Record<string, unknown>;
      const before = contentOf(baseline) as Record<string, unknown>;
      for (const k of Object.keys(now)) if (JSON.stringify(now[k]) !== JSON.stringify(before[k])) body[k] = now[k];
      t = Object.keys(body).length ? await update.mutateAsync(body) : template;
      setBaseline(draft);
      notifications.show({ color: 'green', message: t.version !== template.version ? `Saved as draft version ${t.version}` : 'Draft saved' });
      return t;
    } catch (err) {
      const { rest, variables } = splitSaveError(err, draft.channel === 'email' && draft.body_text.trim() !== '');
      setVarProblems(variables);
      if (rest) {
        const mapped = mapErrorToForm(rest, FIELDS);
        setFieldErrors(mapped.fieldErrors);
        setFormError(mapped.formError);
      }
      return null;
    }
  };

  const run = async (a: TemplateAction) => {
    setActionError(null);
    if (a === 'submit' && dirty) {
      const saved = await save();
      if (!saved) return;
    }
    try {
      await action.mutateAsync(a);
      notifications.show({
        color: 'green',
        message: a === 'submit' ? 'Submitted for approval' : a === 'approve' ? 'Template approved' : 'Now the default template',
      });
    } catch (err) {
      setActionError(err);
    }
  };

  const insert = (name: string) => {
    const token = `{{${name}}}`;
    const target = draft.channel === 'email' ? (lastTarget.current === 'body' ? 'body_html' : lastTarget.current) : 'body';
    if (target === 'body_html') {
      editor?.chain().focus().insertContent(token).run();
      return;
    }
    const el = target === 'subject' ? subjectRef.current : target === 'body_text' ? textRef.current : bodyRef.current;
    const value = draft[target];
    const start = el?.selectionStart ?? value.length;
    const end = el?.selectionEnd ?? value.length;
    set(target, value.slice(0, start) + token + value.slice(end));
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(start + token.length, start + token.length);
    });
  };

  const status = template?.status as Status | undefined;
  const busy = create.isPending || update.isPending || action.isPending;
  const readOnly = !canWrite;

  return (
    <>
      <Breadcrumbs mb="xs" fz="sm">
        <Anchor component={RouterLink} to="/templates" size="sm">
          <Group gap={4}>
            <IconArrowLeft size={14} /> Templates
          </Group>
        </Anchor>
      </Breadcrumbs>
      <Group justify="space-between" align="flex-start" mb="md" gap="sm" wrap="wrap">
        <Stack gap={6} style={{ minWidth: 0, flex: '1 1 300px' }}>
          <Title order={2} fz={{ base: 22, sm: 26 }} style={{ overflowWrap: 'anywhere' }}>
            {template ? template.name : 'New template'}
          </Title>
          {template && status && (
            <Group gap={6} data-testid="template-badges">
              <Badge variant="light" color={STATUS_COLOR[status]}>
                {STATUS_LABEL[status]}
              </Badge>
              <Badge variant="default">v{template.version}</Badge>
              {template.approved_version != null && template.approved_version !== template.version && (
                <Badge variant="outline" color="green">
                  v{template.approved_version} in use
                </Badge>
              )}
              {template.is_default && (
                <Badge variant="light" color="grape" leftSection={<IconStar size={12} />}>
                  Default
                </Badge>
              )}
              <Badge variant="default">{CHANNEL_LABEL[template.channel as Channel]}</Badge>
            </Group>
          )}
        </Stack>
        <Stack gap={6} align="flex-end" style={{ flex: '0 1 auto' }}>
          <Group gap="xs" justify="flex-end" wrap="wrap">
            {canWrite && (
              <Button variant="default" onClick={() => void save()} loading={create.isPending || update.isPending} disabled={busy || (!!template && !dirty)}>
                Save draft
              </Button>
            )}
            {canWrite && template && (status === 'draft' || status === 'rejected' || (status === 'approved' && dirty)) && (
              <Button leftSection={<IconSend size={16} />} onClick={() => void run('submit')} loading={action.isPending && action.variables === 'submit'} disabled={busy}>
                Submit for approval
              </Button>
            )}
            {canApprove && template && status === 'pending_approval' && (
              <>
                <Button color="red" variant="light" leftSection={<IconX size={16} />} onClick={() => setRejectOpen(true)} disabled={busy}>
                  Reject
                </Button>
                <Button color="green" leftSection={<IconCheck size={16} />} onClick={() => void run('approve')} loading={action.isPending && action.variables === 'approve'} disabled={busy || dirty}>
                  Approve
                </Button>
              </>
            )}
            {canApprove && template && template.approved_version != null && !template.is_default && (
              <Button variant="light" color="grape" leftSection={<IconStar size={16} />} onClick={() => void run('make-default')} loading={action.isPending && action.variables === 'make-default'} disabled={busy}>
                Make default
              </Button>
            )}
          </Group>
          {template && dirty && canWrite && (
            <Text size="xs" c="dimmed">
              Unsaved changes{status === 'approved' ? ' — saving starts a new draft version' : ''}
            </Text>
          )}
        </Stack>
      </Group>
      {actionError != null && <ErrorAlert error={actionError} onClose={() => setActionError(null)} mt={0} />}
      {template?.status === 'rejected' && template.rejection_reason && (
        <Alert color="red" variant="light" icon={<IconAlertTriangle size={18} />} title="Changes requested" mb="md">
          {template.rejection_reason}
        </Alert>
      )}
      {template?.status === 'pending_approval' && (
        <Alert color="yellow" variant="light" mb="md">
          {canApprove ? 'Waiting for your review: approve it to make it usable, or reject it with a reason.' : 'Waiting for an admin to approve it.'}
          {template.approved_version != null && ` Version ${template.approved_version} stays in use until then.`}
        </Alert>
      )}

      <Grid gutter="lg" mt={actionError ? 'md' : 0}>
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Stack gap="lg">
            <Card>
              <Stack gap="md">
                <Group grow align="flex-start" wrap="wrap" preventGrowOverflow={false}>
                  <TextInput
                    label="Name"
                    placeholder="Welcome email"
                    required
                    value={draft.name}
                    onChange={(e) => set('name', e.currentTarget.value)}
                    error={fieldErrors.name}
                    readOnly={readOnly}
                    style={{ minWidth: 200 }}
                  />
                  <Select
                    label="Channel"
                    data={CHANNELS}
                    value={draft.channel}
                    onChange={(v) => v && set('channel', v as Channel)}
                    disabled={!!template || readOnly}
                    allowDeselect={false}
                    error={fieldErrors.channel}
                    style={{ minWidth: 160 }}
                  />
                </Group>
                {draft.channel === 'email' ? (
                  <>
                    <TextInput
                      ref={subjectRef}
                      label="Subject"
                      placeholder="Welcome to {{org.name}}, {{first_name}}"
                      required
                      value={draft.subject}
                      onChange={(e) => set('subject', e.currentTarget.value)}
                      onFocus={() => (lastTarget.current = 'subject')}
                      error={fieldErrors.subject}
                      readOnly={readOnly}
                    />
                    <Warnings items={warnings.fields.subject} testId="warnings-subject" onDeclare={declare} />
                    <div>
                      <Text size="sm" fw={500} mb={4}>
                        Body
                      </Text>
                      <RichTextEditor
                        editor={editor}
                        data-testid="body-html-editor"
                        style={fieldErrors.body_html ? { borderColor: 'var(--mantine-color-error)' } : undefined}
                      >
                        {canWrite && (
                          <RichTextEditor.Toolbar>
                            <RichTextEditor.ControlsGroup>
                              <RichTextEditor.Bold />
                              <RichTextEditor.Italic />
                              <RichTextEditor.Underline />
                              <RichTextEditor.Strikethrough />
                            </RichTextEditor.ControlsGroup>
                            <RichTextEditor.ControlsGroup>
                              <RichTextEditor.H2 />
                              <RichTextEditor.H3 />
                              <RichTextEditor.BulletList />
                              <RichTextEditor.OrderedList />
                              <RichTextEditor.Blockquote />
                            </RichTextEditor.ControlsGroup>
                            <RichTextEditor.ControlsGroup>
                              <RichTextEditor.Link />
                              <RichTextEditor.Unlink />
                            </RichTextEditor.ControlsGroup>
                            <RichTextEditor.ControlsGroup>
                              <RichTextEditor.Undo />
                              <RichTextEditor.Redo />
                            </RichTextEditor.ControlsGroup>
                          </RichTextEditor.Toolbar>
                        )}
                        <RichTextEditor.Content mih={200} aria-label="Body" />
                      </RichTextEditor>
                      {fieldErrors.body_html && (
                        <Text size="xs" c="red" mt={4} role="alert">
                          {fieldErrors.body_html}
                        </Text>
                      )}
                      <Warnings items={warnings.fields.body_html} testId="warnings-body_html" mt={6} onDeclare={declare} />
                    </div>
                    <Textarea
                      ref={textRef}
                      label="Plain text version"
                      description="Optional: generated from the body when empty."
                      autosize
                      minRows={3}
                      maxRows={12}
                      value={draft.body_text}
                      onChange={(e) => set('body_text', e.currentTarget.value)}
                      onFocus={() => (lastTarget.current = 'body_text')}
                      error={fieldErrors.body_text}
                      readOnly={readOnly}
                    />
                    <Warnings items={warnings.fields.body_text} testId="warnings-body_text" onDeclare={declare} />
                  </>
                ) : (
                  <>
                    <Textarea
                      ref={bodyRef}
                      label="Message"
                      required
                      placeholder="Hi {{first_name}}, …"
                      autosize
                      minRows={5}
                      maxRows={16}
                      value={draft.body}
                      onChange={(e) => set('body', e.currentTarget.value)}
                      onFocus={() => (lastTarget.current = 'body')}
                      error={fieldErrors.body}
                      readOnly={readOnly}
                      description={`${draft.body.length} characters`}
                    />
                    <Warnings items={warnings.fields.body} testId="warnings-body" onDeclare={declare} />
                    {draft.channel === 'whatsapp' && (
                      <Group grow align="flex-start" wrap="wrap" preventGrowOverflow={false}>
                        <TextInput
                          label="Content template SID"
                          description="Twilio Content SID (HX…), for sends outside the 24-hour window"
                          placeholder="HX0123456789abcdef0123456789abcdef"
                          value={draft.provider_template_sid}
                          onChange={(e) => set('provider_template_sid', e.currentTarget.value)}
                          error={fieldErrors.provider_template_sid}
                          readOnly={readOnly}
                          style={{ minWidth: 220 }}
                        />
                        <TextInput
                          label="WhatsApp template name"
                          description="As approved by WhatsApp (optional)"
                          placeholder="order_update"
                          value={draft.provider_template_name}
                          onChange={(e) => set('provider_template_name', e.currentTarget.value)}
                          error={fieldErrors.provider_template_name}
                          readOnly={readOnly}
                          style={{ minWidth: 220 }}
                        />
                      </Group>
                    )}
                  </>
                )}
                {varProblems.length > 0 && (
                  <Alert color="red" variant="light" icon={<IconAlertTriangle size={18} />} title="Fix the variables" role="alert" data-testid="variable-errors">
                    <Stack gap={4}>
                      {varProblems.map((p) => (
                        <Text key={p} size="sm">
                          {p}
                        </Text>
                      ))}
                    </Stack>
                  </Alert>
                )}
                <FormError message={formError} />
              </Stack>
            </Card>
            <VariablesPanel
              rows={draft.variables}
              onChange={(rows) => set('variables', rows)}
              used={[draft.subject, draft.body_html, draft.body_text, draft.body]}
              onInsert={insert}
              readOnly={readOnly}
              channel={draft.channel}
              error={fieldErrors.variables}
              warnings={warnings.variables}
            />
            {template && <VersionHistory template={template} />}
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 5 }}>
          {/* Sticky beside the editor, so that the preview stays in view while typing further down. */}
          <Box style={{ position: 'sticky', top: 'calc(var(--app-shell-header-height, 60px) + var(--mantine-spacing-md))' }}>
            <PreviewPanel channel={draft.channel} live={live} contactId={previewContact} onContactChange={setPreviewContact} warnings={warnings.count} />
          </Box>
        </Grid.Col>
      </Grid>
      {template && <RejectModal templateId={template.id} opened={rejectOpen} onClose={() => setRejectOpen(false)} />}
      {/* Box keeps the page's bottom padding on small screens. */}
      <Box h={24} />
    </>
  );
}

/** Problems the live preview found in a field: warnings while typing, not errors. */
function Warnings({ items, testId, mt = -8, onDeclare }: { items: FieldWarning[] | undefined; testId: string; mt?: number; onDeclare?: (name: string) => void }) {
  if (!items?.length) return null;
  return (
    <Stack gap={2} mt={mt} data-testid={testId}>
      {items.map((w) => (
        <Group key={w.message} gap={4} wrap="nowrap" align="flex-start">
          <IconAlertTriangle size={13} color="var(--mantine-color-orange-7)" style={{ flex: 'none', marginTop: 2 }} />
          <Text size="xs" c="orange.8">
            {w.message}
            {w.declare && onDeclare && (
              <>
                {' '}
                <Anchor component="button" type="button" size="xs" fw={600} onClick={() => onDeclare(w.declare!)} aria-label={`Declare ${w.declare}`}>
                  Declare it
                </Anchor>
              </>
            )}
          </Text>
        </Group>
      ))}
    </Stack>
  );
}

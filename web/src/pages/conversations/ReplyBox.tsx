import { ActionIcon, Alert, Badge, Button, CloseButton, FileButton, Group, Select, Stack, Text, Textarea, TextInput, Tooltip } from '@mantine/core';
import { IconClockOff, IconPaperclip, IconSend, IconTemplate } from '@tabler/icons-react';
import { useMemo, useState } from 'react';
import { ErrorAlert } from '@/components/ErrorAlert';
import { type Conversation, type Upload, uploadFile, useReply, useUsableTemplates } from './api';
import { CHANNEL_LOOK, fileSize, windowText } from './channel';
import classes from './conversations.module.css';

/** Variables the platform fills from the contact and the org. */
const BUILTIN = new Set(['first_name', 'last_name', 'email', 'phone', 'org.name', 'unsubscribe_url']);

function newKey(): string {
  return typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
}

/**
 * The composer: text, one attachment (every chat channel takes one per
 * message) or an approved template of the channel. On Instagram it is
 * closed outside the 24-hour window.
 */
export function ReplyBox({ conversation, canReply }: { conversation: Conversation; canReply: boolean }) {
  const channel = conversation.channel;
  const [text, setText] = useState('');
  const [attachment, setAttachment] = useState<Upload | null>(null);
  const [uploading, setUploading] = useState(false);
  const [uploadError, setUploadError] = useState<unknown>(null);
  const [templateId, setTemplateId] = useState<string | null>(null);
  const [vars, setVars] = useState<Record<string, string>>({});
  // One key per message being composed: a retry after a network error
  // cannot send it twice.
  const [key, setKey] = useState(newKey);
  const reply = useReply(conversation.id);
  const templates = useUsableTemplates(channel, canReply);
  const template = useMemo(() => templates.data?.items?.find((t) => t.id === templateId), [templates.data, templateId]);
  const customVars = (template?.variables ?? []).filter((v) => !BUILTIN.has(v.name) && v.default == null);

  const replyWindow = conversation.reply_window;
  const closed = channel === 'instagram' && !!replyWindow && !replyWindow.open;

  if (!canReply) {
    return (
      <div className={classes.composer}>
        <Text size="sm" c="dimmed">
          Viewers can read conversations; members reply.
        </Text>
      </div>
    );
  }

  const reset = () => {
    setText('');
    setAttachment(null);
    setTemplateId(null);
    setVars({});
    setKey(newKey());
    reply.reset();
  };

  const send = () => {
    if (reply.isPending || closed) return;
    const body = template
      ? { template_id: template.id, variables: Object.keys(vars).length ? vars : undefined }
      : { body: text.trim() || undefined, attachments: attachment ? [attachment.id] : undefined };
    if (!template && !body.body && !body.attachments) return;
    reply.mutate({ body, key }, { onSuccess: reset });
  };

  const attach = async (file: File | null) => {
    if (!file) return;
    setUploading(true);
    setUploadError(null);
    try {
      setAttachment(await uploadFile(file));
    } catch (e) {
      setUploadError(e);
    } finally {
      setUploading(false);
    }
  };

  const look = CHANNEL_LOOK[channel];
  return (
    <div className={classes.composer}>
      {channel === 'instagram' && (
        <Alert
          color={closed ? 'orange' : 'pink'}
          variant="light"
          icon={<IconClockOff size={18} />}
          mb="xs"
          py={6}
          data-testid="instagram-window"
          title={closed ? 'Reply window closed' : undefined}
        >
          <Text size="xs">{windowText(replyWindow?.closes_at)}</Text>
        </Alert>
      )}
      <ErrorAlert error={reply.error ?? uploadError} onClose={() => (reply.reset(), setUploadError(null))} mt={0} />
      <Stack gap={6} mt={reply.error || uploadError ? 'xs' : 0}>
        {template ? (
          <Stack gap={6}>
            <Group gap="xs" wrap="nowrap">
              <Badge variant="light" leftSection={<IconTemplate size={12} />}>
                {template.name}
              </Badge>
              <CloseButton size="sm" aria-label="Remove template" onClick={() => setTemplateId(null)} />
            </Group>
            <Text size="sm" c="dimmed" style={{ whiteSpace: 'pre-wrap' }} lineClamp={4}>
              {template.body || template.body_text}
            </Text>
            {customVars.map((v) => (
              <TextInput
                key={v.name}
                size="xs"
                label={v.name}
                placeholder={v.sample ?? ''}
                value={vars[v.name] ?? ''}
                onChange={(e) => setVars((o) => ({ ...o, [v.name]: e.currentTarget.value }))}
              />
            ))}
          </Stack>
        ) : (
          <Textarea
            aria-label="Reply"
            placeholder={closed ? 'Replies are closed for now' : `Message on ${look.label}… (Enter sends, Shift+Enter for a new line)`}
            autosize
            minRows={1}
            maxRows={6}
            value={text}
            disabled={closed}
            onChange={(e) => setText(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
                e.preventDefault();
                send();
              }
            }}
          />
        )}
        {attachment && (
          <Group gap={6}>
            <Badge variant="outline" color="gray" tt="none" rightSection={<CloseButton size="xs" aria-label="Remove attachment" onClick={() => setAttachment(null)} />}>
              {attachment.filename} · {fileSize(attachment.size)}
            </Badge>
            {!attachment.channels?.includes(channel) && (
              <Text size="xs" c="red">
                {look.label} does not take this file.
              </Text>
            )}
          </Group>
        )}
        <Group justify="space-between" gap="xs" wrap="nowrap">
          <Group gap={6} wrap="nowrap" style={{ minWidth: 0 }}>
            <FileButton onChange={(f) => void attach(f)} disabled={closed || !!template}>
              {(props) => (
                <Tooltip label="Attach a file">
                  <ActionIcon {...props} variant="subtle" color="gray" size="lg" loading={uploading} aria-label="Attach a file" disabled={closed || !!template}>
                    <IconPaperclip size={18} />
                  </ActionIcon>
                </Tooltip>
              )}
            </FileButton>
            <Select
              aria-label="Template"
              placeholder={templates.data?.items?.length ? 'Use a template' : 'No approved templates'}
              data={(templates.data?.items ?? []).map((t) => ({ value: t.id, label: t.name }))}
              value={templateId}
              onChange={(v) => {
                setTemplateId(v);
                setVars({});
              }}
              disabled={closed || !templates.data?.items?.length}
              clearable
              searchable
              size="xs"
              w={200}
              leftSection={<IconTemplate size={14} />}
            />
          </Group>
          <Button
            size="sm"
            rightSection={<IconSend size={16} />}
            onClick={send}
            loading={reply.isPending}
            disabled={closed || (!template && !text.trim() && !attachment)}
          >
            Send
          </Button>
        </Group>
      </Stack>
    </div>
  );
}

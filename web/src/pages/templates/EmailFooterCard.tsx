import { Badge, Button, Code, Group, Skeleton, Stack, Text, Textarea } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useEffect, useState } from 'react';
import { mapErrorToForm } from '@/api/problem';
import { ErrorAlert, FormError } from '@/components/ErrorAlert';
import { usePutTemplateSettings, useTemplateSettings } from './api';

/** The org's email footer: read by everyone, edited by admins. */
export function EmailFooterCard({ canEdit }: { canEdit: boolean }) {
  const settings = useTemplateSettings();
  const put = usePutTemplateSettings();
  const [html, setHtml] = useState('');
  const [text, setText] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);

  useEffect(() => {
    if (settings.data) {
      setHtml(settings.data.email_footer_html);
      setText(settings.data.is_default ? settings.data.email_footer_text : settings.data.email_footer_text);
    }
  }, [settings.data]);

  if (settings.isPending) return <Skeleton h={120} />;
  if (settings.isError) return <ErrorAlert error={settings.error} title="Couldn't load the footer" onRetry={() => void settings.refetch()} />;

  const dirty = html !== settings.data.email_footer_html || text !== settings.data.email_footer_text;

  const save = async () => {
    setErrors({});
    setFormError(null);
    try {
      await put.mutateAsync({ email_footer_html: html, email_footer_text: text });
      notifications.show({ color: 'green', message: 'Email footer saved' });
    } catch (err) {
      const mapped = mapErrorToForm(err, ['email_footer_html', 'email_footer_text']);
      setErrors(mapped.fieldErrors);
      setFormError(mapped.formError);
    }
  };

  return (
    <Stack gap="sm" data-testid="email-footer">
      <Group gap="xs">
        {settings.data.is_default && (
          <Badge size="sm" variant="light" color="gray">
            Built-in footer
          </Badge>
        )}
        <Text size="xs" c="dimmed">
          Must contain <Code>{'{{unsubscribe_url}}'}</Code>; only built-in variables such as <Code>{'{{org.name}}'}</Code>.
        </Text>
      </Group>
      <Textarea
        label="HTML footer"
        autosize
        minRows={3}
        maxRows={10}
        ff="monospace"
        value={html}
        onChange={(e) => setHtml(e.currentTarget.value)}
        readOnly={!canEdit}
        error={errors.email_footer_html}
        styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12 } }}
      />
      <Textarea
        label="Text footer"
        description="Leave empty to generate it from the HTML footer."
        autosize
        minRows={2}
        maxRows={8}
        value={text}
        onChange={(e) => setText(e.currentTarget.value)}
        readOnly={!canEdit}
        error={errors.email_footer_text}
        styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12 } }}
      />
      <FormError message={formError} />
      {canEdit ? (
        <Group justify="flex-end">
          <Button variant="default" disabled={!dirty || put.isPending} onClick={() => {
            setHtml(settings.data.email_footer_html);
            setText(settings.data.email_footer_text);
            setErrors({});
            setFormError(null);
          }}>
            Discard
          </Button>
          <Button onClick={() => void save()} loading={put.isPending} disabled={!dirty}>
            Save footer
          </Button>
        </Group>
      ) : (
        <Text size="xs" c="dimmed">
          Only admins change the footer.
        </Text>
      )}
    </Stack>
  );
}

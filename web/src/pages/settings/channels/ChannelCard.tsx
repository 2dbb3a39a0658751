import {
  Alert,
  Badge,
  Box,
  Button,
  Card,
  Divider,
  Group,
  Input,
  Loader,
  Menu,
  NumberInput,
  PasswordInput,
  SimpleGrid,
  Stack,
  Switch,
  Text,
  Textarea,
  TextInput,
  ThemeIcon,
  Title,
  ActionIcon,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { IconAlertCircle, IconCircleCheck, IconDots, IconFlask, IconInfoCircle, IconLock, IconPlugConnected, IconTrash } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import { describeError } from '@/api/problem';
import { ConfirmDialog } from '@/components/ConfirmDialog';
import { FormError } from '@/components/ErrorAlert';
import { formatRelative } from '@/lib/format';
import { useFormErrors } from '@/lib/useFormErrors';
import { type ChannelSettings, useDeleteChannel, usePutChannel, useTestChannel, useUseSandbox } from './api';
import { CopyField } from './CopyField';
import { buildBody, type ChannelFormValues, errorFields, initialValues } from './form';
import { type ChannelSpec, type FieldSpec, PURPOSE_LABEL, STATUS_COLOR, STATUS_LABEL } from './specs';

/** One channel: its credentials, connection status and webhook URLs. */
export function ChannelCard({ spec, settings, canEdit, sandbox }: { spec: ChannelSpec; settings: ChannelSettings; canEdit: boolean; sandbox: boolean }) {
  const put = usePutChannel(spec.channel);
  const test = useTestChannel(spec.channel);
  const useSandbox = useUseSandbox(spec.channel);
  const remove = useDeleteChannel(spec.channel);
  const [confirm, setConfirm] = useState<'sandbox' | 'delete' | null>(null);

  const form = useForm<ChannelFormValues>({ mode: 'controlled', initialValues: initialValues(spec, settings) });
  const { formError, applyError, resetError } = useFormErrors(form, errorFields(spec));

  // A save, a sandbox fill or a check that learned something: start over
  // from what the server holds.
  useEffect(() => {
    const v = initialValues(spec, settings);
    form.setInitialValues(v);
    form.setValues(v);
    form.resetDirty(v);
  }, [settings.updated_at, settings.configured, settings.config?.bot_username, settings.config?.event_public_key]);

  const status = settings.configured ? settings.status : 'not_configured';
  const dirty = form.isDirty();

  const submit = form.onSubmit(async (values) => {
    resetError();
    try {
      await put.mutateAsync(buildBody(spec, settings, values));
      notifications.show({ color: 'teal', message: `${spec.label} settings saved` });
    } catch (err) {
      applyError(err);
    }
  });

  const setEnabled = async (enabled: boolean) => {
    try {
      await put.mutateAsync({ enabled });
    } catch (err) {
      notifications.show({ color: 'red', title: `Couldn't ${enabled ? 'enable' : 'disable'} ${spec.label}`, message: describeError(err).message });
    }
  };

  const runTest = async () => {
    try {
      await test.mutateAsync();
    } catch (err) {
      notifications.show({ color: 'red', title: "Couldn't start the test", message: describeError(err).message });
    }
  };

  const Icon = spec.icon;
  const editableFields = spec.fields;

  return (
    <Card data-testid={`channel-card-${spec.channel}`} id={spec.channel}>
      <Group justify="space-between" align="flex-start" wrap="nowrap" gap="md">
        <Group gap="sm" wrap="nowrap" align="flex-start">
          <ThemeIcon size={42} radius="md" color={spec.color} variant="filled" aria-hidden>
            <Icon size={24} />
          </ThemeIcon>
          <div>
            <Group gap={8}>
              <Title order={4} fz="md">
                {spec.label}
              </Title>
              <Badge color={STATUS_COLOR[status]} variant="light" data-testid="channel-status" leftSection={status === 'checking' ? <Loader size={10} color="blue" /> : undefined}>
                {STATUS_LABEL[status]}
              </Badge>
            </Group>
            <Text size="sm" c="dimmed">
              {spec.provider} · {spec.blurb}
            </Text>
          </div>
        </Group>
        <Group gap="xs" wrap="nowrap">
          <Switch
            label="Enabled"
            labelPosition="left"
            checked={settings.configured && settings.enabled}
            disabled={!canEdit || !settings.configured || put.isPending}
            onChange={(e) => void setEnabled(e.currentTarget.checked)}
            aria-label={`${spec.label} enabled`}
          />
          {canEdit && (settings.configured || sandbox) && (
            <Menu position="bottom-end" withinPortal>
              <Menu.Target>
                <ActionIcon variant="subtle" color="gray" aria-label={`More ${spec.label} actions`}>
                  <IconDots size={18} />
                </ActionIcon>
              </Menu.Target>
              <Menu.Dropdown>
                {sandbox && (
                  <Menu.Item leftSection={<IconFlask size={16} />} onClick={() => (settings.configured ? setConfirm('sandbox') : void useSandbox.mutateAsync())}>
                    Use sandbox credentials
                  </Menu.Item>
                )}
                {settings.configured && (
                  <Menu.Item color="red" leftSection={<IconTrash size={16} />} onClick={() => setConfirm('delete')}>
                    Remove settings
                  </Menu.Item>
                )}
              </Menu.Dropdown>
            </Menu>
          )}
        </Group>
      </Group>

      <CheckResult settings={settings} />

      <Divider my="md" />

      <form onSubmit={submit} noValidate>
        <Stack gap="md">
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md" verticalSpacing="sm">
            {editableFields.map((f) =>
              f.secret ? (
                <SecretField
                  key={f.name}
                  field={f}
                  settings={settings}
                  canEdit={canEdit}
                  replacing={!!form.values.replacing[f.name]}
                  onReplace={(on) => {
                    form.setFieldValue(`replacing.${f.name}`, on);
                    if (!on) form.setFieldValue(`secrets.${f.name}`, '');
                  }}
                  inputProps={form.getInputProps(`secrets.${f.name}`)}
                />
              ) : (
                <ConfigField key={f.name} field={f} canEdit={canEdit} inputProps={form.getInputProps(`config.${f.name}`)} />
              ),
            )}
            {spec.channel === 'telegram' && (
              <TextInput
                label="Bot username"
                value={settings.config?.bot_username ? `@${settings.config.bot_username}` : ''}
                placeholder="Learned by Test connection"
                readOnly
                description="From Telegram's getMe, on each test"
              />
            )}
            <NumberInput
              label="Send rate"
              description={`Messages per second; empty for the default (${settings.default_rate_per_second}/s)`}
              placeholder={`${settings.default_rate_per_second}`}
              min={0.1}
              max={10000}
              decimalScale={2}
              readOnly={!canEdit}
              suffix=" /s"
              {...form.getInputProps('rate_per_second')}
            />
          </SimpleGrid>
          <Group gap={6} wrap="nowrap" align="flex-start">
            <IconInfoCircle size={15} color="var(--mantine-color-gray-6)" style={{ flex: '0 0 auto', marginTop: 2 }} />
            <Text size="xs" c="dimmed">
              {spec.credentialsHelp}
            </Text>
          </Group>
          <FormError message={formError} />
          {canEdit ? (
            <Group justify="space-between">
              <Group gap="sm">
                {sandbox && !settings.configured && (
                  <Button variant="light" leftSection={<IconFlask size={16} />} loading={useSandbox.isPending} onClick={() => void useSandbox.mutateAsync()}>
                    Use sandbox credentials
                  </Button>
                )}
              </Group>
              <Group gap="sm">
                {dirty && (
                  <Button variant="default" onClick={() => form.reset()} disabled={put.isPending}>
                    Discard
                  </Button>
                )}
                <Button
                  variant="default"
                  leftSection={<IconPlugConnected size={16} />}
                  onClick={() => void runTest()}
                  loading={test.isPending || settings.status === 'checking'}
                  disabled={!settings.configured || dirty}
                  title={dirty ? 'Save your changes first' : undefined}
                >
                  Test connection
                </Button>
                <Button type="submit" loading={put.isPending} disabled={!dirty}>
                  Save
                </Button>
              </Group>
            </Group>
          ) : (
            <Group gap={6}>
              <IconLock size={14} color="var(--mantine-color-gray-6)" />
              <Text size="xs" c="dimmed">
                Only admins can change channel settings
              </Text>
            </Group>
          )}
        </Stack>
      </form>

      <Webhooks settings={settings} sandbox={sandbox} />

      <ConfirmDialog
        opened={confirm === 'sandbox'}
        onClose={() => setConfirm(null)}
        title={`Use sandbox credentials for ${spec.label}?`}
        confirmLabel="Use sandbox credentials"
        color="brand"
        onConfirm={async () => {
          await useSandbox.mutateAsync();
          setConfirm(null);
        }}
      >
        <Text size="sm">
          The {spec.provider} credentials saved now are replaced by fresh ones of the built-in sandbox, which accepts every message and plays the provider's
          webhooks back. Nothing reaches real recipients.
        </Text>
      </ConfirmDialog>
      <ConfirmDialog
        opened={confirm === 'delete'}
        onClose={() => setConfirm(null)}
        title={`Remove the ${spec.label} settings?`}
        confirmLabel="Remove"
        onConfirm={async () => {
          await remove.mutateAsync();
          setConfirm(null);
        }}
      >
        <Text size="sm">
          Switchboard forgets the credentials and stops sending over {spec.label}. The webhook URLs stop working; configuring the channel again gives new ones
          to paste into {spec.provider}.
        </Text>
      </ConfirmDialog>
    </Card>
  );
}

function ConfigField({ field, canEdit, inputProps }: { field: FieldSpec; canEdit: boolean; inputProps: ReturnType<ReturnType<typeof useForm>['getInputProps']> }) {
  const common = {
    label: field.label,
    required: field.required,
    placeholder: field.placeholder,
    description: field.description,
    readOnly: !canEdit,
    ...inputProps,
  };
  return field.multiline ? <Textarea autosize minRows={1} maxRows={4} styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12 } }} {...common} /> : <TextInput {...common} />;
}

/**
 * A secret: when set, only its last four characters and a Replace button;
 * the input appears when replacing it (or when it is not set).
 */
function SecretField({
  field,
  settings,
  canEdit,
  replacing,
  onReplace,
  inputProps,
}: {
  field: FieldSpec;
  settings: ChannelSettings;
  canEdit: boolean;
  replacing: boolean;
  onReplace: (on: boolean) => void;
  inputProps: ReturnType<ReturnType<typeof useForm>['getInputProps']>;
}) {
  const state = settings.secrets?.[field.name];
  if (state?.set && !replacing) {
    return (
      <Input.Wrapper label={field.label} required={field.required} description={field.description} error={inputProps.error}>
        <Group gap="xs" wrap="nowrap" data-testid={`secret-${field.name}`}>
          <Box
            style={{
              flex: 1,
              border: '1px solid var(--mantine-color-gray-3)',
              borderRadius: 'var(--mantine-radius-md)',
              background: 'var(--mantine-color-gray-0)',
              padding: '5px 12px',
              fontFamily: 'var(--mantine-font-family-monospace)',
              fontSize: 13,
              minHeight: 36,
              display: 'flex',
              alignItems: 'center',
            }}
          >
            •••• {state.last4 || ''}
            <Text span size="xs" c="dimmed" ml={8} style={{ fontFamily: 'var(--mantine-font-family)' }}>
              — set
            </Text>
          </Box>
          {canEdit && (
            <Button variant="default" onClick={() => onReplace(true)} aria-label={`Replace ${field.label}`}>
              Replace
            </Button>
          )}
        </Group>
      </Input.Wrapper>
    );
  }
  return (
    <PasswordInput
      label={field.label}
      required={field.required}
      placeholder={field.placeholder}
      description={field.description}
      readOnly={!canEdit}
      autoComplete="off"
      rightSectionWidth={state?.set ? 72 : undefined}
      {...inputProps}
      inputContainer={(children) =>
        state?.set ? (
          <Group gap="xs" wrap="nowrap">
            <Box style={{ flex: 1 }}>{children}</Box>
            <Button variant="subtle" color="gray" onClick={() => onReplace(false)}>
              Cancel
            </Button>
          </Group>
        ) : (
          children
        )
      }
    />
  );
}

/** The last check: the provider's reason when it failed. */
function CheckResult({ settings }: { settings: ChannelSettings }) {
  if (!settings.configured) return null;
  if (settings.status === 'error' && settings.check_error) {
    return (
      <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} title="Connection test failed" mt="md" data-testid="check-error">
        <Text size="sm">{settings.check_error}</Text>
        {settings.checked_at && (
          <Text size="xs" c="dimmed" mt={4}>
            Checked {formatRelative(settings.checked_at)}
          </Text>
        )}
      </Alert>
    );
  }
  if (settings.status === 'ok') {
    return (
      <Group gap={6} mt="sm">
        <IconCircleCheck size={16} color="var(--mantine-color-teal-6)" />
        <Text size="sm" c="teal.8">
          Connected{settings.checked_at ? `, checked ${formatRelative(settings.checked_at)}` : ''}
        </Text>
      </Group>
    );
  }
  if (settings.status === 'checking') {
    return (
      <Group gap={6} mt="sm">
        <Loader size={14} />
        <Text size="sm" c="dimmed">
          Asking the provider…
        </Text>
      </Group>
    );
  }
  return null;
}

/** Where the provider calls us, with copy buttons and where each goes. */
function Webhooks({ settings, sandbox }: { settings: ChannelSettings; sandbox: boolean }) {
  const urls = settings.webhook_urls ?? [];
  return (
    <>
      <Divider my="md" />
      <Text fw={600} size="sm" mb={6}>
        Webhooks
      </Text>
      {urls.length === 0 ? (
        <Text size="sm" c="dimmed">
          Save the settings to get the URLs the provider calls.
        </Text>
      ) : (
        <Stack gap="sm">
          {urls.map((u) => (
            <div key={u.purpose}>
              <Text size="xs" fw={500} c="gray.7" mb={4}>
                {PURPOSE_LABEL[u.purpose] ?? u.purpose}
              </Text>
              <CopyField value={u.url} testId={`webhook-${u.purpose}`} />
              <Text size="xs" c="dimmed" mt={4}>
                {u.where}
                {sandbox && (u.purpose === 'inbound' || u.purpose === 'webhook') && ' With sandbox credentials, Test connection registers it with the sandbox for you.'}
              </Text>
            </div>
          ))}
          {settings.verify_token && (
            <div>
              <Text size="xs" fw={500} c="gray.7" mb={4}>
                Verify token
              </Text>
              <CopyField value={settings.verify_token} testId="verify-token" />
              <Text size="xs" c="dimmed" mt={4}>
                Paste it into Meta's webhook settings with the callback URL. Switchboard made it; it only proves the subscription is yours.
              </Text>
            </div>
          )}
        </Stack>
      )}
    </>
  );
}

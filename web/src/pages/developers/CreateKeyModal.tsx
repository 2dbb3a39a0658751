import { Anchor, Button, Checkbox, Group, Modal, ScrollArea, Select, Stack, Text, TextInput } from '@mantine/core';
import { DateInput } from '@mantine/dates';
import { useForm } from '@mantine/form';
import { useApiKeyScopes, useCreateApiKey } from '@/api/queries';
import type { ApiKeyWithSecret } from '@/api/types';
import { ErrorAlert, FormError } from '@/components/ErrorAlert';
import { useFormErrors } from '@/lib/useFormErrors';
import { expiryToRfc3339, type ExpiryChoice } from './expiry';

const EXPIRY_OPTIONS: { value: ExpiryChoice; label: string }[] = [
  { value: 'never', label: 'Never' },
  { value: '30', label: 'In 30 days' },
  { value: '90', label: 'In 90 days' },
  { value: '365', label: 'In 1 year' },
  { value: 'custom', label: 'On a date…' },
];

/** Creates an API key: name, scopes and an optional expiry. */
export function CreateKeyModal({ opened, onClose, onCreated }: { opened: boolean; onClose: () => void; onCreated: (key: ApiKeyWithSecret) => void }) {
  const scopes = useApiKeyScopes(opened);
  const create = useCreateApiKey();
  const form = useForm<{ name: string; scopes: string[]; expiry: ExpiryChoice; expires_on: string | null }>({
    mode: 'controlled',
    initialValues: { name: '', scopes: [], expiry: 'never', expires_on: null },
    validate: {
      name: (v) => (v.trim() ? null : 'Name the key after where it will be used'),
      scopes: (v) => (v.length ? null : 'Choose at least one scope'),
      expires_on: (v, values) => (values.expiry === 'custom' && !v ? 'Pick the expiry date' : null),
    },
  });
  const { formError, applyError, resetError } = useFormErrors(form, ['expires_at']);

  const close = () => {
    if (create.isPending) return;
    form.reset();
    resetError();
    onClose();
  };

  const submit = form.onSubmit(async (values) => {
    resetError();
    try {
      const expires_at = expiryToRfc3339(values.expiry, values.expires_on);
      const key = await create.mutateAsync({ name: values.name.trim(), scopes: values.scopes, ...(expires_at ? { expires_at } : {}) });
      form.reset();
      onCreated(key);
    } catch (err) {
      applyError(err);
    }
  });

  const all = scopes.data?.items ?? [];
  const allSelected = all.length > 0 && form.values.scopes.length === all.length;
  const tomorrow = new Date(Date.now() + 86_400_000);

  return (
    <Modal opened={opened} onClose={close} title={<Text fw={600}>Create API key</Text>} size="lg">
      <form onSubmit={submit} noValidate>
        <Stack gap="md">
          <TextInput
            label="Name"
            description="Where the key is used, so you recognise it later"
            placeholder="Production server"
            required
            data-autofocus
            {...form.getInputProps('name')}
          />
          <div>
            <Group justify="space-between" align="flex-end" mb={6}>
              <div>
                <Text size="sm" fw={500}>
                  Scopes <span style={{ color: 'var(--mantine-color-red-6)' }}>*</span>
                </Text>
                <Text size="xs" c="dimmed">
                  Grant only what the integration needs.
                </Text>
              </div>
              {all.length > 0 && (
                <Anchor
                  component="button"
                  type="button"
                  size="xs"
                  onClick={() => form.setFieldValue('scopes', allSelected ? [] : all.map((s) => s.name))}
                >
                  {allSelected ? 'Clear all' : 'Select all'}
                </Anchor>
              )}
            </Group>
            {scopes.isPending ? (
              <Text size="sm" c="dimmed">
                Loading scopes…
              </Text>
            ) : scopes.isError ? (
              <ErrorAlert error={scopes.error} title="Couldn't load scopes" onRetry={() => void scopes.refetch()} />
            ) : (
              <ScrollArea.Autosize mah={260} type="auto" offsetScrollbars>
                <Checkbox.Group {...form.getInputProps('scopes')}>
                  <Stack gap="xs" py={4}>
                    {all.map((s) => (
                      <Checkbox
                        key={s.name}
                        value={s.name}
                        label={<Text size="sm" ff="monospace">{s.name}</Text>}
                        description={s.description}
                      />
                    ))}
                  </Stack>
                </Checkbox.Group>
              </ScrollArea.Autosize>
            )}
          </div>
          <Group grow align="flex-start">
            <Select label="Expires" data={EXPIRY_OPTIONS} {...form.getInputProps('expiry')} />
            {form.values.expiry === 'custom' ? (
              <DateInput label="Expiry date" placeholder="Pick a date" minDate={tomorrow} valueFormat="MMM D, YYYY" {...form.getInputProps('expires_on')} />
            ) : (
              <div />
            )}
          </Group>
          {form.errors.expires_at && (
            <Text size="xs" c="red">
              {form.errors.expires_at}
            </Text>
          )}
          <FormError message={formError} />
          <Group justify="flex-end" mt="xs">
            <Button variant="default" onClick={close} disabled={create.isPending}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending}>
              Create key
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

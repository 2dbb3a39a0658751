import { Button, Group, Modal, Select, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { useNavigate } from 'react-router';
import { useCreateOrg, useSwitchOrg } from '@/api/queries';
import { browserCountry, browserTimezone, countryOptions, timezoneOptions } from '@/lib/geo';
import { useFormErrors } from '@/lib/useFormErrors';
import { FormError } from './ErrorAlert';

/** Creates an org (the caller becomes its owner) and switches to it. */
export function CreateOrgModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const navigate = useNavigate();
  const createOrg = useCreateOrg();
  const switchOrg = useSwitchOrg();
  const form = useForm({
    mode: 'controlled',
    initialValues: { name: '', timezone: browserTimezone(), default_country: browserCountry() },
    validate: { name: (v) => (v.trim() ? null : 'Give the organization a name') },
  });
  const { formError, applyError, resetError } = useFormErrors(form);
  const busy = createOrg.isPending || switchOrg.isPending;

  const close = () => {
    if (busy) return;
    form.reset();
    resetError();
    onClose();
  };

  const submit = form.onSubmit(async (values) => {
    resetError();
    try {
      const org = await createOrg.mutateAsync({ ...values, name: values.name.trim() });
      await switchOrg.mutateAsync(org.id);
      notifications.show({ color: 'teal', title: 'Organization created', message: `You're now working in ${org.name}.` });
      form.reset();
      onClose();
      navigate('/');
    } catch (err) {
      applyError(err);
    }
  });

  return (
    <Modal opened={opened} onClose={close} title={<Text fw={600}>Create organization</Text>} size="md">
      <form onSubmit={submit} noValidate>
        <Stack gap="md">
          <Text size="sm" c="dimmed">
            You'll be the owner. Each organization has its own contacts, channels, members and API keys.
          </Text>
          <TextInput label="Organization name" placeholder="Acme Inc." required data-autofocus {...form.getInputProps('name')} />
          <Select
            label="Timezone"
            description="Used for schedules and reports"
            data={timezoneOptions()}
            searchable
            nothingFoundMessage="No matching timezone"
            {...form.getInputProps('timezone')}
          />
          <Select
            label="Default country"
            description="Phone numbers without a country code are read as this country's"
            data={countryOptions()}
            searchable
            nothingFoundMessage="No matching country"
            {...form.getInputProps('default_country')}
          />
          <FormError message={formError} />
          <Group justify="flex-end" mt="xs">
            <Button variant="default" onClick={close} disabled={busy}>
              Cancel
            </Button>
            <Button type="submit" loading={busy}>
              Create organization
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

import { Button, Card, Group, Select, SimpleGrid, Skeleton, Stack, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { IconLock } from '@tabler/icons-react';
import { useEffect, useMemo } from 'react';
import { useOrg, useUpdateOrg } from '@/api/queries';
import type { Org } from '@/api/types';
import { ErrorAlert, FormError } from '@/components/ErrorAlert';
import { formatDate } from '@/lib/format';
import { countryOptions, timezoneOptions, withValue } from '@/lib/geo';
import { useFormErrors } from '@/lib/useFormErrors';

/** Name, timezone and default country; editable by admins. */
export function OrgDetailsCard({ canEdit }: { canEdit: boolean }) {
  const org = useOrg();
  return (
    <Card id="general">
      <Title order={4} fz="md">
        Organization
      </Title>
      <Text size="sm" c="dimmed" mb="md">
        How your organization appears, and the defaults used for schedules and phone numbers.
      </Text>
      {org.isPending ? (
        <Stack gap="sm">
          <Skeleton h={56} />
          <Skeleton h={56} />
        </Stack>
      ) : org.isError ? (
        <ErrorAlert error={org.error} title="Couldn't load the organization" onRetry={() => void org.refetch()} />
      ) : (
        <OrgForm org={org.data} canEdit={canEdit} />
      )}
    </Card>
  );
}

function OrgForm({ org, canEdit }: { org: Org; canEdit: boolean }) {
  const update = useUpdateOrg();
  const form = useForm({
    mode: 'controlled',
    initialValues: { name: org.name, timezone: org.timezone, default_country: org.default_country },
    validate: { name: (v) => (v.trim() ? null : 'The organization needs a name') },
  });
  const { formError, applyError, resetError } = useFormErrors(form);

  useEffect(() => {
    const values = { name: org.name, timezone: org.timezone, default_country: org.default_country };
    form.setInitialValues(values);
    form.setValues(values);
    form.resetDirty(values);
  }, [org.id, org.updated_at]);

  const zones = useMemo(() => withValue(timezoneOptions(), form.values.timezone), [form.values.timezone]);
  const countries = useMemo(() => withValue(countryOptions(), form.values.default_country), [form.values.default_country]);

  const submit = form.onSubmit(async (values) => {
    resetError();
    try {
      const saved = await update.mutateAsync({ name: values.name.trim(), timezone: values.timezone, default_country: values.default_country });
      const next = { name: saved.name, timezone: saved.timezone, default_country: saved.default_country };
      form.setInitialValues(next);
      form.setValues(next);
      form.resetDirty(next);
      notifications.show({ color: 'teal', message: 'Organization details saved' });
    } catch (err) {
      applyError(err);
    }
  });

  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="md">
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
          <TextInput label="Name" required readOnly={!canEdit} {...form.getInputProps('name')} />
          <TextInput label="Slug" value={org.slug} readOnly description="Set when the organization was created" />
          <Select
            label="Timezone"
            data={zones}
            searchable
            readOnly={!canEdit}
            nothingFoundMessage="No matching timezone"
            {...form.getInputProps('timezone')}
          />
          <Select
            label="Default country"
            description="Phone numbers without a country code are read as this country's"
            data={countries}
            searchable
            readOnly={!canEdit}
            nothingFoundMessage="No matching country"
            {...form.getInputProps('default_country')}
          />
        </SimpleGrid>
        <FormError message={formError} />
        <Group justify="space-between">
          <Text size="xs" c="dimmed">
            Created {formatDate(org.created_at)}
          </Text>
          {canEdit ? (
            <Group gap="sm">
              {form.isDirty() && (
                <Button variant="default" onClick={() => form.reset()} disabled={update.isPending}>
                  Discard
                </Button>
              )}
              <Button type="submit" loading={update.isPending} disabled={!form.isDirty()}>
                Save changes
              </Button>
            </Group>
          ) : (
            <Group gap={6}>
              <IconLock size={14} color="var(--mantine-color-gray-6)" />
              <Text size="xs" c="dimmed">
                Only admins can change these details
              </Text>
            </Group>
          )}
        </Group>
      </Stack>
    </form>
  );
}

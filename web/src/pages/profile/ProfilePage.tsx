import { PasswordField } from '@/components/PasswordField';
import { Avatar, Badge, Button, Card, Group, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconPlus, IconShieldLock } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import { useChangePassword, useOrgs, useSwitchOrg, useUpdateMe } from '@/api/queries';
import type { Role } from '@/api/types';
import { CreateOrgModal } from '@/components/CreateOrgModal';
import { ErrorAlert, FormError } from '@/components/ErrorAlert';
import { OrgAvatar } from '@/components/OrgAvatar';
import { PageHeader } from '@/components/PageHeader';
import { useCurrent } from '@/layout/CurrentContext';
import { formatDate, initials } from '@/lib/format';
import { ROLE_COLORS, ROLE_LABELS } from '@/lib/roles';
import { useFormErrors } from '@/lib/useFormErrors';
import { MIN_PASSWORD } from '@/pages/auth/SignupPage';

export function ProfilePage() {
  return (
    <>
      <PageHeader title="Profile" description="Your personal details, password and organizations." />
      <Stack gap="lg">
        <DetailsCard />
        <PasswordCard />
        <OrgsCard />
      </Stack>
    </>
  );
}

function DetailsCard() {
  const { me } = useCurrent();
  const user = me.user;
  const update = useUpdateMe();
  const form = useForm({
    mode: 'controlled',
    initialValues: { name: user.name, phone: user.phone ?? '' },
    validate: {
      name: (v) => (v.trim() ? null : 'Enter your name'),
      phone: (v) => (!v.trim() || /^\+?[0-9 ()\-.]{5,20}$/.test(v.trim()) ? null : 'Use international format, e.g. +1 415 555 0100'),
    },
  });
  const { formError, applyError, resetError } = useFormErrors(form);

  useEffect(() => {
    const values = { name: user.name, phone: user.phone ?? '' };
    form.setInitialValues(values);
    form.setValues(values);
    form.resetDirty(values);
  }, [user.name, user.phone]);

  const submit = form.onSubmit(async (values) => {
    resetError();
    try {
      await update.mutateAsync({ name: values.name.trim(), phone: values.phone.trim() });
      const saved = { name: values.name.trim(), phone: values.phone.trim() };
      form.setInitialValues(saved);
      form.setValues(saved);
      form.resetDirty(saved);
      notifications.show({ color: 'teal', message: 'Profile saved' });
    } catch (err) {
      applyError(err);
    }
  });

  return (
    <Card>
      <Group gap="md" mb="lg" wrap="nowrap">
        <Avatar size={56} radius="xl" color="brand" variant="light">
          {initials(user.name, user.email)}
        </Avatar>
        <div style={{ minWidth: 0 }}>
          <Group gap={6}>
            <Text fw={600} size="lg" truncate="end">
              {user.name || user.email}
            </Text>
            {user.is_staff && (
              <Badge variant="light" color="orange" size="sm">
                Staff
              </Badge>
            )}
          </Group>
          <Text size="sm" c="dimmed">
            Member since {formatDate(user.created_at)}
          </Text>
        </div>
      </Group>
      <form onSubmit={submit} noValidate>
        <Stack gap="md">
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
            <TextInput label="Name" autoComplete="name" required {...form.getInputProps('name')} />
            <TextInput label="Email" value={user.email} readOnly description="Your sign-in email can't be changed here" />
            <TextInput label="Phone" autoComplete="tel" placeholder="+1 415 555 0100" description="Optional. Used for alerts once they're available." {...form.getInputProps('phone')} />
          </SimpleGrid>
          <FormError message={formError} />
          <Group justify="flex-end">
            {form.isDirty() && (
              <Button variant="default" onClick={() => form.reset()} disabled={update.isPending}>
                Discard
              </Button>
            )}
            <Button type="submit" loading={update.isPending} disabled={!form.isDirty()}>
              Save profile
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

function PasswordCard() {
  const change = useChangePassword();
  const form = useForm({
    mode: 'controlled',
    initialValues: { current_password: '', new_password: '', confirm: '' },
    validate: {
      current_password: (v) => (v ? null : 'Enter your current password'),
      new_password: (v, values) =>
        v.length < MIN_PASSWORD ? `Use at least ${MIN_PASSWORD} characters` : v === values.current_password ? 'Choose a password different from the current one' : null,
      confirm: (v, values) => (v === values.new_password ? null : "The passwords don't match"),
    },
  });
  const { formError, applyError, resetError } = useFormErrors(form);

  const submit = form.onSubmit(async (values) => {
    resetError();
    try {
      await change.mutateAsync({ current_password: values.current_password, new_password: values.new_password });
      form.reset();
      notifications.show({ color: 'teal', title: 'Password changed', message: 'Your other sessions were signed out.' });
    } catch (err) {
      applyError(err);
    }
  });

  return (
    <Card>
      <Group gap="xs" mb={4}>
        <IconShieldLock size={18} color="var(--mantine-color-gray-7)" />
        <Title order={4} fz="md">
          Password
        </Title>
      </Group>
      <Text size="sm" c="dimmed" mb="md">
        Changing your password signs you out everywhere else.
      </Text>
      <form onSubmit={submit} noValidate>
        <Stack gap="md">
          <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="md">
            <PasswordField label="Current password" autoComplete="current-password" {...form.getInputProps('current_password')} />
            <PasswordField label="New password" autoComplete="new-password" description={`At least ${MIN_PASSWORD} characters`} {...form.getInputProps('new_password')} />
            <PasswordField label="Confirm new password" autoComplete="new-password" {...form.getInputProps('confirm')} />
          </SimpleGrid>
          <FormError message={formError} />
          <Group justify="flex-end">
            <Button type="submit" loading={change.isPending}>
              Change password
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

function OrgsCard() {
  const { org: current } = useCurrent();
  const orgs = useOrgs();
  const switchOrg = useSwitchOrg();
  const [switching, setSwitching] = useState<string | null>(null);
  const [opened, modal] = useDisclosure(false);

  return (
    <Card p={0}>
      <Group justify="space-between" px="lg" py="md" style={{ borderBottom: '1px solid var(--mantine-color-gray-2)' }}>
        <div>
          <Title order={4} fz="md">
            Organizations
          </Title>
          <Text size="xs" c="dimmed">
            The organizations you belong to
          </Text>
        </div>
        <Button variant="light" leftSection={<IconPlus size={16} />} onClick={modal.open}>
          Create organization
        </Button>
      </Group>
      {orgs.isPending ? (
        <Text p="lg" size="sm" c="dimmed">
          Loading…
        </Text>
      ) : orgs.isError ? (
        <Stack p="lg">
          <ErrorAlert error={orgs.error} title="Couldn't load your organizations" onRetry={() => void orgs.refetch()} />
        </Stack>
      ) : (
        <Table.ScrollContainer minWidth={480}>
          <Table verticalSpacing="sm" horizontalSpacing="lg" data-testid="orgs-table">
            <Table.Tbody>
              {(orgs.data.items ?? []).map((o) => {
                const isCurrent = o.id === current?.id;
                return (
                  <Table.Tr key={o.id} data-testid={`org-row-${o.name}`}>
                    <Table.Td>
                      <Group gap="sm" wrap="nowrap">
                        <OrgAvatar id={o.id} name={o.name} size={32} />
                        <div>
                          <Text size="sm" fw={600}>
                            {o.name}
                          </Text>
                          <Text size="xs" c="dimmed">
                            {o.timezone} · {o.default_country}
                          </Text>
                        </div>
                      </Group>
                    </Table.Td>
                    <Table.Td>
                      <Badge variant="light" color={ROLE_COLORS[o.role as Role]}>
                        {ROLE_LABELS[o.role as Role]}
                      </Badge>
                    </Table.Td>
                    <Table.Td ta="right">
                      {isCurrent ? (
                        <Badge variant="outline" color="teal">
                          Current
                        </Badge>
                      ) : (
                        <Button
                          size="xs"
                          variant="default"
                          loading={switching === o.id}
                          onClick={() => {
                            setSwitching(o.id);
                            switchOrg.mutate(o.id, {
                              onSuccess: () => notifications.show({ color: 'teal', message: `Switched to ${o.name}` }),
                              onSettled: () => setSwitching(null),
                            });
                          }}
                        >
                          Switch
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {switchOrg.isError && (
        <Stack px="lg" pb="lg">
          <ErrorAlert error={switchOrg.error} title="Couldn't switch organization" />
        </Stack>
      )}
      <CreateOrgModal opened={opened} onClose={modal.close} />
    </Card>
  );
}

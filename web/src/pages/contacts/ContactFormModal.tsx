import { Alert, Anchor, Button, Group, Modal, SimpleGrid, Stack, TagsInput, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconAlertCircle } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import { FormError } from '@/components/ErrorAlert';
import { useFormErrors } from '@/lib/useFormErrors';
import { type Contact, type ContactInput, DuplicateContactError, useCreateContact, useUpdateContact } from './api';

interface Values {
  first_name: string;
  last_name: string;
  email: string;
  phone: string;
  whatsapp: string;
  telegram_username: string;
  instagram_username: string;
  tags: string[];
}

const FIELD_LABELS: Record<string, string> = {
  email: 'email',
  phone: 'phone number',
  whatsapp: 'WhatsApp number',
  telegram_chat_id: 'Telegram chat',
  instagram_id: 'Instagram account',
};

function valuesOf(c: Contact | null): Values {
  return {
    first_name: c?.first_name ?? '',
    last_name: c?.last_name ?? '',
    email: c?.email ?? '',
    phone: c?.phone ?? '',
    whatsapp: c?.whatsapp ?? '',
    telegram_username: c?.telegram_username ?? '',
    instagram_username: c?.instagram_username ?? '',
    tags: c?.tags ?? [],
  };
}

/** Creates a contact, or edits one when `contact` is given. */
export function ContactFormModal({
  opened,
  contact,
  onClose,
  onSaved,
  onOpenContact,
}: {
  opened: boolean;
  contact: Contact | null;
  onClose: () => void;
  onSaved: (c: Contact) => void;
  onOpenContact: (id: string) => void;
}) {
  const create = useCreateContact();
  const update = useUpdateContact();
  const busy = create.isPending || update.isPending;
  const [duplicate, setDuplicate] = useState<{ id: string; field: string } | null>(null);
  const form = useForm<Values>({
    mode: 'controlled',
    initialValues: valuesOf(contact),
    validate: {
      email: (v) => (v.trim() && !/^[^\s@]+@[^\s@]+$/.test(v.trim()) ? 'Enter an email address like ana@example.com' : null),
    },
  });
  const { formError, applyError, resetError } = useFormErrors(form);

  useEffect(() => {
    if (opened) {
      form.setValues(valuesOf(contact));
      form.resetDirty(valuesOf(contact));
      form.clearErrors();
      resetError();
      setDuplicate(null);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [opened, contact?.id]);

  const close = () => {
    if (busy) return;
    onClose();
  };

  const submit = form.onSubmit(async (values) => {
    resetError();
    setDuplicate(null);
    const body: ContactInput = {
      first_name: values.first_name.trim(),
      last_name: values.last_name.trim(),
      email: values.email.trim(),
      phone: values.phone.trim(),
      whatsapp: values.whatsapp.trim(),
      telegram_username: values.telegram_username.trim().replace(/^@/, ''),
      instagram_username: values.instagram_username.trim().replace(/^@/, ''),
      tags: values.tags,
    };
    if (!contact) {
      // A new contact: leave out what is empty rather than sending blanks.
      for (const k of Object.keys(body) as (keyof ContactInput)[]) {
        if (body[k] === '') delete body[k];
      }
      if (!body.email && !body.phone && !body.whatsapp && !body.telegram_username && !body.instagram_username && !body.first_name && !body.last_name) {
        form.setFieldError('email', 'Give at least a name, an email or a number');
        return;
      }
    }
    try {
      const saved = contact ? await update.mutateAsync({ id: contact.id, body }) : await create.mutateAsync(body);
      onSaved(saved);
    } catch (err) {
      if (err instanceof DuplicateContactError) {
        const field = err.field ?? 'email';
        const what = FIELD_LABELS[field] ?? field;
        form.setErrors({ [field]: `A contact with this ${what} already exists` });
        setDuplicate({ id: err.existingId, field: what });
        return;
      }
      applyError(err);
    }
  });

  return (
    <Modal opened={opened} onClose={close} title={<Text fw={600}>{contact ? 'Edit contact' : 'New contact'}</Text>} size="lg">
      <form onSubmit={submit} noValidate>
        <Stack gap="md">
          <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="md">
            <TextInput label="First name" data-autofocus {...form.getInputProps('first_name')} />
            <TextInput label="Last name" {...form.getInputProps('last_name')} />
          </SimpleGrid>
          <TextInput label="Email" type="email" placeholder="ana@example.com" {...form.getInputProps('email')} />
          <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="md">
            <TextInput label="Phone" placeholder="+4930123456" description="E.164, or local to your org's country" {...form.getInputProps('phone')} />
            <TextInput label="WhatsApp" placeholder="+4930123456" description="The number the person uses on WhatsApp" {...form.getInputProps('whatsapp')} />
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="md">
            <TextInput label="Telegram username" placeholder="ana_k" leftSection="@" {...form.getInputProps('telegram_username')} />
            <TextInput label="Instagram username" placeholder="ana.k" leftSection="@" {...form.getInputProps('instagram_username')} />
          </SimpleGrid>
          <TagsInput label="Tags" placeholder="Type a tag and press Enter" clearable {...form.getInputProps('tags')} />
          {duplicate && (
            <Alert color="orange" variant="light" icon={<IconAlertCircle size={18} />} py="xs" data-testid="duplicate-alert">
              <Text size="sm">
                A contact with this {duplicate.field} already exists.{' '}
                <Anchor component="button" type="button" size="sm" onClick={() => onOpenContact(duplicate.id)}>
                  Open that contact
                </Anchor>
              </Text>
            </Alert>
          )}
          <FormError message={formError} />
          <Group justify="flex-end" mt="xs">
            <Button variant="default" onClick={close} disabled={busy}>
              Cancel
            </Button>
            <Button type="submit" loading={busy}>
              {contact ? 'Save changes' : 'Create contact'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

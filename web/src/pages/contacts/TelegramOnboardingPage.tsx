import { Alert, Anchor, Button, Card, Code, CopyButton, Group, SegmentedControl, Select, SimpleGrid, Skeleton, Stack, Text, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { IconBrandTelegram, IconCheck, IconCopy, IconInfoCircle, IconRefresh } from '@tabler/icons-react';
import { QRCodeSVG } from 'qrcode.react';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '@/api/client';
import { ErrorAlert } from '@/components/ErrorAlert';
import { PageHeader } from '@/components/PageHeader';
import { useCurrent } from '@/layout/CurrentContext';
import { formatDateTime } from '@/lib/format';
import { atLeast } from '@/lib/roles';
import { type StartCode, useCreateStartCode, useStartCode } from '../conversations/api';

/** Contacts matching a search, for the picker. */
function useContactOptions(search: string) {
  return useQuery({
    queryKey: ['telegram-onboarding', 'contacts', search],
    queryFn: () => unwrap(api.GET('/api/v1/contacts', { params: { query: { limit: 20, ...(search ? { search } : {}) } } })),
    staleTime: 30_000,
  });
}

function contactLabel(c: { first_name?: string; last_name?: string; email?: string | null; whatsapp?: string | null; telegram_username?: string | null; id: string }): string {
  const name = `${c.first_name ?? ''} ${c.last_name ?? ''}`.trim();
  const extra = c.email || c.whatsapp || (c.telegram_username ? `@${c.telegram_username}` : '');
  if (name && extra) return `${name} · ${extra}`;
  return name || extra || c.id;
}

/**
 * Telegram onboarding: a deep link (and its QR code) that links the bot's
 * chat with a person to their contact when they press Start, or an
 * org-wide link for anyone.
 */
export function TelegramOnboardingPage() {
  const { role } = useCurrent();
  const canCreate = atLeast(role, 'member');
  const [mode, setMode] = useState<'contact' | 'org'>('contact');
  const [contactId, setContactId] = useState<string | null>(null);
  const [search, setSearch] = useState('');
  const [debounced] = useDebouncedValue(search, 250);
  const options = useContactOptions(debounced);
  const target = mode === 'org' ? null : contactId;
  const ready = mode === 'org' || !!contactId;
  const existing = useStartCode(target, ready);
  const create = useCreateStartCode();
  const code: StartCode | null | undefined = existing.data;

  const make = (rotate: boolean) => create.mutate({ ...(target ? { contact_id: target } : {}), ...(rotate ? { rotate: true } : {}) });

  return (
    <>
      <PageHeader
        title="Telegram onboarding"
        description="Telegram bots can only message people who started a chat with them. Share a link: when the person opens it and presses Start, their chat is linked to the contact, and you can message them on Telegram."
      />
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
        <Card withBorder padding="lg">
          <Stack gap="md">
            <SegmentedControl
              value={mode}
              onChange={(v) => setMode(v as 'contact' | 'org')}
              data={[
                { value: 'contact', label: 'For a contact' },
                { value: 'org', label: 'For anyone (org-wide)' },
              ]}
              aria-label="Link for"
            />
            {mode === 'contact' ? (
              <Select
                label="Contact"
                placeholder="Search contacts"
                searchable
                clearable
                searchValue={search}
                onSearchChange={setSearch}
                data={(options.data?.items ?? []).map((c) => ({ value: c.id, label: contactLabel(c) }))}
                value={contactId}
                onChange={setContactId}
                nothingFoundMessage={options.isFetching ? 'Searching…' : 'No contacts'}
                filter={({ options }) => options}
                description="The link is for this person only: it works once, and a forwarded link links nothing."
              />
            ) : (
              <Text size="sm" c="dimmed">
                Anyone who starts the bot with this link becomes a contact (or is matched to the contact their chat already belongs to). Put it on your website, in an email signature, or print the QR code.
              </Text>
            )}
            <Alert variant="light" color="blue" icon={<IconInfoCircle size={18} />}>
              <Text size="sm">
                The bot is the one set in <Anchor component={Link} to="/settings/channels">Settings → Channels</Anchor>. Messages people send after pressing Start appear in{' '}
                <Anchor component={Link} to="/messaging/conversations">Conversations</Anchor>.
              </Text>
            </Alert>
          </Stack>
        </Card>

        <Card withBorder padding="lg" data-testid="start-link-card">
          {!ready ? (
            <Stack align="center" justify="center" h="100%" gap="xs" py="xl">
              <IconBrandTelegram size={40} color="var(--mantine-color-blue-5)" />
              <Text c="dimmed" size="sm">
                Pick a contact to see their link.
              </Text>
            </Stack>
          ) : existing.isPending ? (
            <Stack>
              <Skeleton h={24} w="60%" />
              <Skeleton h={180} w={180} />
            </Stack>
          ) : existing.isError ? (
            <ErrorAlert error={existing.error} onRetry={() => void existing.refetch()} />
          ) : (
            <Stack gap="md">
              <ErrorAlert error={create.error} onClose={() => create.reset()} />
              {!code ? (
                <Stack gap="sm" align="flex-start">
                  <Title order={4}>No link yet</Title>
                  <Text size="sm" c="dimmed">
                    {mode === 'org' ? 'Create the org-wide link.' : 'Create a link for this contact.'}
                  </Text>
                  {canCreate ? (
                    <Button leftSection={<IconBrandTelegram size={16} />} onClick={() => make(false)} loading={create.isPending}>
                      Create link
                    </Button>
                  ) : (
                    <Text size="sm">Ask a member of your organization to create it.</Text>
                  )}
                </Stack>
              ) : (
                <LinkView code={code} canCreate={canCreate} onRotate={() => make(true)} rotating={create.isPending} onRenew={() => make(false)} />
              )}
            </Stack>
          )}
        </Card>
      </SimpleGrid>
    </>
  );
}

function LinkView({ code, canCreate, onRotate, onRenew, rotating }: { code: StartCode; canCreate: boolean; onRotate: () => void; onRenew: () => void; rotating: boolean }) {
  const usedUp = !!code.contact_id && !!code.used_at;
  return (
    <Stack gap="md">
      {code.link ? (
        <>
          <Group align="flex-start" gap="lg" wrap="wrap">
            <div style={{ background: 'white', padding: 8, border: '1px solid var(--mantine-color-gray-3)', borderRadius: 8 }}>
              <QRCodeSVG value={code.link} size={176} marginSize={1} title="QR code of the Telegram link" data-testid="start-qr" />
            </div>
            <Stack gap={6} style={{ flex: '1 1 200px', minWidth: 0 }}>
              <Text size="sm" fw={600}>
                Deep link
              </Text>
              <Code block data-testid="start-link" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
                {code.link}
              </Code>
              <Group gap="xs">
                <CopyButton value={code.link}>
                  {({ copied, copy }) => (
                    <Button size="xs" variant={copied ? 'light' : 'filled'} color={copied ? 'teal' : 'blue'} leftSection={copied ? <IconCheck size={14} /> : <IconCopy size={14} />} onClick={copy}>
                      {copied ? 'Copied' : 'Copy link'}
                    </Button>
                  )}
                </CopyButton>
                <Button size="xs" variant="default" component="a" href={code.link} target="_blank" rel="noopener">
                  Open
                </Button>
              </Group>
            </Stack>
          </Group>
        </>
      ) : (
        <Alert color="yellow" variant="light" icon={<IconInfoCircle size={18} />} title="The bot's username is not known yet">
          <Text size="sm">
            Connect Telegram and run its test in <Anchor component={Link} to="/settings/channels">Settings → Channels</Anchor>: the link needs the bot's username. The code is ready: <Code>{code.code}</Code>
          </Text>
        </Alert>
      )}
      <Text size="xs" c="dimmed">
        Created {formatDateTime(code.created_at)}
        {code.used_at ? ` · ${code.contact_id ? 'used' : 'last used'} ${formatDateTime(code.used_at)}` : ' · not used yet'}
      </Text>
      {usedUp && (
        <Alert color="green" variant="light" icon={<IconCheck size={18} />}>
          <Text size="sm">This contact's chat is linked. The link has done its work; make a new one if they need to link another Telegram account.</Text>
        </Alert>
      )}
      {canCreate && (
        <Group gap="xs">
          {usedUp ? (
            <Button size="xs" variant="default" onClick={onRenew} loading={rotating}>
              New link
            </Button>
          ) : (
            <Button size="xs" variant="subtle" color="gray" leftSection={<IconRefresh size={14} />} onClick={onRotate} loading={rotating}>
              Replace link (the old one stops working)
            </Button>
          )}
        </Group>
      )}
    </Stack>
  );
}

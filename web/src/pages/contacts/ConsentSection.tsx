import { Alert, Anchor, Badge, Button, Group, Skeleton, Stack, Text, Textarea, Timeline, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconBan, IconCircleCheck, IconInfoCircle } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import { useMembers } from '@/api/queries';
import { ConfirmDialog } from '@/components/ConfirmDialog';
import { ErrorAlert } from '@/components/ErrorAlert';
import { formatDateTime, formatRelative } from '@/lib/format';
import { type Channel, CHANNELS, type ConsentAction, type Contact, contactLabel, useChangeConsent, useConsentEvents } from './api';
import { CHANNEL_NAMES, channelAddress, consentActor, consentEventColor, consentEventTitle, consentSourceLabel } from './consent';

const HISTORY_SHOWN = 5;

/**
 * Consent per channel, with opt-out (members) and resubscribe (admins, with
 * a reason that the history keeps), and the consent history.
 */
export function ConsentSection({ contact: c, canEdit, canAdmin }: { contact: Contact; canEdit: boolean; canAdmin: boolean }) {
  const [change, setChange] = useState<{ action: ConsentAction; channel: Channel } | null>(null);

  return (
    <>
      <div>
        <Text size="xs" fw={600} tt="uppercase" c="dimmed" mb={6}>
          Consent
        </Text>
        <Stack gap={6} data-testid="consent">
          {CHANNELS.map((ch) => {
            const consent = c.consent?.[ch];
            const address = channelAddress(c, ch);
            const out = consent?.status === 'opted_out';
            return (
              <Group key={ch} justify="space-between" gap="xs" wrap="nowrap" data-testid={`consent-${ch}`}>
                <div style={{ minWidth: 0 }}>
                  <Text size="sm">{CHANNEL_NAMES[ch]}</Text>
                  {consent && (
                    <Tooltip label={formatDateTime(consent.at)}>
                      <Text size="xs" c="dimmed" truncate="end">
                        {consentSourceLabel(consent.source)} · {formatRelative(consent.at)}
                      </Text>
                    </Tooltip>
                  )}
                </div>
                <Group gap={6} wrap="nowrap" style={{ flex: 'none' }}>
                  {consent ? (
                    <Badge variant="light" color={out ? 'red' : 'teal'} tt="none" leftSection={out ? <IconBan size={11} /> : <IconCircleCheck size={11} />}>
                      {out ? 'Opted out' : 'Opted in'}
                    </Badge>
                  ) : (
                    <Text size="xs" c="dimmed">
                      None recorded
                    </Text>
                  )}
                  {out && canAdmin && (
                    <Button size="compact-xs" variant="light" color="teal" onClick={() => setChange({ action: 'resubscribe', channel: ch })} aria-label={`Resubscribe to ${CHANNEL_NAMES[ch]}`}>
                      Resubscribe
                    </Button>
                  )}
                  {!out && canEdit && (address || consent) && (
                    <Button size="compact-xs" variant="subtle" color="red" onClick={() => setChange({ action: 'unsubscribe', channel: ch })} aria-label={`Opt out of ${CHANNEL_NAMES[ch]}`}>
                      Opt out
                    </Button>
                  )}
                </Group>
              </Group>
            );
          })}
        </Stack>
        {canEdit && !canAdmin && CHANNELS.some((ch) => c.consent?.[ch]?.status === 'opted_out') && (
          <Text size="xs" c="dimmed" mt={6}>
            Only admins can resubscribe a contact who opted out.
          </Text>
        )}
      </div>
      <ConsentHistory contactId={c.id} />
      <ConsentChangeDialog contact={c} change={change} onClose={() => setChange(null)} />
    </>
  );
}

function ConsentHistory({ contactId }: { contactId: string }) {
  const events = useConsentEvents(contactId);
  const members = useMembers();
  const [all, setAll] = useState(false);
  const items = events.data?.items ?? [];
  const shown = all ? items : items.slice(0, HISTORY_SHOWN);

  return (
    <div>
      <Text size="xs" fw={600} tt="uppercase" c="dimmed" mb={8}>
        Consent history
      </Text>
      {events.isPending ? (
        <Stack gap={6}>
          <Skeleton h={16} w="70%" />
          <Skeleton h={16} w="50%" />
        </Stack>
      ) : events.isError ? (
        <ErrorAlert error={events.error} title="Couldn't load the history" onRetry={() => void events.refetch()} />
      ) : items.length === 0 ? (
        <Text size="sm" c="dimmed">
          No opt-outs or resubscribes yet.
        </Text>
      ) : (
        <>
          <Timeline bulletSize={14} lineWidth={2} data-testid="consent-history">
            {shown.map((ev) => (
              <Timeline.Item key={ev.id} color={consentEventColor(ev.action)} title={<Text size="sm" fw={600}>{consentEventTitle(ev)}</Text>} data-testid="consent-event">
                {ev.reason && (
                  <Text size="sm" c="dark.4" style={{ overflowWrap: 'anywhere' }}>
                    “{ev.reason}”
                  </Text>
                )}
                <Tooltip label={formatDateTime(ev.created_at)}>
                  <Text size="xs" c="dimmed" mt={2}>
                    {consentActor(ev, members.data?.items)} · {formatRelative(ev.created_at)}
                    {ev.value ? ` · ${ev.value}` : ''}
                  </Text>
                </Tooltip>
              </Timeline.Item>
            ))}
          </Timeline>
          {items.length > HISTORY_SHOWN && (
            <Anchor component="button" size="xs" mt="xs" onClick={() => setAll((v) => !v)}>
              {all ? 'Show fewer' : `Show all ${items.length}`}
            </Anchor>
          )}
        </>
      )}
    </div>
  );
}

function ConsentChangeDialog({ contact: c, change, onClose }: { contact: Contact; change: { action: ConsentAction; channel: Channel } | null; onClose: () => void }) {
  const mutate = useChangeConsent();
  const [reason, setReason] = useState('');
  useEffect(() => setReason(''), [change]);
  // Kept while the dialog closes, so that its text does not change mid-transition.
  const [last, setLast] = useState(change);
  useEffect(() => {
    if (change) setLast(change);
  }, [change]);
  const shown = change ?? last;
  const resubscribe = shown?.action === 'resubscribe';
  const ch = shown ? CHANNEL_NAMES[shown.channel] : '';
  const address = shown ? channelAddress(c, shown.channel) : null;
  const name = contactLabel(c);

  return (
    <ConfirmDialog
      opened={!!change}
      onClose={onClose}
      title={resubscribe ? `Resubscribe to ${ch}` : `Opt out of ${ch}`}
      confirmLabel={resubscribe ? 'Resubscribe' : 'Opt out'}
      color={resubscribe ? 'teal' : 'red'}
      confirmDisabled={resubscribe && !reason.trim()}
      onConfirm={async () => {
        if (!change) return;
        await mutate.mutateAsync({ id: c.id, action: change.action, channel: change.channel, reason: reason.trim() });
        notifications.show({
          color: 'teal',
          message: resubscribe ? `${name} is resubscribed to ${ch}` : `${name} is opted out of ${ch}`,
        });
      }}
    >
      <Stack gap="sm">
        {resubscribe ? (
          <>
            <Text size="sm">
              <b>{name}</b> opted out of {ch}. Resubscribe them only if they asked to hear from you again: this lifts the suppression
              {address ? (
                <>
                  {' '}
                  of <b style={{ overflowWrap: 'anywhere' }}>{address}</b>
                </>
              ) : null}{' '}
              and lets messages reach them on {ch}.
            </Text>
            <Alert variant="light" color="blue" icon={<IconInfoCircle size={16} />} p="xs">
              <Text size="xs">The consent history records your name, the time and the reason.</Text>
            </Alert>
          </>
        ) : (
          <Text size="sm">
            <b>{name}</b> will get no more {ch} messages from your organization
            {address ? (
              <>
                , and <b style={{ overflowWrap: 'anywhere' }}>{address}</b> goes on the suppression list
              </>
            ) : null}
            . Use this for opt-outs received another way, such as a reply or a call.
          </Text>
        )}
        <Textarea
          label={resubscribe ? 'Reason' : 'Note'}
          description={resubscribe ? 'Required: kept in the consent history' : 'Optional: kept in the consent history'}
          placeholder={resubscribe ? 'They asked to get our newsletter again by email on …' : 'Replied STOP to the last campaign'}
          required={resubscribe}
          autosize
          minRows={2}
          maxLength={500}
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
          data-autofocus
        />
      </Stack>
    </ConfirmDialog>
  );
}

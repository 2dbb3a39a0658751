import { Alert, Skeleton, Stack, Text } from '@mantine/core';
import { IconFlask } from '@tabler/icons-react';
import { ErrorAlert } from '@/components/ErrorAlert';
import { PageHeader } from '@/components/PageHeader';
import { useCurrent } from '@/layout/CurrentContext';
import { atLeast } from '@/lib/roles';
import { useChannels } from './api';
import { ChannelCard } from './ChannelCard';
import { SettingsTabs } from './SettingsTabs';
import { SPEC_BY_CHANNEL } from './specs';

/** Settings → Channels: each provider's credentials, status and webhook URLs. */
export function ChannelsPage() {
  const { role } = useCurrent();
  const canEdit = atLeast(role, 'admin');
  const channels = useChannels();

  return (
    <>
      <PageHeader
        title="Settings"
        description="Connect the providers Switchboard sends through. Secrets are encrypted at rest and never shown again: only their last four characters."
      />
      <SettingsTabs />
      {channels.isPending ? (
        <Stack gap="lg">
          {[0, 1, 2, 3].map((i) => (
            <Skeleton key={i} h={220} radius="md" />
          ))}
        </Stack>
      ) : channels.isError ? (
        <ErrorAlert error={channels.error} title="Couldn't load the channel settings" onRetry={() => void channels.refetch()} />
      ) : (
        <Stack gap="lg">
          {channels.data.sandbox && canEdit && (
            <Alert color="violet" variant="light" icon={<IconFlask size={18} />} title="This server runs the provider sandbox">
              <Text size="sm">
                "Use sandbox credentials" fills a channel with credentials of the built-in simulator: messages go nowhere real, and delivery events and replies
                come back like the providers' own.
              </Text>
            </Alert>
          )}
          {(channels.data.items ?? []).map((c) => (
            <ChannelCard key={c.channel} spec={SPEC_BY_CHANNEL[c.channel]} settings={c} canEdit={canEdit} sandbox={channels.data.sandbox} />
          ))}
        </Stack>
      )}
    </>
  );
}

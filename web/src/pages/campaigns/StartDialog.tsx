import { Alert, Loader, Stack, Text } from '@mantine/core';
import { ConfirmDialog } from '@/components/ConfirmDialog';
import { ErrorAlert } from '@/components/ErrorAlert';
import { formatNumber } from '@/lib/format';
import { useSavedEstimate } from './api';
import { type Campaign, formatInZone, formatMoney } from './model';
import { EstimateBody } from './parts';

/**
 * The last look before sending: the saved campaign's estimate (asked again
 * as the dialog opens, so it counts the audience as it is now) and whether it
 * starts now or at its scheduled time.
 */
export function StartDialog({
  campaign,
  opened,
  onClose,
  onStart,
  timeZone,
}: {
  campaign: Campaign | undefined;
  opened: boolean;
  onClose: () => void;
  onStart: () => Promise<unknown>;
  timeZone: string | undefined;
}) {
  const estimate = useSavedEstimate(campaign?.id, opened);
  const scheduled = !!campaign?.scheduled_at && new Date(campaign.scheduled_at).getTime() > Date.now();
  const e = estimate.data;
  return (
    <ConfirmDialog
      opened={opened}
      onClose={onClose}
      title={scheduled ? 'Schedule this campaign?' : 'Start this campaign?'}
      confirmLabel={scheduled ? 'Schedule' : 'Start sending'}
      color="brand"
      onConfirm={onStart}
      confirmDisabled={!e || e.recipients === 0}
    >
      <Stack gap="sm" data-testid="start-dialog">
        {estimate.isPending ? (
          <Loader size="sm" />
        ) : estimate.isError ? (
          <ErrorAlert error={estimate.error} title="Couldn't estimate" />
        ) : e ? (
          <>
            <Text size="sm">
              {scheduled ? (
                <>
                  It will start on <b>{formatInZone(campaign?.scheduled_at, timeZone)}</b> and send
                </>
              ) : (
                <>It will send</>
              )}{' '}
              <b>{formatNumber(e.recipients)}</b> {e.recipients === 1 ? 'message' : 'messages'} for about <b>{formatMoney(e.cost_micros, e.currency)}</b>. Once sent, a message cannot be taken back.
            </Text>
            {e.recipients === 0 && (
              <Alert color="yellow" variant="light">
                Nobody would receive it: check the groups and the channels.
              </Alert>
            )}
            <EstimateBody estimate={e} />
          </>
        ) : null}
      </Stack>
    </ConfirmDialog>
  );
}

import { Button, Group, Modal, Stack, Text, Textarea } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { mapErrorToForm } from '@/api/problem';
import { FormError } from '@/components/ErrorAlert';
import { useRejectTemplate } from './api';

/** Sends the pending version back with a reason. */
export function RejectModal({ templateId, opened, onClose }: { templateId: string; opened: boolean; onClose: () => void }) {
  const reject = useRejectTemplate(templateId);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);

  const close = () => {
    if (reject.isPending) return;
    setReason('');
    setError(null);
    setFormError(null);
    onClose();
  };

  const submit = async () => {
    setError(null);
    setFormError(null);
    if (!reason.trim()) {
      setError('Say what to change');
      return;
    }
    try {
      await reject.mutateAsync(reason.trim());
      notifications.show({ color: 'orange', message: 'Template sent back with your reason' });
      setReason('');
      onClose();
    } catch (err) {
      const mapped = mapErrorToForm(err, ['reason']);
      setError(mapped.fieldErrors.reason ?? null);
      setFormError(mapped.formError);
    }
  };

  return (
    <Modal opened={opened} onClose={close} title={<Text fw={600}>Reject template</Text>}>
      <Stack>
        <Textarea
          label="Reason"
          description="The author sees this next to the template."
          placeholder="Shorten the subject and add the plan name"
          autosize
          minRows={3}
          data-autofocus
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
          error={error}
        />
        <FormError message={formError} />
        <Group justify="flex-end">
          <Button variant="default" onClick={close}>
            Cancel
          </Button>
          <Button color="red" onClick={() => void submit()} loading={reject.isPending}>
            Reject
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

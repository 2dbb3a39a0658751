import { Alert, Button, Group, Text } from '@mantine/core';
import { IconAlertCircle, IconRefresh } from '@tabler/icons-react';
import { describeError } from '@/api/problem';

/**
 * An API error as a person reads it: the problem's detail, and the request
 * id to quote to support when the server failed.
 */
export function ErrorAlert({
  error,
  title,
  onRetry,
  onClose,
  mt,
}: {
  error: unknown;
  title?: string;
  onRetry?: () => void;
  onClose?: () => void;
  mt?: string | number;
}) {
  if (!error) return null;
  const d = describeError(error);
  return (
    <Alert
      color="red"
      variant="light"
      icon={<IconAlertCircle size={18} />}
      title={title ?? d.title}
      withCloseButton={!!onClose}
      onClose={onClose}
      mt={mt}
      role="alert"
    >
      <Text size="sm">{d.message}</Text>
      {d.requestId && (
        <Text size="xs" c="dimmed" mt={4}>
          Request ID: <code>{d.requestId}</code>
        </Text>
      )}
      {onRetry && (
        <Group mt="sm">
          <Button size="xs" variant="white" color="red" leftSection={<IconRefresh size={14} />} onClick={onRetry}>
            Try again
          </Button>
        </Group>
      )}
    </Alert>
  );
}

/** A form-level message (what no field took) shown above the submit button. */
export function FormError({ message, mt }: { message: string | null | undefined; mt?: string | number }) {
  if (!message) return null;
  return (
    <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} mt={mt} role="alert" py="xs">
      <Text size="sm">{message}</Text>
    </Alert>
  );
}

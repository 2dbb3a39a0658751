import { Center, Loader, Stack, Text } from '@mantine/core';
import { LogoMark } from './Logo';

/** A centered loader for whole-page waits (boot, route guard). */
export function FullPageLoader({ label }: { label?: string }) {
  return (
    <Center h="100dvh" role="status" aria-live="polite">
      <Stack align="center" gap="sm">
        <LogoMark size={40} />
        <Loader size="sm" type="dots" />
        {label && (
          <Text size="sm" c="dimmed">
            {label}
          </Text>
        )}
      </Stack>
    </Center>
  );
}

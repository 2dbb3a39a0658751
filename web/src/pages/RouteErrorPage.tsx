import { Button, Center, Code, Stack, Text, Title } from '@mantine/core';
import { useRouteError } from 'react-router';
import { LogoMark } from '@/components/Logo';

/** Shown when a page crashes while rendering. */
export function RouteErrorPage() {
  const error = useRouteError();
  const message = error instanceof Error ? error.message : String(error ?? '');
  return (
    <Center h="100dvh" p="md">
      <Stack align="center" maw={480} ta="center" gap="sm">
        <LogoMark size={40} />
        <Title order={2} fz={22}>
          Something went wrong
        </Title>
        <Text c="dimmed" size="sm">
          This page hit an unexpected error. Reloading usually helps; if it keeps happening, tell us what you were doing.
        </Text>
        {message && (
          <Code block w="100%" ta="left">
            {message}
          </Code>
        )}
        <Button onClick={() => window.location.reload()}>Reload</Button>
      </Stack>
    </Center>
  );
}

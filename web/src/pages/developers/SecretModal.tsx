import { Alert, Box, Button, Code, CopyButton, Group, Modal, Stack, Text } from '@mantine/core';
import { IconAlertTriangle, IconCheck, IconCopy } from '@tabler/icons-react';
import { useState } from 'react';
import type { ApiKeyWithSecret } from '@/api/types';

/** Shows a new key's secret, once, with a copy button and a warning. */
export function SecretModal({ apiKey, onClose, regenerated = false }: { apiKey: ApiKeyWithSecret | null; onClose: () => void; regenerated?: boolean }) {
  const [copied, setCopied] = useState(false);
  const close = () => {
    setCopied(false);
    onClose();
  };
  const origin = typeof window !== 'undefined' ? window.location.origin : '';
  return (
    <Modal
      opened={!!apiKey}
      onClose={close}
      title={<Text fw={600}>{regenerated ? 'Your new secret' : 'Save your API key'}</Text>}
      size="lg"
      closeOnClickOutside={false}
    >
      {apiKey && (
        <Stack gap="md">
          <Alert color="yellow" variant="light" icon={<IconAlertTriangle size={18} />} title="Copy it now: you won't see it again">
            Store the secret somewhere safe, such as your secrets manager. Switchboard keeps only a hash of it, so if
            you lose it you'll have to regenerate the key.
          </Alert>
          <div>
            <Text size="sm" fw={500} mb={6}>
              {apiKey.name}
            </Text>
            <Group gap="xs" wrap="nowrap" align="stretch">
              <Box
                style={{
                  flex: 1,
                  minWidth: 0,
                  border: '1px solid var(--mantine-color-gray-3)',
                  borderRadius: 'var(--mantine-radius-md)',
                  background: 'var(--mantine-color-gray-0)',
                  padding: '8px 12px',
                  fontFamily: 'var(--mantine-font-family-monospace)',
                  fontSize: 13,
                  wordBreak: 'break-all',
                }}
                data-testid="api-key-secret"
              >
                {apiKey.secret}
              </Box>
              <CopyButton value={apiKey.secret} timeout={2500}>
                {({ copied: justCopied, copy }) => (
                  <Button
                    color={justCopied ? 'teal' : 'brand'}
                    leftSection={justCopied ? <IconCheck size={16} /> : <IconCopy size={16} />}
                    onClick={() => {
                      copy();
                      setCopied(true);
                    }}
                    style={{ flex: '0 0 auto', height: 'auto' }}
                  >
                    {justCopied ? 'Copied' : 'Copy'}
                  </Button>
                )}
              </CopyButton>
            </Group>
          </div>
          <div>
            <Text size="sm" fw={500} mb={6}>
              Try it
            </Text>
            <Code block style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
              {`curl ${origin}/api/v1/org \\\n  -H "Authorization: Bearer ${apiKey.secret}"`}
            </Code>
          </div>
          <Group justify="space-between" mt="xs">
            <Text size="xs" c={copied ? 'teal' : 'dimmed'}>
              {copied ? 'Copied to your clipboard.' : "Make sure you've copied the secret before closing."}
            </Text>
            <Button onClick={close} variant={copied ? 'filled' : 'default'}>
              I've saved it
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}

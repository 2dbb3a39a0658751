import { ActionIcon, Box, CopyButton, Group, Tooltip } from '@mantine/core';
import { IconCheck, IconCopy } from '@tabler/icons-react';

/** A read-only value in a monospace box with a copy button. */
export function CopyField({ value, testId }: { value: string; testId?: string }) {
  return (
    <Group gap={6} wrap="nowrap" align="stretch">
      <Box
        data-testid={testId}
        style={{
          flex: 1,
          minWidth: 0,
          border: '1px solid var(--mantine-color-gray-3)',
          borderRadius: 'var(--mantine-radius-md)',
          background: 'var(--mantine-color-gray-0)',
          padding: '6px 10px',
          fontFamily: 'var(--mantine-font-family-monospace)',
          fontSize: 12.5,
          wordBreak: 'break-all',
        }}
      >
        {value}
      </Box>
      <CopyButton value={value} timeout={2000}>
        {({ copied, copy }) => (
          <Tooltip label={copied ? 'Copied' : 'Copy'}>
            <ActionIcon
              variant={copied ? 'filled' : 'default'}
              color={copied ? 'teal' : undefined}
              onClick={copy}
              aria-label={copied ? 'Copied' : 'Copy'}
              style={{ height: 'auto', minHeight: 32, width: 34 }}
            >
              {copied ? <IconCheck size={15} /> : <IconCopy size={15} />}
            </ActionIcon>
          </Tooltip>
        )}
      </CopyButton>
    </Group>
  );
}

import { Group, Text } from '@mantine/core';
import { useId } from 'react';

/**
 * The Switchboard mark: a rounded tile with three jacks on each side and two
 * patch cords crossing between them.
 */
export function LogoMark({ size = 28, title }: { size?: number; title?: string }) {
  const gradient = `sb-logo-${useId().replace(/[^a-zA-Z0-9_-]/g, '')}`;
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 32 32"
      role={title ? 'img' : undefined}
      aria-hidden={title ? undefined : true}
      aria-label={title}
    >
      <defs>
        <linearGradient id={gradient} x1="0" y1="0" x2="1" y2="1">
          <stop offset="0" stopColor="#6b73f2" />
          <stop offset="1" stopColor="#3a45d4" />
        </linearGradient>
      </defs>
      <rect width="32" height="32" rx="8" fill={`url(#${gradient})`} />
      <path d="M9 9.5 C 16 9.5, 16 22.5, 23 22.5" fill="none" stroke="#fff" strokeWidth="2.2" strokeLinecap="round" />
      <path d="M9 22.5 C 16 22.5, 16 16, 23 16" fill="none" stroke="#c7cbff" strokeWidth="2.2" strokeLinecap="round" />
      <circle cx="9" cy="9.5" r="2.6" fill="#fff" />
      <circle cx="9" cy="16" r="2.2" fill="#aab0fb" />
      <circle cx="9" cy="22.5" r="2.6" fill="#fff" />
      <circle cx="23" cy="9.5" r="2.2" fill="#aab0fb" />
      <circle cx="23" cy="16" r="2.6" fill="#fff" />
      <circle cx="23" cy="22.5" r="2.6" fill="#fff" />
    </svg>
  );
}

/** Mark plus wordmark. */
export function Logo({ size = 28, inverted = false }: { size?: number; inverted?: boolean }) {
  return (
    <Group gap={10} wrap="nowrap">
      <LogoMark size={size} />
      <Text fw={700} fz={size * 0.64} lh={1} c={inverted ? 'white' : 'dark.8'} style={{ letterSpacing: '-0.02em' }}>
        Switchboard
      </Text>
    </Group>
  );
}

import { Button, SimpleGrid, Tooltip } from '@mantine/core';
import { IconBrandWindows } from '@tabler/icons-react';
import { useSsoProviders } from '@/api/queries';

const PROVIDERS = [
  { name: 'google', label: 'Google' },
  { name: 'microsoft', label: 'Microsoft' },
] as const;

/** Google's "G" in its colors (Tabler's is monochrome). */
function GoogleIcon() {
  return (
    <svg width="16" height="16" viewBox="0 0 48 48" aria-hidden>
      <path fill="#FFC107" d="M43.6 20.5H42V20H24v8h11.3C33.7 32.7 29.3 36 24 36c-6.6 0-12-5.4-12-12s5.4-12 12-12c3.1 0 5.8 1.2 7.9 3.1l5.7-5.7C34 6.1 29.3 4 24 4 12.9 4 4 12.9 4 24s8.9 20 20 20 20-8.9 20-20c0-1.3-.1-2.4-.4-3.5z" />
      <path fill="#FF3D00" d="M6.3 14.7l6.6 4.8C14.7 15.1 19 12 24 12c3.1 0 5.8 1.2 7.9 3.1l5.7-5.7C34 6.1 29.3 4 24 4 16.3 4 9.7 8.3 6.3 14.7z" />
      <path fill="#4CAF50" d="M24 44c5.2 0 9.9-2 13.4-5.2l-6.2-5.2C29.2 35.1 26.7 36 24 36c-5.2 0-9.6-3.3-11.3-8l-6.5 5C9.5 39.6 16.2 44 24 44z" />
      <path fill="#1976D2" d="M43.6 20.5H42V20H24v8h11.3c-.8 2.2-2.2 4.2-4.1 5.6l6.2 5.2C37 39.2 44 34 44 24c0-1.3-.1-2.4-.4-3.5z" />
    </svg>
  );
}

/**
 * "Continue with Google / Microsoft". Starting SSO is a full-page navigation;
 * the API brings the browser back to `redirect` with the session cookie set.
 * A provider the server has not configured shows disabled, with the reason.
 */
export function SsoButtons({ redirect }: { redirect: string }) {
  const providers = useSsoProviders();
  const configured = new Map((providers.data?.items ?? []).map((p) => [p.name, p.configured]));
  return (
    <SimpleGrid cols={2} spacing="sm">
      {PROVIDERS.map((p) => {
        const enabled = configured.get(p.name) === true;
        const icon = p.name === 'google' ? <GoogleIcon /> : <IconBrandWindows size={16} color="#0078d4" />;
        const href = `/api/v1/auth/sso/${p.name}/start?redirect=${encodeURIComponent(redirect)}`;
        const reason = providers.isPending
          ? 'Checking sign-in options…'
          : providers.isError
            ? 'Single sign-on is unavailable right now'
            : `${p.label} sign-in isn't configured on this server`;
        return enabled ? (
          <Button key={p.name} component="a" href={href} variant="default" leftSection={icon} fullWidth>
            {p.label}
          </Button>
        ) : (
          <Tooltip key={p.name} label={reason} multiline w={220}>
            <span style={{ display: 'block' }}>
              <Button variant="default" leftSection={icon} fullWidth disabled aria-label={`Sign in with ${p.label} (unavailable)`}>
                {p.label}
              </Button>
            </span>
          </Tooltip>
        );
      })}
    </SimpleGrid>
  );
}

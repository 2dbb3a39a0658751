import { AppShell, Box, Burger, Button, Center, Divider, Group, Stack, Text } from '@mantine/core';
import { useDisclosure, useMediaQuery } from '@mantine/hooks';
import { IconLogout } from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo } from 'react';
import { Link, Outlet, useLocation } from 'react-router';
import { useMe } from '@/api/queries';
import type { Role } from '@/api/types';
import { signOut } from '@/auth/actions';
import { ErrorAlert } from '@/components/ErrorAlert';
import { FullPageLoader } from '@/components/FullPageLoader';
import { Logo, LogoMark } from '@/components/Logo';
import { NoOrgPage } from '@/pages/NoOrgPage';
import { CurrentContext, type Current } from './CurrentContext';
import { Navigation } from './Navigation';
import { NotificationBell } from './NotificationBell';
import { OrgSwitcher } from './OrgSwitcher';
import { UserMenu } from './UserMenu';
import classes from './AppLayout.module.css';

/** The application frame: header, left navigation, and the page. */
export function AppLayout() {
  const me = useMe();
  const [navOpened, nav] = useDisclosure(false);
  // Below the sm breakpoint the closed drawer sits off-screen: keep it out of
  // the tab order and the accessibility tree too.
  const isPhone = useMediaQuery('(max-width: 47.99em)') ?? false;
  const location = useLocation();
  const queryClient = useQueryClient();

  // Close the mobile drawer whenever the page changes.
  useEffect(() => {
    nav.close();
  }, [location.pathname]);

  const current = useMemo<Current | null>(() => {
    if (!me.data) return null;
    return {
      me: me.data,
      org: me.data.org ?? null,
      role: (me.data.role ?? null) as Role | null,
      isStaff: !!me.data.user.is_staff,
    };
  }, [me.data]);

  if (me.isPending) return <FullPageLoader label="Loading your workspace" />;
  if (!current) {
    return (
      <Center h="100dvh" p="md">
        <Stack maw={440} w="100%">
          <LogoMark size={36} />
          <ErrorAlert error={me.error} title="We couldn't load your account" onRetry={() => void me.refetch()} />
          <Button
            variant="subtle"
            leftSection={<IconLogout size={16} />}
            onClick={() => void signOut(queryClient)}
          >
            Sign out
          </Button>
        </Stack>
      </Center>
    );
  }

  const needsOrg = !current.org && location.pathname !== '/profile';

  return (
    <CurrentContext.Provider value={current}>
      <AppShell
        header={{ height: 60 }}
        navbar={{ width: 264, breakpoint: 'sm', collapsed: { mobile: !navOpened } }}
        padding={0}
      >
        <AppShell.Header className={classes.header}>
          <Group h="100%" px="md" justify="space-between" wrap="nowrap" gap="sm">
            <Group gap="sm" wrap="nowrap" style={{ minWidth: 0 }}>
              <Burger opened={navOpened} onClick={nav.toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
              <Box component={Link} to="/" aria-label="Switchboard home" visibleFrom="xs" style={{ textDecoration: 'none' }}>
                <Logo size={26} />
              </Box>
              <Box component={Link} to="/" aria-label="Switchboard home" hiddenFrom="xs">
                <LogoMark size={26} />
              </Box>
              <Divider orientation="vertical" my={14} visibleFrom="xs" />
              <OrgSwitcher />
            </Group>
            <Group gap={6} wrap="nowrap">
              <NotificationBell />
              <UserMenu />
            </Group>
          </Group>
        </AppShell.Header>

        <AppShell.Navbar className={classes.navbar} inert={isPhone && !navOpened}>
          <Navigation isStaff={current.isStaff} onNavigate={nav.close} />
          <Box px="md" py="sm" style={{ borderTop: '1px solid var(--mantine-color-gray-2)' }}>
            <Text size="xs" c="dimmed">
              Switchboard · <a href="/api/docs/swagger/" target="_blank" rel="noopener" style={{ color: 'inherit' }}>API docs</a>
            </Text>
          </Box>
        </AppShell.Navbar>

        <AppShell.Main className={classes.main}>
          <Box px={{ base: 'md', sm: 'xl' }} py={{ base: 'lg', sm: 'xl' }} className={classes.content}>
            {needsOrg ? <NoOrgPage /> : <Outlet />}
          </Box>
        </AppShell.Main>
      </AppShell>
    </CurrentContext.Provider>
  );
}

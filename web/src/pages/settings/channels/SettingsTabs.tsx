import { Tabs } from '@mantine/core';
import { IconBuilding, IconPlugConnected, IconReceipt2 } from '@tabler/icons-react';
import { useLocation, useNavigate } from 'react-router';

/** The Settings pages below /settings, each a tab. */
export const SETTINGS_PAGES = ['/settings/channels', '/settings/pricing'];

/** The Settings pages' tabs: the organization, its channels and its prices. */
export function SettingsTabs() {
  const { pathname } = useLocation();
  const navigate = useNavigate();
  const value = SETTINGS_PAGES.find((p) => pathname.startsWith(p)) ?? '/settings';
  return (
    <Tabs value={value} onChange={(v) => v && v !== value && navigate(v)} mb="lg">
      <Tabs.List>
        <Tabs.Tab value="/settings" leftSection={<IconBuilding size={16} />}>
          Organization
        </Tabs.Tab>
        <Tabs.Tab value="/settings/channels" leftSection={<IconPlugConnected size={16} />}>
          Channels
        </Tabs.Tab>
        <Tabs.Tab value="/settings/pricing" leftSection={<IconReceipt2 size={16} />}>
          Pricing
        </Tabs.Tab>
      </Tabs.List>
    </Tabs>
  );
}

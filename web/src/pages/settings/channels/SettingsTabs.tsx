import { Tabs } from '@mantine/core';
import { IconBuilding, IconPlugConnected } from '@tabler/icons-react';
import { useLocation, useNavigate } from 'react-router';

/** The Settings pages: the organization, and its channels. */
export function SettingsTabs() {
  const { pathname } = useLocation();
  const navigate = useNavigate();
  const value = pathname.startsWith('/settings/channels') ? '/settings/channels' : '/settings';
  return (
    <Tabs value={value} onChange={(v) => v && v !== value && navigate(v)} mb="lg">
      <Tabs.List>
        <Tabs.Tab value="/settings" leftSection={<IconBuilding size={16} />}>
          Organization
        </Tabs.Tab>
        <Tabs.Tab value="/settings/channels" leftSection={<IconPlugConnected size={16} />}>
          Channels
        </Tabs.Tab>
      </Tabs.List>
    </Tabs>
  );
}

import { Stack } from '@mantine/core';
import { useEffect } from 'react';
import { useLocation } from 'react-router';
import { PageHeader } from '@/components/PageHeader';
import { useCurrent } from '@/layout/CurrentContext';
import { can } from '@/lib/roles';
import { SettingsTabs } from './channels/SettingsTabs';
import { DangerZoneCard } from './DangerZoneCard';
import { InvitationsCard } from './InvitationsCard';
import { MembersCard } from './MembersCard';
import { OrgDetailsCard } from './OrgDetailsCard';

export function SettingsPage() {
  const { role } = useCurrent();
  const { hash } = useLocation();

  useEffect(() => {
    if (!hash) return;
    const t = window.setTimeout(() => document.getElementById(hash.slice(1))?.scrollIntoView({ behavior: 'smooth', block: 'start' }), 150);
    return () => window.clearTimeout(t);
  }, [hash]);

  return (
    <>
      <PageHeader title="Settings" description="Your organization's details, members and invitations." />
      <SettingsTabs />
      <Stack gap="lg">
        <OrgDetailsCard canEdit={can(role, 'org.update')} />
        <MembersCard />
        {can(role, 'invitations.manage') && <InvitationsCard />}
        {can(role, 'org.delete') && <DangerZoneCard />}
      </Stack>
    </>
  );
}

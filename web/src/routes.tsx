import { useEffect, type ReactNode } from 'react';
import { createBrowserRouter, Navigate, type RouteObject } from 'react-router';
import { RequireAuth } from './auth/RequireAuth';
import { AppLayout } from './layout/AppLayout';
import { LoginPage } from './pages/auth/LoginPage';
import { SignupPage } from './pages/auth/SignupPage';
import { CampaignFormPage } from './pages/campaigns/CampaignFormPage';
import { CampaignPage } from './pages/campaigns/CampaignPage';
import { CampaignsListPage } from './pages/campaigns/CampaignsListPage';
import { ComingSoonPage } from './pages/ComingSoonPage';
import { DashboardPage } from './pages/DashboardPage';
import { ContactsPage } from './pages/contacts/ContactsPage';
import { GroupsPage } from './pages/contacts/GroupsPage';
import { ImportsPage } from './pages/contacts/ImportsPage';
import { TelegramOnboardingPage } from './pages/contacts/TelegramOnboardingPage';
import { ConversationsPage } from './pages/conversations/ConversationsPage';
import { DevelopersPage } from './pages/developers/DevelopersPage';
import { InvitationPage } from './pages/InvitationPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { ProfilePage } from './pages/profile/ProfilePage';
import { RouteErrorPage } from './pages/RouteErrorPage';
import { InboundLogPage } from './pages/messages/InboundLogPage';
import { MessagePage } from './pages/messages/MessagePage';
import { OutboundLogPage } from './pages/messages/OutboundLogPage';
import { SendPage } from './pages/messages/SendPage';
import { SandboxPage } from './pages/sandbox/SandboxPage';
import { SECTIONS } from './pages/sections';
import { ChannelsPage } from './pages/settings/channels/ChannelsPage';
import { PricingPage } from './pages/settings/pricing/PricingPage';
import { SettingsPage } from './pages/settings/SettingsPage';
import { TemplateEditorPage } from './pages/templates/TemplateEditorPage';
import { TemplatesListPage } from './pages/templates/TemplatesListPage';
import { SuppressionPage } from './pages/suppression/SuppressionPage';
import { WebhookLogPage } from './pages/webhooks/WebhookLogPage';

/** Sets document.title for the page it wraps. */
function Titled({ title, children }: { title: string; children: ReactNode }) {
  useEffect(() => {
    document.title = title ? `${title} · Switchboard` : 'Switchboard';
  }, [title]);
  return children;
}

const page = (path: string, title: string, element: ReactNode): RouteObject => ({
  path,
  element: <Titled title={title}>{element}</Titled>,
});

/** Sections of the navigation the messaging pages fill (no longer "coming soon"). */
const MESSAGING_PAGES = ['/messaging/send', '/messaging/campaigns', '/messaging/outbound-logs', '/messaging/email-logs', '/inbound-logs'];

/** The app's routes; everything but the auth pages sits behind the guard. */
export const routes: RouteObject[] = [
  {
    errorElement: <RouteErrorPage />,
    children: [
      page('/login', 'Sign in', <LoginPage />),
      page('/signup', 'Create account', <SignupPage />),
      page('/invitations/:token', 'Invitation', <InvitationPage />),
      {
        element: <RequireAuth />,
        children: [
          {
            element: <AppLayout />,
            children: [
              { index: true, element: <Titled title="Dashboard"><DashboardPage /></Titled> },
              page('/contacts', 'Contacts', <ContactsPage />),
              page('/contacts/groups', 'Groups', <GroupsPage />),
              page('/contacts/imports', 'Import history', <ImportsPage />),
              page('/contacts/telegram', 'Telegram onboarding', <TelegramOnboardingPage />),
              // One route for the list and an open conversation, so that
              // opening one does not remount the page (and its live stream).
              page('/messaging/conversations/:id?', 'Conversations', <ConversationsPage />),
              { path: '/conversations', element: <Navigate to="/messaging/conversations" replace /> },
              page('/messaging/send', 'Send a message', <SendPage />),
              page('/messaging/outbound-logs', 'Outbound log', <OutboundLogPage />),
              page('/messaging/outbound-logs/:id', 'Message', <MessagePage />),
              page('/messaging/email-logs', 'Email log', <OutboundLogPage preset="email" />),
              page('/messaging/sandbox', 'Sandbox', <SandboxPage />),
              page('/messaging/campaigns', 'Campaigns', <CampaignsListPage />),
              page('/messaging/campaigns/new', 'New campaign', <CampaignFormPage />),
              page('/messaging/campaigns/:id', 'Campaign', <CampaignPage />),
              page('/messaging/campaigns/:id/edit', 'Edit campaign', <CampaignFormPage />),
              page('/inbound-logs', 'Inbound log', <InboundLogPage />),
              page('/suppression', 'Suppression', <SuppressionPage />),
              page('/webhooks', 'Webhook log', <WebhookLogPage />),
              ...Object.entries(SECTIONS)
                .filter(([path]) => path !== '/contacts' && path !== '/contacts/groups' && path !== '/templates')
                .filter(([path]) => path !== '/messaging/conversations' && path !== '/contacts/telegram')
                .filter(([path]) => !MESSAGING_PAGES.includes(path))
                .map(([path, spec]) => page(path, spec.title, <ComingSoonPage spec={spec} />)),
              { path: '/messaging', element: <Navigate to="/messaging/send" replace /> },
              page('/templates', 'Templates', <TemplatesListPage />),
              page('/templates/new', 'New template', <TemplateEditorPage />),
              page('/templates/:id', 'Template', <TemplateEditorPage />),
              page('/developers', 'Developers', <DevelopersPage />),
              page('/settings', 'Settings', <SettingsPage />),
              page('/settings/channels', 'Channels', <ChannelsPage />),
              page('/settings/pricing', 'Pricing', <PricingPage />),
              page('/profile', 'Profile', <ProfilePage />),
              page('*', 'Not found', <NotFoundPage />),
            ],
          },
        ],
      },
    ],
  },
];

export function createRouter() {
  return createBrowserRouter(routes);
}

import { useEffect, type ReactNode } from 'react';
import { createBrowserRouter, type RouteObject } from 'react-router';
import { RequireAuth } from './auth/RequireAuth';
import { AppLayout } from './layout/AppLayout';
import { LoginPage } from './pages/auth/LoginPage';
import { SignupPage } from './pages/auth/SignupPage';
import { ComingSoonPage } from './pages/ComingSoonPage';
import { DashboardPage } from './pages/DashboardPage';
import { ContactsPage } from './pages/contacts/ContactsPage';
import { GroupsPage } from './pages/contacts/GroupsPage';
import { DevelopersPage } from './pages/developers/DevelopersPage';
import { InvitationPage } from './pages/InvitationPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { ProfilePage } from './pages/profile/ProfilePage';
import { RouteErrorPage } from './pages/RouteErrorPage';
import { SECTIONS } from './pages/sections';
import { SettingsPage } from './pages/settings/SettingsPage';
import { TemplateEditorPage } from './pages/templates/TemplateEditorPage';
import { TemplatesListPage } from './pages/templates/TemplatesListPage';
import { SuppressionPage } from './pages/suppression/SuppressionPage';

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
              page('/suppression', 'Suppression', <SuppressionPage />),
              ...Object.entries(SECTIONS)
                .filter(([path]) => path !== '/contacts' && path !== '/contacts/groups' && path !== '/templates')
                .map(([path, spec]) => page(path, spec.title, <ComingSoonPage spec={spec} />)),
              { path: '/messaging', element: <Titled title="Messaging"><ComingSoonPage spec={SECTIONS['/messaging/send']!} /></Titled> },
              page('/templates', 'Templates', <TemplatesListPage />),
              page('/templates/new', 'New template', <TemplateEditorPage />),
              page('/templates/:id', 'Template', <TemplateEditorPage />),
              page('/developers', 'Developers', <DevelopersPage />),
              page('/settings', 'Settings', <SettingsPage />),
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

import type { ReactNode } from 'react';
import { Navigate, Outlet, useLocation } from 'react-router';
import { FullPageLoader } from '@/components/FullPageLoader';
import { loginPathFor } from './redirect';
import type { Session } from './session';
import { useSession } from './useSession';

/**
 * Renders its routes only for a signed-in user. While the boot refresh is in
 * flight it shows a loader; without a session it sends the user to the login
 * page carrying the page they asked for (path, query and hash) as redirect.
 */
export function RequireAuth({ session, children }: { session?: Session; children?: ReactNode }) {
  const { status, signedOut } = useSession(session);
  const location = useLocation();
  if (status === 'unknown') return <FullPageLoader label="Loading your workspace" />;
  // After "Sign out" the next user should not land on the previous one's page.
  if (status === 'anonymous') return <Navigate to={signedOut ? '/login' : loginPathFor(location)} replace />;
  return children ?? <Outlet />;
}

/** The reverse, for the login and signup pages: a signed-in user goes on to `to`. */
export function RedirectIfAuthenticated({ to, session, children }: { to: string; session?: Session; children: ReactNode }) {
  const { status } = useSession(session);
  if (status === 'unknown') return <FullPageLoader label="Loading" />;
  if (status === 'authenticated') return <Navigate to={to} replace />;
  return children;
}

/** Sign in and sign out, shared by the auth pages and the user menu. */
import type { QueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import { session } from './session';

/** Logs in with the refresh token kept in the HttpOnly cookie. */
export async function signIn(email: string, password: string): Promise<void> {
  const token = await unwrap(api.POST('/api/v1/auth/login', { body: { email, password, cookie: true } }));
  session.setToken(token);
}

/** Revokes the session on the server (best effort) and forgets it here. */
export async function signOut(queryClient: QueryClient): Promise<void> {
  try {
    await unwrap(api.POST('/api/v1/auth/logout', { body: {} }));
  } catch {
    // The cookie may already be gone; the local session ends either way.
  }
  session.clear('signed-out');
  queryClient.clear();
}

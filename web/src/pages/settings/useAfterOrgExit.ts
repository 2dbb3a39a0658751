import { useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api, unwrap } from '@/api/client';
import { reloadForNewOrg } from '@/api/queries';
import { session } from '@/auth/session';
import { useCurrent } from '@/layout/CurrentContext';

/**
 * After the user leaves or deletes the active org: switch to another of
 * their orgs if they have one, else refresh the session (it no longer has an
 * org) and show the "create an organization" page.
 */
export function useAfterOrgExit() {
  const { me, org } = useCurrent();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  return async () => {
    const next = (me.memberships ?? []).find((m) => m.org.id !== org?.id);
    if (next) {
      try {
        const token = await unwrap(api.POST('/api/v1/auth/switch-org', { body: { org_id: next.org.id } }));
        session.setToken(token);
      } catch {
        await session.refresh();
      }
    } else {
      await session.refresh();
    }
    navigate('/', { replace: true });
    await reloadForNewOrg(queryClient);
  };
}

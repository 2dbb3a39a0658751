import type { ApiKey } from '@/api/types';

export type KeyStatus = 'active' | 'expiring' | 'expired' | 'revoked';

/** A key's state at `now`: revoked wins, then expired, then expiring within 7 days. */
export function keyStatus(key: Pick<ApiKey, 'revoked_at' | 'expires_at'>, now: Date = new Date()): KeyStatus {
  if (key.revoked_at) return 'revoked';
  if (key.expires_at) {
    const at = new Date(key.expires_at).getTime();
    if (at <= now.getTime()) return 'expired';
    if (at - now.getTime() < 7 * 86_400_000) return 'expiring';
  }
  return 'active';
}

export const STATUS_BADGE: Record<KeyStatus, { label: string; color: string }> = {
  active: { label: 'Active', color: 'teal' },
  expiring: { label: 'Expiring soon', color: 'yellow' },
  expired: { label: 'Expired', color: 'gray' },
  revoked: { label: 'Revoked', color: 'red' },
};

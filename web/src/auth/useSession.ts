import { useSyncExternalStore } from 'react';
import { session, type Session, type SessionSnapshot } from './session';

/** The session's status, re-rendering when it changes. */
export function useSession(s: Session = session): SessionSnapshot {
  return useSyncExternalStore(s.subscribe, s.getSnapshot, s.getSnapshot);
}

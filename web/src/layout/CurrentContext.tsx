import { createContext, useContext } from 'react';
import type { Me, Org, Role } from '@/api/types';

/** Who is signed in and in which org, for every page inside the frame. */
export interface Current {
  me: Me;
  org: Org | null;
  role: Role | null;
  isStaff: boolean;
}

export const CurrentContext = createContext<Current | null>(null);

/** The signed-in user and active org; only inside AppLayout. */
export function useCurrent(): Current {
  const value = useContext(CurrentContext);
  if (!value) throw new Error('useCurrent used outside AppLayout');
  return value;
}

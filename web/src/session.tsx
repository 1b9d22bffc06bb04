/**
 * The signed-in session and the console's configuration, for every page.
 * On start: GET /console/config (time zone, Temporal UI) and GET
 * /auth/session (a reload keeps the session); any 401 later sends the user
 * back to sign-in.
 */
import { createContext, useContext } from 'react';
import type { ConsoleConfig, Role, Session } from './types';

export interface SessionState {
  session: Session | null;
  config: ConsoleConfig | null;
  signedIn: (s: Session) => void;
  signOut: () => Promise<void>;
}

export const SessionContext = createContext<SessionState>({
  session: null,
  config: null,
  signedIn: () => undefined,
  signOut: async () => undefined,
});

export const useSession = () => useContext(SessionContext);

/** Which pages a role sees in the menu (the API enforces the same: a page without the role answers 403). */
export const PAGE_ROLES: Record<string, readonly Role[] | 'all'> = {
  work: 'all',
  intake: ['sales', 'sales_manager'],
  orders: 'all',
  risks: 'all',
  kpis: 'all',
  analysis: ['marketing', 'sales_manager', 'finance_manager', 'admin', 'auditor'],
  audit: ['auditor', 'admin'],
  users: ['admin'],
};

export function mayOpen(page: keyof typeof PAGE_ROLES, role: Role | undefined): boolean {
  const roles = PAGE_ROLES[page];
  return roles === 'all' || (!!role && roles.includes(role));
}

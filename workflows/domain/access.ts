/**
 * Who may see an order (SPEC 5, record level): a user of a record-scoped
 * role (sales) sees only the orders of the customers they own
 * (customers.owner_id); every other staff role sees every order. One rule
 * for the API (api/auth: routes answer 404, lists are filtered) and for
 * staff email about an order (activities/email/notify.ts), so a mail never
 * tells someone about an order they may not open. Pure.
 */
import type { Role } from './policy';

export const RECORD_SCOPED_ROLES: readonly Role[] = ['sales'];

export const isRecordScoped = (role: string): boolean => (RECORD_SCOPED_ROLES as readonly string[]).includes(role);

/** Whether `user` may see an order whose customer is owned by `customerOwnerId` (null: nobody). */
export function maySeeOrder(user: { id: string; role: string }, order: { customerOwnerId: string | null }): boolean {
  return !isRecordScoped(user.role) || order.customerOwnerId === user.id;
}

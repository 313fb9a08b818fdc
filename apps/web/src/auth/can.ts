import { type Role, roleAtLeast } from '@deploybot/shared';
import { useAppStore } from '../stores/store';

/** Whether the signed-in person's role reaches `needed` (viewer < operator < approver < admin). */
export function useCan(needed: Role): boolean {
  return useAppStore((s) => (s.session ? roleAtLeast(s.session.user.role, needed) : false));
}

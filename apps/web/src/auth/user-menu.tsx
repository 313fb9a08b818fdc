import { useAppStore } from '../stores/store';
import { signOut } from './auth-actions';

/** Who is signed in (with their role) and Sign out; nothing to show on a server without authentication. */
export function UserMenu() {
  const session = useAppStore((s) => s.session);
  if (!session) return null;
  return (
    <div className="flex items-center gap-2 text-sm">
      <span data-testid="current-user">
        {session.user.username}{' '}
        <span className="text-xs text-slate-600 dark:text-slate-400">({session.user.role})</span>
      </span>
      <button
        type="button"
        className="btn-secondary text-xs"
        onClick={() => void signOut()}
        data-testid="logout"
      >
        Sign out
      </button>
    </div>
  );
}

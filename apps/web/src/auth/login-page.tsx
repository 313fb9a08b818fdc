import { type FormEvent, useEffect, useId, useState } from 'react';
import { ApiError, errorMessage } from '../lib/api';
import { type AuthSession, fetchSession, login, takeTokenFromHash, tokenLogin } from '../lib/auth';
import { signedIn } from './auth-actions';

function enter(session: AuthSession): void {
  const next = new URLSearchParams(window.location.search).get('next');
  // Only paths inside the app: never an absolute URL someone put in the link.
  const target = next?.startsWith('/') && !next.startsWith('//') ? next : '/';
  window.history.replaceState(null, '', target);
  signedIn(session);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

/** /login: a `#token=…` link signs in at once (and leaves the address bar); otherwise username and password. */
export function LoginPage() {
  const userId = useId();
  const passId = useId();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(true);

  useEffect(() => {
    const token = takeTokenFromHash();
    (async () => {
      try {
        if (token) return enter(await tokenLogin(token));
      } catch (err) {
        setError(`That sign-in link did not work: ${errorMessage(err)}`);
      }
      try {
        const session = await fetchSession();
        if (session) return enter(session);
      } catch (err) {
        setError(errorMessage(err));
      }
      setBusy(false);
    })();
  }, []);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      enter(await login(username.trim(), password));
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401 ? 'Wrong username or password.' : errorMessage(err),
      );
      setBusy(false);
    }
  };

  return (
    <main className="flex min-h-full items-center justify-center p-4">
      <form
        onSubmit={(e) => void onSubmit(e)}
        className="flex w-full max-w-sm flex-col gap-3 rounded-xl border border-slate-200 p-6 shadow-sm dark:border-slate-700"
        data-testid="login-form"
      >
        <h1 className="text-xl font-semibold">Sign in to DeployBot</h1>
        <label htmlFor={userId} className="text-sm font-medium">
          Username
        </label>
        <input
          id={userId}
          className="rounded-md border border-slate-300 bg-white px-2 py-1.5 dark:border-slate-600 dark:bg-slate-900"
          autoComplete="username"
          autoCapitalize="none"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          required
          data-testid="login-username"
        />
        <label htmlFor={passId} className="text-sm font-medium">
          Password
        </label>
        <input
          id={passId}
          type="password"
          className="rounded-md border border-slate-300 bg-white px-2 py-1.5 dark:border-slate-600 dark:bg-slate-900"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
          data-testid="login-password"
        />
        <button type="submit" className="btn btn-primary" disabled={busy} data-testid="login-submit">
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {error && (
          <p role="alert" className="text-sm text-red-700 dark:text-red-400" data-testid="login-error">
            {error}
          </p>
        )}
        <p className="text-xs text-slate-600 dark:text-slate-400">
          First time? Open the sign-in link the controller printed when it started.
        </p>
      </form>
    </main>
  );
}

import { useEffect, useState } from 'react';
import { bootstrapAuth } from './auth/auth-actions';
import { LoginPage } from './auth/login-page';
import { AppShell } from './layout/app-shell';
import { errorMessage } from './lib/api';
import { useAppStore } from './stores/store';

const onLoginPage = () => window.location.pathname === '/login';

/** Decides between the login page and the app, once we know who this is. */
export function App() {
  const status = useAppStore((s) => s.authStatus);
  const [loginPath, setLoginPath] = useState(onLoginPage());
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!onLoginPage()) bootstrapAuth().catch((err) => setError(errorMessage(err)));
  }, []);
  useEffect(() => {
    const sync = () => setLoginPath(onLoginPage());
    window.addEventListener('popstate', sync);
    return () => window.removeEventListener('popstate', sync);
  }, []);
  useEffect(() => {
    if (status === 'signed-out') setLoginPath(true);
    if (status === 'signed-in') setLoginPath(onLoginPage());
  }, [status]);

  if (error) {
    return (
      <main className="p-6">
        <h1 className="text-lg font-semibold">DeployBot</h1>
        <p role="alert" className="mt-2 text-red-700 dark:text-red-400">
          Cannot reach the controller: {error}
        </p>
      </main>
    );
  }
  if (loginPath || status === 'signed-out') return <LoginPage />;
  if (status === 'loading')
    return (
      <p className="p-6" role="status">
        Loading DeployBot…
      </p>
    );
  return <AppShell />;
}

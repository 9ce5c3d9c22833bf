/** Sign-in under token auth: username and password for the realm, or a pasted bearer token. */
import { useState } from 'preact/hooks';
import type { DashboardSession } from '../../../src/app/dashboard/dashboard-api.js';
import { signIn, adoptBearer } from '../auth.js';

export function LoginPage({ session, onDone }: { session: DashboardSession; onDone: () => void }) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [bearer, setBearer] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signIn(session, user, password);
      onDone();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  const paste = (e: Event) => {
    e.preventDefault();
    if (!bearer.trim()) return setError('Paste a bearer token first.');
    adoptBearer(bearer);
    onDone();
  };

  return (
    <section aria-labelledby="login-title" class="login">
      <h1 id="login-title">Sign in</h1>
      <p>This server uses token auth: the dashboard shows the repositories you may pull.</p>
      {error ? (
        <p role="alert" class="error" data-testid="login-error">
          {error}
        </p>
      ) : null}
      <form onSubmit={(e) => void submit(e)} aria-label="Sign in with your account">
        <label for="login-user">Username</label>
        <input
          id="login-user"
          name="username"
          autoComplete="username"
          required
          value={user}
          onInput={(e) => setUser(e.currentTarget.value)}
        />
        <label for="login-password">Password</label>
        <input
          id="login-password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <form onSubmit={paste} aria-label="Use a bearer token">
        <label for="login-bearer">Or paste a bearer token</label>
        <textarea id="login-bearer" name="token" rows={3} value={bearer} onInput={(e) => setBearer(e.currentTarget.value)} />
        <button type="submit">Use token</button>
      </form>
    </section>
  );
}

/// <reference lib="dom" />
/**
 * The sign-in page of a server with `--token`: the API token, once; the
 * server answers with a session cookie, then the console goes back to the
 * page asked for.
 *
 * @module
 */
import { type FormEvent, useState } from "react";
import { signIn } from "../api.ts";
import { navigate, useLocation } from "../router.tsx";
import { refreshSession } from "../session.ts";

/** Where to go after signing in: a path of this console, never another site. */
export function nextPath(query: URLSearchParams): string {
  const next = query.get("next") ?? "/";
  return next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/sign-in") ? next : "/";
}

/** The sign-in page. */
export default function SignInPage() {
  const { query } = useLocation();
  const [token, setToken] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signIn(token);
      await refreshSession();
      navigate(nextPath(query), true);
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };
  return (
    <section className="sign-in">
      <h1>Sign in</h1>
      <p className="muted">
        This server needs its API token (<code>--token</code>, or a read-only <code>--read-token</code>).
      </p>
      <form onSubmit={submit}>
        <div className="field">
          <label htmlFor="token">API token</label>
          <input
            id="token"
            type="password"
            autoComplete="current-password"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            required
          />
        </div>
        {error && <p role="alert" className="error">{error}</p>}
        <button type="submit" className="primary" disabled={busy || !token}>Sign in</button>
      </form>
    </section>
  );
}

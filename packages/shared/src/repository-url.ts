/**
 * Credentials in repository URLs (`https://user:TOKEN@host/app.git`). The controller stores them sealed and
 * shows the URL without them; the job assignment carries them to the agent inside the URL, and both ends hand
 * them to git in the environment (never in argv, where `ps` shows them to every local user).
 */

/** User and password (or token) of a repository, percent-decoded. Either may be empty, not both. */
export interface RepositoryCredentials {
  username: string;
  password: string;
}

/** Scheme, authority, rest: `https://` + `user:pw@host:443` + `/org/app.git`. */
const AUTHORITY_URL = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is;
const HTTP_SCHEME = /^https?:\/\/$/i;

/**
 * Splits off the user-info. For http(s) all of it is a credential (a token often stands in the user name).
 * ssh keeps its user name, which addresses the account and is no secret; only a password is taken out.
 * Local paths, `file://` and scp-like `git@host:path` have no user-info to take.
 */
export function splitRepositoryUrl(url: string): { url: string; credentials: RepositoryCredentials | null } {
  const m = AUTHORITY_URL.exec(url);
  if (!m) return { url, credentials: null };
  const [, scheme = '', authority = '', rest = ''] = m;
  // The host follows the last `@`: a password may hold an unencoded one.
  const at = authority.lastIndexOf('@');
  if (at < 0) return { url, credentials: null };
  const userinfo = authority.slice(0, at);
  const host = authority.slice(at + 1);
  const colon = userinfo.indexOf(':');
  const username = decode(colon < 0 ? userinfo : userinfo.slice(0, colon));
  const password = colon < 0 ? '' : decode(userinfo.slice(colon + 1));
  if (HTTP_SCHEME.test(scheme)) {
    const credentials = username || password ? { username, password } : null;
    return { url: `${scheme}${host}${rest}`, credentials };
  }
  const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
  return {
    url: `${scheme}${user ? `${user}@` : ''}${host}${rest}`,
    credentials: password ? { username, password } : null,
  };
}

/** The URL git needs: user-info put back (http(s) only; other transports never use a password). */
export function withCredentials(url: string, credentials: RepositoryCredentials | null): string {
  const m = AUTHORITY_URL.exec(url);
  if (!credentials || !m || !HTTP_SCHEME.test(m[1] ?? '')) return url;
  const { username, password } = credentials;
  const userinfo = `${encodeURIComponent(username)}${password ? `:${encodeURIComponent(password)}` : ''}`;
  return `${m[1]}${userinfo}@${m[2]}${m[3]}`;
}

/**
 * `scheme://userinfo@` anywhere in a text, up to the last `@` before the path (a password may hold one); the
 * user-info stops at whitespace, quotes and URL delimiters.
 */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#'"`<>]*)@/gi;
/** Secrets some hosts accept in a query string (`?access_token=…`, `&private_token=…`). */
const QUERY_SECRET =
  /([?&](?:access_token|private_token|oauth_token|token|password|secret|key)=)[^&#\s'"`<>]*/gi;

/**
 * Removes credentials from free text (git's stderr, error messages): http(s) user-info entirely, other
 * schemes' passwords, query-string tokens, and any literal `secrets` given (the stored credentials themselves,
 * in case a tool prints them outside a URL). Too-short secrets are left: replacing "a" would wreck the text.
 */
export function redactCredentials(text: string, secrets: readonly string[] = []): string {
  let out = text
    .replace(URL_USERINFO, (_all, scheme: string, userinfo: string) => {
      if (/^https?:\/\/$/i.test(scheme)) return scheme;
      const colon = userinfo.indexOf(':');
      return colon < 0 ? `${scheme}${userinfo}@` : `${scheme}${userinfo.slice(0, colon)}@`;
    })
    .replace(QUERY_SECRET, '$1***');
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join('***');
  }
  return out;
}

/** The literal values worth redacting: the password, or the user name when it is the token. */
export function credentialSecrets(credentials: RepositoryCredentials | null): string[] {
  if (!credentials) return [];
  return [credentials.password || credentials.username].filter((s) => s.length > 0);
}

/**
 * Environment that makes git send the credentials as an `Authorization: Basic` header to this URL only
 * (`http.<url>.extraHeader` through `GIT_CONFIG_COUNT`, git ≥ 2.31): they stay out of argv, out of git's
 * messages (git never sees them in the URL) and out of credential helpers (nothing is asked or stored).
 * `base` is the environment git will get, so entries it already numbers are kept.
 */
export function gitCredentialEnv(
  url: string,
  credentials: RepositoryCredentials | null,
  base: Record<string, string | undefined> = {},
): Record<string, string> {
  if (!credentials || !/^https?:\/\//i.test(url)) return {};
  const index = Number.parseInt(base.GIT_CONFIG_COUNT ?? '0', 10) || 0;
  const basic = base64(`${credentials.username}:${credentials.password}`);
  return {
    GIT_CONFIG_COUNT: String(index + 1),
    [`GIT_CONFIG_KEY_${index}`]: `http.${url}.extraHeader`,
    [`GIT_CONFIG_VALUE_${index}`]: `Authorization: Basic ${basic}`,
  };
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** UTF-8 base64 without Buffer: this package also runs in the browser. */
function base64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

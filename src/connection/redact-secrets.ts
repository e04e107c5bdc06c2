/** `user:password@` (or `:password@`) right after a URL scheme, anywhere in a text. */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/"'<>]+@/gi;
/** A query parameter that carries a secret: `?password=…`, `&access_token=…`, `&apiKey=…`. */
const SECRET_PARAMETER = /([?&][\w.-]*(?:pass(?:word)?|pwd|token|secret|key)=)[^&#\s"'<>]*/gi;

/**
 * Hides the credentials of every URL in `text` (`redis://user:pass@host` → `redis://***@host`,
 * `?password=…` → `?password=***`), for error messages and log lines that quote something a
 * library or the app wrote.
 */
export function redactUrlCredentials(text: string): string {
  return text.replace(URL_CREDENTIALS, '$1***@').replace(SECRET_PARAMETER, '$1***');
}

/**
 * A URL as it may appear in an error or a log line: scheme, `***@` when it carries credentials,
 * host and port; never its user, password, path or query.
 */
export function describeUrl(url: unknown): string {
  if (typeof url !== 'string') return `<${typeof url}>`;
  try {
    const { protocol, username, password, host } = new URL(url);
    return `${protocol}//${username || password ? '***@' : ''}${host}`;
  } catch {
    return '<unparseable URL>';
  }
}

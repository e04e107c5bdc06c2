import { describeError, isErrorLike } from '../../connection/index.js';

/** Redis's refusals of a login: waiting longer will not change them. */
const LOGIN_REFUSED = /^(WRONGPASS|NOAUTH|NOPERM)\b|invalid password/i;

/** Node's verdicts on a server certificate (`tls` options): waiting longer will not change them. */
const CERTIFICATE_REFUSED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Why a connection can't succeed however long it is tried. */
export type Refusal = 'login' | 'certificate';

/**
 * What refused the connection for good, if anything did: a login refusal or a certificate Node
 * would not trust — the error itself, or on a cluster the last node's error behind "Failed to
 * refresh slots cache".
 * @internal
 */
export function refusalOf(error: Error): { kind: Refusal; error: Error } | undefined {
  const nodeError = (error as Error & { lastNodeError?: unknown }).lastNodeError;
  for (const candidate of [error, nodeError]) {
    if (!isErrorLike(candidate)) continue;
    if (LOGIN_REFUSED.test(candidate.message)) return { kind: 'login', error: candidate };
    const { code } = candidate as { code?: unknown };
    if (typeof code === 'string' && CERTIFICATE_REFUSED.has(code))
      return { kind: 'certificate', error: candidate };
  }
  return undefined;
}

/**
 * A connection error's message; on a cluster, with the last node's error behind "Failed to refresh
 * slots cache." (a refused login, a refused connection), which says what is wrong.
 * @internal
 */
export function describeConnectionError(error: Error): string {
  const message = describeError(error).message;
  const nodeError = (error as Error & { lastNodeError?: unknown }).lastNodeError;
  if (!isErrorLike(nodeError) || nodeError === error) return message;
  return `${message.replace(/\.$/, '')} (last node: ${describeError(nodeError).message})`;
}

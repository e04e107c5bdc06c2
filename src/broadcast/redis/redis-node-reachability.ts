import { connect } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';

/** A cluster's startup node as ioredis takes it: a port, `'host:port'`, a URL, `{ host, port }`. */
export type StartupNode = number | string | { host?: string; port?: number | string };

/** `host` and `port` of a startup node, never its credentials (a URL may carry a password). */
export function addressOfNode(node: StartupNode): { host: string; port: number } {
  if (typeof node === 'number') return { host: 'localhost', port: node };
  if (typeof node === 'object')
    return { host: node.host ?? 'localhost', port: Number(node.port ?? 6379) };
  if (/^\d+$/.test(node)) return { host: 'localhost', port: Number(node) };
  if (node.includes('://')) {
    try {
      const url = new URL(node);
      return { host: url.hostname || 'localhost', port: Number(url.port || 6379) };
    } catch {
      return { host: '(unparsable URL)', port: 0 };
    }
  }
  const colon = node.lastIndexOf(':');
  if (colon === -1) return { host: node, port: 6379 };
  return { host: node.slice(0, colon) || 'localhost', port: Number(node.slice(colon + 1)) };
}

/**
 * Why none of `nodes` can be reached, node by node
 * (`127.0.0.1:7000: connect ECONNREFUSED 127.0.0.1:7000`, or with `tls` `…: self-signed
 * certificate`), by opening a connection to each (TCP, or TLS up to the handshake) and closing
 * it; `null` if there are none, or one accepts (the cause is then further up: the login, the
 * cluster's state). A cluster client says only "Failed to refresh slots cache. Connection is
 * closed." (or nothing, for a host that does not resolve): this says which address and what the
 * network answered.
 * @internal
 */
export async function unreachableNodes(
  nodes: readonly StartupNode[],
  timeoutMs: number,
  /** The nodes' TLS options (ioredis' `tls`): then a node is reached once the handshake is. */
  tls?: ConnectionOptions,
): Promise<string | null> {
  const outcomes = await Promise.all(
    nodes.map((node) => tryConnect(addressOfNode(node), timeoutMs, tls)),
  );
  if (outcomes.length === 0 || outcomes.some((outcome) => outcome === null)) return null;
  return outcomes.join('; ');
}

function tryConnect(
  address: { host: string; port: number },
  timeoutMs: number,
  tls: ConnectionOptions | undefined,
): Promise<string | null> {
  const name = `${address.host}:${address.port}`;
  return new Promise((resolve) => {
    const socket = tls
      ? connectTls({ ...tls, host: address.host, port: address.port })
      : connect({ host: address.host, port: address.port });
    const done = (outcome: string | null) => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => done(`${name}: no answer within ${timeoutMs} ms`), timeoutMs);
    socket.once(tls ? 'secureConnect' : 'connect', () => done(null));
    socket.once('error', (error: Error) => done(`${name}: ${error.message}`));
  });
}

/**
 * Whether `address` completes a TLS handshake (its certificate unchecked): a server that speaks
 * only TLS, to a client that does not, just closes the connection.
 * @internal
 */
export async function speaksTls(
  address: { host: string; port: number },
  timeoutMs: number,
): Promise<boolean> {
  return (await tryConnect(address, timeoutMs, { rejectUnauthorized: false })) === null;
}

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A self-signed certificate for `127.0.0.1` (a day long), made with `openssl` in `dir`: the key
 * and certificate files for a `redis-server --tls-*`, and the certificate as a client's `ca`.
 */
export function selfSignedCertificate(dir: string): { key: string; cert: string; ca: Buffer } {
  const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-keyout',
      key,
      '-out',
      cert,
    ].concat(['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']),
    { stdio: 'ignore' },
  );
  return { key, cert, ca: readFileSync(cert) };
}

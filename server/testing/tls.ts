// Test certificates, made at test time with the openssl command line (no network, no files
// checked in), and an HTTPS request that trusts one: Node's fetch cannot be given a CA, and
// tests must not weaken TLS checks for the whole process.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';

export interface TestCertificate {
  certFile: string;
  keyFile: string;
  /** The certificate in PEM: self-signed, so it is also the CA to trust. */
  cert: string;
  /** SHA-256 fingerprint, to tell two certificates apart on the wire. */
  fingerprint: string;
}

/** A self-signed P-256 certificate for localhost, 127.0.0.1 and ::1, valid for two days. */
export function makeTestCertificate(dir: string, name = 'server'): TestCertificate {
  const certFile = join(dir, `${name}.crt.pem`);
  const keyFile = join(dir, `${name}.key.pem`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'pipe' },
  );
  const cert = readFileSync(certFile, 'utf8');
  return { certFile, keyFile, cert, fingerprint: new X509Certificate(cert).fingerprint256 };
}

export interface HttpsResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The certificate the server presented. */
  fingerprint: string;
  /** What ALPN settled on: false, since node:https offers none and so gets HTTP/1.1. */
  protocol: string | false | null;
}

/** One HTTPS request over a fresh connection, trusting `ca` only. */
export function httpsRequest(
  url: string,
  options: { ca: string; method?: string; headers?: Record<string, string>; body?: string },
): Promise<HttpsResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        ca: options.ca,
        agent: false,
      },
      (res) => {
        // Read now: once the body is in, the socket may already be gone.
        const socket = res.socket as TLSSocket;
        const fingerprint = socket.getPeerX509Certificate()?.fingerprint256 ?? '';
        const protocol = socket.alpnProtocol;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            fingerprint,
            protocol,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

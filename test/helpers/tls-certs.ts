// TLS server certificates made in the test (ECDSA P-256 through WebCrypto and @peculiar/x509, no openssl): a test CA,
// and server certificates for 127.0.0.1 and localhost signed by it, written as PEM files for --tls-cert-file /
// --tls-key-file. Each certificate has the serial asked for, so a test can tell which one a server presents.
import { X509Certificate, type webcrypto } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { x509 } from './x509.js';

const subtle = x509.cryptoProvider.get().subtle as unknown as webcrypto.SubtleCrypto;
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

async function pkcs8Pem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
}

export interface TlsPair {
  readonly certPem: string;
  readonly keyPem: string;
  /** Hex, as X509Certificate.serialNumber gives it. */
  readonly serial: string;
  /** Writes cert and key to DIR/NAME.crt and DIR/NAME.key; returns their paths. */
  write(dir: string, name: string): { certFile: string; keyFile: string };
}

export interface TestTlsCa {
  /** The CA certificate, PEM: what a client trusts. */
  readonly pem: string;
  /** A server certificate for 127.0.0.1 and localhost with this serial (hex), valid now unless `expired`. */
  issue(serial: string, o?: { expired?: boolean }): Promise<TlsPair>;
}

export async function makeTlsCa(name: string): Promise<TestTlsCa> {
  const caKeys = (await subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${name} test TLS CA`,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + DAY),
    keys: caKeys,
    signingAlgorithm: EC,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  return {
    pem: ca.toString('pem'),
    async issue(serial, o = {}) {
      const keys = (await subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial,
        subject: 'CN=127.0.0.1',
        issuer: ca.subject,
        notBefore: new Date(now - (o.expired ? 3 : 1) * DAY),
        notAfter: new Date(now + (o.expired ? -DAY : DAY)),
        publicKey: keys.publicKey,
        signingKey: caKeys.privateKey,
        signingAlgorithm: EC,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          new x509.SubjectAlternativeNameExtension([
            { type: 'ip', value: '127.0.0.1' },
            { type: 'dns', value: 'localhost' },
          ]),
        ],
      });
      const certPem = cert.toString('pem') + '\n';
      const keyPem = await pkcs8Pem(keys.privateKey);
      return {
        certPem,
        keyPem,
        serial: new X509Certificate(certPem).serialNumber,
        write(dir, file) {
          const certFile = join(dir, `${file}.crt`);
          const keyFile = join(dir, `${file}.key`);
          writeFileSync(certFile, certPem);
          writeFileSync(keyFile, keyPem, { mode: 0o600 });
          return { certFile, keyFile };
        },
      };
    },
  };
}

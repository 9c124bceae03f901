// A local RFC 3161 timestamp authority over HTTP on loopback (port 0), built from @sigstore/mock's TSA (its
// `initializeTSA` + `tsaHandler`, served by node:http instead of nock, so nothing else is intercepted).
// It speaks the Sigstore TSA API: POST /api/v1/timestamp with {artifactHash, hashAlgorithm}, as
// @sigstore/sign's TSAWitness sends it.
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { initializeTSA, tsaHandler } from '@sigstore/mock';

export interface TestTSA {
  /** Base URL; @sigstore/sign appends /api/v1/timestamp. */
  readonly url: string;
  /** DER, [signing certificate, root], as trusted_root.json `timestampAuthorities[].certChain` lists them. */
  readonly certChain: Buffer[];
  /** Number of timestamps served. */
  requests: number;
  close(): Promise<void>;
}

export async function startTSA(): Promise<TestTSA> {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const tsa = await initializeTSA({ publicKey, privateKey });
  // The mock writes genTime through asn1js, which drops trailing zeros of the milliseconds ("...05.12Z"), while
  // @sigstore/core parses a GeneralizedTime with no fraction or exactly three digits and throws "invalid time"
  // otherwise: about one timestamp in ten would be unverifiable. Keep three significant digits by moving such
  // instants 1 ms later. (`getCurrentTime` is an instance field of the mock's TSAImpl.)
  const impl = tsa as unknown as { getCurrentTime?: () => Date };
  if (typeof impl.getCurrentTime !== 'function') throw new Error('@sigstore/mock TSA changed: no getCurrentTime to adjust');
  impl.getCurrentTime = () => {
    const now = Date.now();
    return new Date(now % 10 === 0 ? now + 1 : now);
  };
  const handler = tsaHandler(tsa);
  const state = { requests: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== handler.path) {
        res.writeHead(404).end();
        return;
      }
      state.requests++;
      handler
        .fn(Buffer.concat(chunks).toString('utf8'))
        .then((r) => {
          res.writeHead(r.statusCode, { 'content-type': r.contentType ?? 'text/plain' });
          const body = r.response;
          res.end(typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength));
        })
        .catch((e: unknown) => res.writeHead(500).end(String(e)));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const toBuf = (v: ArrayBufferView) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    certChain: [toBuf(tsa.intCertificate), toBuf(tsa.rootCertificate)],
    get requests() {
      return state.requests;
    },
    set requests(n: number) {
      state.requests = n;
    },
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

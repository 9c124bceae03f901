// The least a Node server spends on a certificate: node:http on one thread doing only the crypto that Fulgor's path
// cannot leave out (the token's RS256 check, the client key's import and its proof of possession, the precertificate's
// signature, the log's check of it, the SCT's and the certificate's signatures) around a JSON body in and a JSON
// answer of three PEM blocks out. No claim mapping, no certificate built (a TBS-sized byte string is signed), no log,
// no store, no durability, no threads. Its rows in the issuance table show what the machine and Node allow, beside
// what Fulgor reaches: a ratio to the crypto floor that this server cannot reach, Fulgor cannot either.
//
// Each key import takes the cheapest path node:crypto has for a P-256 point (a JWK of the SPKI's coordinates, as
// Fulgor's proof thread does in WebCrypto's raw form); the token key is imported once, as Fulgor caches it.
import { createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenHttp } from '../lib/listen.js';
import { isUncompressedP256Spki } from '../lib/x509.js';
import { processCpuMs, runQueueWaits } from './cpu-time.js';
import type { ServerCpu } from './http-load.js';

/** About the length of a Fulcio TBSCertificate, so that each signature hashes what Fulgor's does. */
const TBS_FILLER = randomBytes(1000);

class Refused extends Error {}

interface Body {
  credentials?: { oidcIdentityToken?: unknown };
  publicKeyRequest?: { publicKey?: { content?: unknown }; proofOfPossession?: unknown };
}

const b64urlJson = (part: string | undefined): Record<string, unknown> => {
  const v: unknown = JSON.parse(Buffer.from(part ?? '', 'base64url').toString());
  if (typeof v !== 'object' || v === null) throw new Refused('a token part is not a JSON object');
  return v as Record<string, unknown>;
};

/** The client key from a PEM P-256 SubjectPublicKeyInfo, imported as a JWK (node:crypto's cheapest import). */
function clientKeyOf(pem: unknown): KeyObject {
  if (typeof pem !== 'string') throw new Refused('no public key');
  const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
  if (!isUncompressedP256Spki(der)) throw new Refused('not a P-256 public key');
  const point = der.subarray(-64);
  try {
    return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: point.subarray(0, 32).toString('base64url'), y: point.subarray(32).toString('base64url') }, format: 'jwk' });
  } catch {
    throw new Refused('the public key is not a point on P-256');
  }
}

/** The issuer's signing keys by kid, from its discovery document and JWKS. */
async function issuerKeys(issuerUrl: string): Promise<Map<string, KeyObject>> {
  const discovery = (await (await fetch(`${issuerUrl}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
  const jwks = (await (await fetch(discovery.jwks_uri)).json()) as { keys: (Record<string, unknown> & { kid: string })[] };
  return new Map(jwks.keys.map((k) => [k.kid, createPublicKey({ key: k, format: 'jwk' })]));
}

/** A started bare server, as bench/issuance.ts drives its servers (its CPU is this process's: it runs here). */
export interface BareServer extends ServerCpu {
  readonly caUrl: string;
  readonly inProcess: true;
  close(): Promise<void>;
}

/** Starts the bare server on a loopback port, trusting `issuerUrl`'s keys for audience sigstore. */
export async function startBareServer(issuerUrl: string): Promise<BareServer> {
  const tokenKeys = await issuerKeys(issuerUrl);
  const ca = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const log = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const chainPem = ca.publicKey.export({ type: 'spki', format: 'pem' }) as string; // stands in for the CA's certificates

  const issue = (raw: Buffer): string => {
    const body = JSON.parse(raw.toString()) as Body;
    const token = body.credentials?.oidcIdentityToken;
    if (typeof token !== 'string') throw new Refused('no identity token');
    const [h, p, s] = token.split('.');
    const header = b64urlJson(h);
    const claims = b64urlJson(p);
    const key = header['alg'] === 'RS256' && typeof header['kid'] === 'string' ? tokenKeys.get(header['kid']) : undefined;
    if (key === undefined || !verify('sha256', Buffer.from(`${h}.${p}`), key, Buffer.from(s ?? '', 'base64url'))) throw new Refused('the token signature does not verify');
    if (claims['iss'] !== issuerUrl || claims['aud'] !== 'sigstore' || typeof claims['exp'] !== 'number' || claims['exp'] * 1000 < Date.now()) {
      throw new Refused('the token is not for this CA, or has expired');
    }
    const sub = typeof claims['sub'] === 'string' ? claims['sub'] : '';
    const clientKey = clientKeyOf(body.publicKeyRequest?.publicKey?.content);
    const proof = body.publicKeyRequest?.proofOfPossession;
    if (typeof proof !== 'string' || !verify('sha256', Buffer.from(sub), clientKey, Buffer.from(proof, 'base64'))) throw new Refused('the proof of possession does not verify');
    const tbs = Buffer.concat([Buffer.from(sub), Buffer.from(String(claims['job_workflow_ref'] ?? '')), TBS_FILLER]);
    const precertificate = sign('sha256', tbs, ca.privateKey);
    if (!verify('sha256', tbs, ca.publicKey, precertificate)) throw new Error("the log's check of the precertificate failed");
    const sct = sign('sha256', tbs, log.privateKey);
    const certificate = Buffer.concat([tbs, sct, sign('sha256', Buffer.concat([tbs, sct]), ca.privateKey)]);
    const leaf = `-----BEGIN CERTIFICATE-----\n${certificate.toString('base64')}\n-----END CERTIFICATE-----\n`;
    return JSON.stringify({ signedCertificateEmbeddedSct: { chain: { certificates: [leaf, chainPem, chainPem] } } });
  };

  const answer = (res: ServerResponse, status: number, text: string): void => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const listening = await listenHttp('127.0.0.1', 0);
  listening.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      try {
        answer(res, 200, issue(Buffer.concat(parts)));
      } catch (e) {
        const bad = e instanceof Refused || e instanceof SyntaxError;
        answer(res, bad ? 400 : 500, JSON.stringify({ code: bad ? 400 : 500, message: e instanceof Error ? e.message : String(e) }));
      }
    });
  });
  return {
    caUrl: listening.url,
    cpuMs: processCpuMs,
    runQueueWaits: () => runQueueWaits(process.pid),
    inProcess: true,
    close: () => listening.close({ drainMs: 0 }),
  };
}

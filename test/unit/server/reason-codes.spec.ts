// Every reason code in lib/errors.ts has a row in the error table and is raised, here, through a real path: a
// request to the real server (real local OIDC issuers, real CA, real CT log) that ends in exactly that code, with
// the row's HTTP status, gRPC code and message prefix in Fulcio's {code, message, details[ErrorInfo]} shape.
// SCENARIOS is typed Record<ReasonCode, ...>, so a new code does not compile until it has a scenario here, and the
// first test enumerates REASON_CODES at run time against the table and the scenarios.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { parseIdentityConfig } from '../../../oidc/identity-compile.js';
import type { IdentityConfig } from '../../../oidc/identity-config.js';
import { createMissingDevKeys } from '../../../ca/dev-keys.js';
import { KEY_FILES } from '../../../config/keys-dir.js';
import { readPrivateKeyFile } from '../../../signer/index.js';
import { REASON_CODES, type ReasonCode } from '../../../lib/errors.js';
import { memoryLogger } from '../../../lib/log.js';
import { keySigner, type Signer } from '../../../lib/signer.js';
import { mintToken } from '../../../oidc/dev-issuer.js';
import { ERROR_TABLE } from '../../../server/error-table.js';
import { serve } from '../../../server/serve.js';
import { clientKey, startFulgor, v2Request, type TestFulgor } from '../../helpers/fulgor.js';
import { startIssuer, type TestIssuer } from '../../helpers/oidc-issuer.js';
import type { CaBody } from '../../helpers/response-body.js';
import { x509 } from '../../helpers/x509.js';

const GITHUB_SUB = 'repo:acme/app:ref:refs/heads/main';
const EMAIL = 'dev@example.com';

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly json: CaBody;
}

interface Env {
  readonly github: TestIssuer;
  readonly email: TestIssuer;
  readonly fulgor: TestFulgor;
  readonly keysDir: string;
  /** The identity config of `fulgor`, as JSON (Fulcio's spelling). */
  readonly config: Record<string, unknown>;
  /** An issuer URL nothing listens on. */
  readonly deadIssuerUrl: string;
  /** A loopback URL nothing listens on. */
  readonly closedUrl: string;
}

type Scenario = (env: Env) => Promise<Answer>;

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${url}/api/v2/signingCert`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  // Not every answer is JSON; a test that reads a field of one that is not fails on the undefined it gets.
  let json: CaBody;
  try {
    json = JSON.parse(text) as CaBody;
  } catch {
    json = undefined as unknown as CaBody;
  }
  return { status: res.status, text, json };
}

const githubRequest = async (env: Env, mint: Parameters<TestIssuer['mint']>[1] = {}) =>
  v2Request(await env.github.mint('github', mint), clientKey(), GITHUB_SUB);

/** A v2 request carrying a CSR (PEM, base64-encoded as v2 wants). */
const csrRequest = (token: string, pem: string) => ({
  credentials: { oidcIdentityToken: token },
  certificateSigningRequest: Buffer.from(pem).toString('base64'),
});

async function csr(hash: 'SHA-256' | 'SHA-384') {
  const keys = await x509.cryptoProvider.get().subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  return x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=ignored', keys, signingAlgorithm: { name: 'ECDSA', hash } });
}

/** Starts a second CA on the same keys with `opts`, sends one request, and closes it. */
async function viaOtherCa(env: Env, opts: Parameters<typeof startFulgor>[1], body: unknown): Promise<Answer> {
  const ca = await startFulgor(env.config, { ...opts, keysDir: env.keysDir });
  try {
    return await post(ca.caUrl, body);
  } finally {
    await ca.close();
  }
}

const SCENARIOS: Record<ReasonCode, { readonly how: string; readonly run: Scenario }> = {
  BAD_REQUEST: { how: 'a JSON body that is not an object', run: (env) => post(env.fulgor.caUrl, '[1,2]') },
  BODY_TOO_LARGE: { how: 'a body over 4 MiB', run: (env) => post(env.fulgor.caUrl, { pad: 'x'.repeat(5 * 1024 * 1024) }) },
  MALFORMED_JSON: { how: 'a body that is not JSON', run: (env) => post(env.fulgor.caUrl, '{"credentials":') },
  MISSING_TOKEN: {
    how: 'no token in the body nor in Authorization',
    run: async (env) => post(env.fulgor.caUrl, { publicKeyRequest: (await githubRequest(env)).publicKeyRequest }),
  },
  MALFORMED_TOKEN: { how: 'a token that is not a compact JWS', run: (env) => post(env.fulgor.caUrl, v2Request('a.b', clientKey(), GITHUB_SUB)) },
  UNKNOWN_ISSUER: {
    how: 'a token from an issuer the config does not name',
    run: async (env) => {
      const token = await mintToken({ issuer: 'https://unknown.example.com', privateKey: env.github.key });
      return post(env.fulgor.caUrl, v2Request(token, clientKey(), GITHUB_SUB));
    },
  },
  ISSUER_UNAVAILABLE: {
    how: 'a configured issuer whose discovery cannot be reached',
    run: async (env) => {
      const token = await mintToken({ issuer: env.deadIssuerUrl, privateKey: env.github.key });
      return post(env.fulgor.caUrl, v2Request(token, clientKey(), GITHUB_SUB));
    },
  },
  INVALID_TOKEN_SIGNATURE: {
    how: 'a token signed by a key the issuer does not publish',
    run: async (env) =>
      post(env.fulgor.caUrl, await githubRequest(env, { privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey })),
  },
  UNSUPPORTED_TOKEN_ALGORITHM: {
    how: 'an HS256 token (the issuer advertises RS256)',
    run: async (env) => {
      const token = await new SignJWT({ iss: env.github.url, aud: 'sigstore', sub: GITHUB_SUB })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode('0123456789abcdef0123456789abcdef'));
      return post(env.fulgor.caUrl, v2Request(token, clientKey(), GITHUB_SUB));
    },
  },
  TOKEN_EXPIRED: {
    how: 'a token that expired 50 minutes ago',
    run: async (env) => post(env.fulgor.caUrl, await githubRequest(env, { now: new Date(Date.now() - 3_600_000) })),
  },
  TOKEN_NOT_YET_VALID: {
    how: 'nbf an hour ahead (beyond the 5-minute skew)',
    run: async (env) => post(env.fulgor.caUrl, await githubRequest(env, { claims: { nbf: Math.floor(Date.now() / 1000) + 3600 } })),
  },
  AUDIENCE_MISMATCH: { how: 'aud is not the ClientID', run: async (env) => post(env.fulgor.caUrl, await githubRequest(env, { audience: 'other' })) },
  ISSUER_MISMATCH: {
    how: 'an OIDCIssuers key that differs from its IssuerURL: the token names the key, the issuer is the URL',
    run: async (env) => {
      const token = await mintToken({ issuer: `${env.github.url}-alias`, privateKey: env.github.key, type: 'github' });
      return post(env.fulgor.caUrl, v2Request(token, clientKey(), GITHUB_SUB));
    },
  },
  MISSING_CLAIM: {
    how: 'a GitHub token without job_workflow_ref',
    run: async (env) => post(env.fulgor.caUrl, await githubRequest(env, { claims: { job_workflow_ref: undefined } })),
  },
  INVALID_CLAIM: { how: 'exp is a string', run: async (env) => post(env.fulgor.caUrl, await githubRequest(env, { claims: { exp: 'soon' } })) },
  EMAIL_NOT_VERIFIED: {
    how: 'an email token with email_verified false',
    run: async (env) =>
      post(env.fulgor.caUrl, v2Request(await env.email.mint('email', { claims: { email_verified: false } }), clientKey(), EMAIL)),
  },
  POLICY_DENIED: {
    how: 'an email the issuer’s Policy does not allow',
    run: async (env) =>
      post(env.fulgor.caUrl, v2Request(await env.email.mint('email', { claims: { email: 'eve@example.org' } }), clientKey(), 'eve@example.org')),
  },
  RATE_LIMITED: {
    how: 'a second request from an identity whose issuer allows one per hour',
    run: async (env) => {
      const config = { OIDCIssuers: { [env.github.url]: { IssuerURL: env.github.url, ClientID: 'sigstore', Type: 'github-workflow', RateLimit: { PerIdentity: '1/hour' } } } };
      const ca = await startFulgor(config, { keysDir: env.keysDir });
      try {
        const first = await post(ca.caUrl, await githubRequest(env));
        assert.equal(first.status, 200, first.text);
        return await post(ca.caUrl, await githubRequest(env));
      } finally {
        await ca.close();
      }
    },
  },
  MISSING_PUBLIC_KEY: {
    how: 'a token and no key',
    run: async (env) => post(env.fulgor.caUrl, { credentials: { oidcIdentityToken: await env.github.mint('github') } }),
  },
  INVALID_PUBLIC_KEY: {
    how: 'a PEM public key whose body is not base64',
    run: async (env) => {
      const body = await githubRequest(env);
      body.publicKeyRequest.publicKey.content = '-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----\n';
      return post(env.fulgor.caUrl, body);
    },
  },
  INSECURE_PUBLIC_KEY: {
    how: 'an RSA-1024 key',
    run: async (env) => post(env.fulgor.caUrl, v2Request(await env.github.mint('github'), clientKey('rsa1024'), GITHUB_SUB)),
  },
  INVALID_PROOF_OF_POSSESSION: {
    how: 'a proof over another name',
    run: async (env) => post(env.fulgor.caUrl, v2Request(await env.github.mint('github'), clientKey(), 'someone-else')),
  },
  INVALID_CSR: {
    how: 'a CSR field holding no PEM CERTIFICATE REQUEST',
    run: async (env) => post(env.fulgor.caUrl, csrRequest(await env.github.mint('github'), 'not a certificate request')),
  },
  INVALID_CSR_SIGNATURE: {
    how: 'a well-formed CSR whose signature’s last byte is flipped',
    run: async (env) => {
      const der = Buffer.from((await csr('SHA-256')).rawData);
      der[der.length - 1] = (der[der.length - 1] as number) ^ 0x01;
      const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
      return post(env.fulgor.caUrl, csrRequest(await env.github.mint('github'), pem));
    },
  },
  UNSUPPORTED_SIGNATURE_ALGORITHM: {
    how: 'a P-256 CSR signed with SHA-384 (Fulcio allows each key one hash)',
    run: async (env) => post(env.fulgor.caUrl, csrRequest(await env.github.mint('github'), (await csr('SHA-384')).toString('pem'))),
  },
  CT_LOG_UNAVAILABLE: {
    how: 'a CA whose external CT log cannot be reached',
    run: async (env) => viaOtherCa(env, { ctLogUrl: env.closedUrl, ctLogPublicKey: env.fulgor.ctLogSpki }, await githubRequest(env)),
  },
  CT_LOG_REJECTED: {
    how: 'a CA given another key for its (real) log: the SCT does not verify',
    run: async (env) => {
      const spare = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' });
      return viaOtherCa(env, { ctLogUrl: env.fulgor.ctUrl, ctLogPublicKey: spare }, await githubRequest(env));
    },
  },
  SIGNING_FAILED: {
    how: 'a CA signer backend that fails (an HSM whose session closed): right public key, no signature',
    run: async (env) => {
      const { spki, algorithmIdentifier } = keySigner(await readPrivateKeyFile(join(env.keysDir, KEY_FILES.caKey)));
      const closed: Signer = { spki, algorithmIdentifier, sign: () => Promise.reject(new Error('CKR_SESSION_CLOSED')) };
      const res = await viaOtherCa(env, { caSigner: closed }, await githubRequest(env));
      assert.doesNotMatch(res.text, /CKR_SESSION_CLOSED/, 'the backend’s cause is logged, not returned');
      return res;
    },
  },
  SHUTTING_DOWN: {
    how: 'a request still waiting on its issuer when the server stops with a 50 ms drain',
    run: async (env) => {
      let arrived!: () => void;
      const waiting = new Promise<void>((r) => (arrived = r));
      const held: IncomingMessage[] = [];
      const hanging: Server = createHttpServer((req) => {
        held.push(req); // never answered
        arrived();
      });
      await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', () => r()));
      const slowUrl = `http://127.0.0.1:${(hanging.address() as { port: number }).port}/slow`;
      const config = { OIDCIssuers: { [slowUrl]: { IssuerURL: slowUrl, ClientID: 'sigstore', Type: 'github-workflow' } } };
      const ca = await startFulgor(config, { keysDir: env.keysDir, drainTimeoutMs: 50 });
      try {
        const token = await mintToken({ issuer: slowUrl, privateKey: env.github.key, type: 'github' });
        const answer = post(ca.caUrl, v2Request(token, clientKey(), GITHUB_SUB));
        await waiting;
        const [res] = await Promise.all([answer, ca.close()]);
        return res;
      } finally {
        hanging.closeAllConnections();
        await new Promise((r) => hanging.close(r));
      }
    },
  },
  INTERNAL: {
    how: 'a hand-built identity config (serve() takes one; parsing would refuse it) with a uri issuer lacking SubjectDomain',
    run: async (env) => {
      const parsed = parseIdentityConfig(JSON.stringify({ OIDCIssuers: { [env.github.url]: { IssuerURL: env.github.url, ClientID: 'sigstore', Type: 'uri', SubjectDomain: 'http://127.0.0.1' } } }));
      const issuer = parsed.oidcIssuers.get(env.github.url)!;
      const { subjectDomain: _dropped, ...withoutDomain } = issuer;
      const identity: IdentityConfig = { ...parsed, oidcIssuers: new Map([[env.github.url, withoutDomain]]) };
      const running = await serve({ host: '127.0.0.1', port: 0, ctPort: 0, keysDir: env.keysDir, dev: false, allowDevKeys: true, ctStorage: 'memory', identity, logger: memoryLogger() });
      try {
        const token = await env.github.mint('github', { claims: { sub: 'http://127.0.0.1/app' } });
        return await post(running.caUrl, v2Request(token, clientKey(), 'http://127.0.0.1/app'));
      } finally {
        await running.close();
      }
    },
  },
};

describe('server: every reason code has a status and is raised through the real server', () => {
  let env: Env;

  before(async () => {
    const [github, email] = await Promise.all([startIssuer('/gh'), startIssuer('/mail')]);
    const closedPort = await new Promise<number>((resolve) => {
      const s = createNetServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const closedUrl = `http://127.0.0.1:${closedPort}`;
    const deadIssuerUrl = `${closedUrl}/oidc`;
    const keysDir = mkdtempSync(join(tmpdir(), 'fulgor-reasons-'));
    await createMissingDevKeys(keysDir);
    const issuer = (url: string, type: string) => ({ IssuerURL: url, ClientID: 'sigstore', Type: type });
    const config = {
      OIDCIssuers: {
        [github.url]: issuer(github.url, 'github-workflow'),
        [`${github.url}-alias`]: issuer(github.url, 'github-workflow'),
        [email.url]: { ...issuer(email.url, 'email'), Policy: [{ Name: 'example-only', Allow: { email: ['*@example.com'] } }] },
        [deadIssuerUrl]: issuer(deadIssuerUrl, 'github-workflow'),
      },
    };
    const fulgor = await startFulgor(config, { keysDir });
    env = { github, email, fulgor, keysDir, config, deadIssuerUrl, closedUrl };
  });
  after(async () => {
    await env.fulgor.close();
    await Promise.all([env.github.close(), env.email.close()]);
    rmSync(env.keysDir, { recursive: true, force: true });
  });

  it('REASON_CODES, the error table and these scenarios name the same codes; every row is a 4xx or a 5xx', () => {
    assert.deepEqual(Object.keys(ERROR_TABLE).sort(), [...REASON_CODES].sort());
    assert.deepEqual(Object.keys(SCENARIOS).sort(), [...REASON_CODES].sort());
    assert.equal(new Set(REASON_CODES).size, REASON_CODES.length, 'no code twice');
    for (const code of REASON_CODES) {
      const { status, grpc } = ERROR_TABLE[code];
      assert.ok(status >= 400 && status < 600, `${code}: ${status}`);
      assert.ok(Number.isInteger(grpc) && grpc > 0 && grpc <= 16, `${code}: gRPC ${grpc}`);
    }
  });

  for (const code of REASON_CODES) {
    const { how, run } = SCENARIOS[code];
    it(`${code}: ${how}`, async () => {
      const res = await run(env);
      const row = ERROR_TABLE[code];
      assert.equal(res.json?.details?.[0]?.reason, code, res.text);
      assert.equal(res.status, row.status, res.text);
      assert.deepEqual(Object.keys(res.json).sort(), ['code', 'details', 'message']);
      assert.equal(res.json.code, row.grpc);
      assert.equal(res.json.details.length, 1);
      assert.equal(res.json.details[0]['@type'], 'type.googleapis.com/google.rpc.ErrorInfo');
      assert.equal(res.json.details[0].domain, 'fulgor');
      if (row.prefix) assert.ok(res.json.message.startsWith(`${row.prefix}: `), res.json.message);
      assert.doesNotMatch(res.text, /BEGIN CERTIFICATE|eyJ/, 'no certificate and no token in an error');
    });
  }
});

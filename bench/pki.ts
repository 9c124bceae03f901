// What the CT benchmarks submit: real Fulgor precertificates (ca/authority.ts) for a GitHub Actions identity, issued
// by a development CA (ca/dev-ca.ts), and a fresh CT log key.
import { generateKeyPairSync } from 'node:crypto';
import { createCertificateAuthority } from '../ca/authority.js';
import { clientKeyFromSpki } from '../ca/client-key.js';
import { createDevCa } from '../ca/dev-ca.js';
import { createIssuingCa } from '../ca/issuing-ca.js';
import { systemClock } from '../lib/clock.js';
import { keySigner, type Signer } from '../lib/signer.js';
import type { Principal } from '../oidc/principal.js';

const WORKFLOW = 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main';
const PRINCIPAL: Principal = {
  name: 'repo:acme/app:ref:refs/heads/main',
  san: { kind: 'uri', value: WORKFLOW },
  extensions: {
    issuer: 'https://token.actions.githubusercontent.com',
    githubWorkflowTrigger: 'push',
    githubWorkflowSha: '8f2a5b0c1d3e4f5a6b7c8d9e0f1a2b3c4d5e6f70',
    githubWorkflowName: 'release',
    githubWorkflowRepository: 'acme/app',
    githubWorkflowRef: 'refs/heads/main',
    buildSignerUri: WORKFLOW,
    buildSignerDigest: '8f2a5b0c1d3e4f5a6b7c8d9e0f1a2b3c4d5e6f70',
    runnerEnvironment: 'github-hosted',
    sourceRepositoryUri: 'https://github.com/acme/app',
    sourceRepositoryDigest: '8f2a5b0c1d3e4f5a6b7c8d9e0f1a2b3c4d5e6f70',
    sourceRepositoryRef: 'refs/heads/main',
    buildConfigUri: WORKFLOW,
    buildTrigger: 'push',
    subject: 'repo:acme/app:ref:refs/heads/main',
  },
};

export interface BenchPki {
  /** The development CA's root (the CT log's accepted root). */
  readonly root: Buffer;
  /** A fresh precertificate chain: [precertificate, intermediate, root]. */
  precertChain(): Promise<Buffer[]>;
}

export async function benchPki(): Promise<BenchPki> {
  const dev = await createDevCa({ organization: 'Fulgor Bench' });
  const ca = createCertificateAuthority(createIssuingCa([dev.intermediate, dev.root], keySigner(dev.intermediateKey)), { clock: systemClock });
  const client = clientKeyFromSpki(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' }));
  return {
    root: dev.root,
    // Each precertificate has a fresh random serial, so every chain is a distinct log entry.
    precertChain: async () => [(await ca.precertificate(PRINCIPAL, client)).der, ...ca.chain],
  };
}

export const newLogSigner = (): Signer => keySigner(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);

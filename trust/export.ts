// `trust export` from one source of truth: every file a verifier, signer or admission controller needs, written
// into one directory. The TUF repository under it is continued (same keys, next versions) on every export.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { clientTrustConfig } from './client-trust-config.js';
import { cosignEnv } from './cosign-env.js';
import type { IdentityPolicy } from './identity.js';
import { kyvernoClusterPolicy } from './kyverno-clusterpolicy.js';
import { kyvernoImageValidatingPolicy } from './kyverno-imagevalidatingpolicy.js';
import { caChainPem, ctLogKeyPem, tsaChainPem } from './pem-material.js';
import { policyControllerTrustRoots } from './policy-controller.js';
import { exportReadme } from './readme.js';
import { signingConfig } from './signing-config.js';
import { rfc3339, trustedRoot, type TrustedRootInput } from './trusted-root.js';
import { writeTufArchive } from './tuf-archive.js';
import { loadOrCreateTufKeys } from './tuf-keys.js';
import { writeTufRepository, type TufVersions } from './tuf-repo.js';

export const EXPORT_FILES = {
  trustedRoot: 'trusted_root.json',
  signingConfig: 'signing_config.json',
  clientTrustConfig: 'client_trust_config.json',
  tuf: 'tuf',
  tufArchive: 'tuf-repository.tar.gz',
  policyController: 'kubernetes/policy-controller-trustroot.yaml',
  kyvernoClusterPolicy: 'kubernetes/kyverno-clusterpolicy.yaml',
  kyvernoImageValidatingPolicy: 'kubernetes/kyverno-imagevalidatingpolicy.yaml',
  cosignEnv: 'cosign.env',
  readme: 'README.md',
  caChain: 'fulcio_chain.pem',
  ctLogKey: 'ctfe.pub',
  tsaChain: 'tsa_chain.pem',
} as const;

/** The TUF target names sigstore clients fetch (sigstore-go, sigstore-js, policy-controller). */
export const TUF_TARGETS = { trustedRoot: 'trusted_root.json', signingConfig: 'signing_config.v0.2.json' } as const;

/** Kubernetes object names: TrustRoots `fulgor` and `fulgor-keys`, policies `fulgor-verify-images`. */
export const KUBERNETES_NAME = 'fulgor';

const DAY_MS = 86_400_000;

export interface TrustExportInput extends TrustedRootInput {
  readonly out: string;
  readonly tufKeysDir: string;
  /** Lifetime of the TUF timestamp role; snapshot and targets live at least a year (and at least as long). */
  readonly tufExpiresMs: number;
  readonly identity: IdentityPolicy;
  readonly now: Date;
}

export interface TrustExportResult {
  /** Paths relative to `out`. */
  readonly files: string[];
  readonly tuf: TufVersions;
  readonly createdTufKeys: string[];
}

const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';

export async function exportTrust(input: TrustExportInput): Promise<TrustExportResult> {
  const { out } = input;
  const files: string[] = [];
  const write = (name: string, content: string | Buffer) => {
    mkdirSync(dirname(join(out, name)), { recursive: true });
    writeFileSync(join(out, name), content);
    files.push(name);
  };

  const root = trustedRoot(input);
  const signing = signingConfig({
    caUrl: input.caUrl,
    ...(input.timestampAuthority ? { tsaUrl: input.timestampAuthority.url } : {}),
    validFrom: new Date(root.certificateAuthorities[0]!.validFor.start),
    operator: new URL(input.caUrl).host,
  });
  write(EXPORT_FILES.trustedRoot, json(root));
  write(EXPORT_FILES.signingConfig, json(signing));
  write(EXPORT_FILES.clientTrustConfig, json(clientTrustConfig(root, signing)));

  write(EXPORT_FILES.caChain, caChainPem(input));
  write(EXPORT_FILES.ctLogKey, ctLogKeyPem(input));
  const tsaPem = tsaChainPem(input);
  if (tsaPem) write(EXPORT_FILES.tsaChain, tsaPem);
  write(
    EXPORT_FILES.cosignEnv,
    cosignEnv({
      caChain: resolve(out, EXPORT_FILES.caChain),
      ctLogKey: resolve(out, EXPORT_FILES.ctLogKey),
      ...(tsaPem ? { tsaChain: resolve(out, EXPORT_FILES.tsaChain) } : {}),
    }),
  );

  const { keys, created } = loadOrCreateTufKeys(input.tufKeysDir);
  const tufDir = join(out, EXPORT_FILES.tuf);
  const tuf = await writeTufRepository({
    dir: tufDir,
    keys,
    targets: { [TUF_TARGETS.trustedRoot]: Buffer.from(json(root)), [TUF_TARGETS.signingConfig]: Buffer.from(json(signing)) },
    now: input.now,
    timestampLifetimeMs: input.tufExpiresMs,
    metadataLifetimeMs: Math.max(input.tufExpiresMs, 365 * DAY_MS),
  });
  files.push(`${EXPORT_FILES.tuf}/`);
  await writeTufArchive(tufDir, join(out, EXPORT_FILES.tufArchive));
  files.push(EXPORT_FILES.tufArchive);

  write(
    EXPORT_FILES.policyController,
    policyControllerTrustRoots({
      material: input,
      tufRoot: readFileSync(join(tufDir, 'root.json')),
      tufArchive: readFileSync(join(out, EXPORT_FILES.tufArchive)),
      name: KUBERNETES_NAME,
    }),
  );
  write(EXPORT_FILES.kyvernoClusterPolicy, kyvernoClusterPolicy(input, input.identity, `${KUBERNETES_NAME}-verify-images`));
  write(EXPORT_FILES.kyvernoImageValidatingPolicy, kyvernoImageValidatingPolicy(root, input.identity, `${KUBERNETES_NAME}-verify-images`));
  write(
    EXPORT_FILES.readme,
    exportReadme({
      caUrl: input.caUrl,
      ...(input.timestampAuthority ? { tsaUrl: input.timestampAuthority.url } : {}),
      identity: input.identity,
      timestampExpires: rfc3339(new Date(input.now.getTime() + input.tufExpiresMs)),
    }),
  );
  return { files, tuf, createdTufKeys: created };
}

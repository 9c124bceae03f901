// README.md written next to the exported files: what each is for, who reads it, and the commands that use them.
import type { IdentityPolicy } from './identity.js';

export interface ReadmeInput {
  readonly caUrl: string;
  readonly tsaUrl?: string;
  readonly identity: IdentityPolicy;
  readonly timestampExpires: string;
}

export function exportReadme(r: ReadmeInput): string {
  const issuer = r.identity.issuer ? `--certificate-oidc-issuer '${r.identity.issuer}'` : `--certificate-oidc-issuer-regexp '.*'`;
  const subject = `--certificate-identity-regexp '${r.identity.subjectRegExp ?? '.*'}'`;
  const noTsa = r.tsaUrl
    ? ''
    : `
**No timestamp authority was exported** (the keys directory has no \`tsa.pem\`). Without Rekor, a signature then
verifies only while its 10-minute certificate is valid. Create the TSA key and certificate (\`fulgor keys init\` or
\`fulgor ca init\`) and export again.
`;
  return `# Fulgor trust material

Written by \`fulgor trust export\` for the CA at ${r.caUrl}${r.tsaUrl ? ` and its timestamp authority at ${r.tsaUrl}` : ''}.
There is no Rekor: signatures are timestamped by the TSA (RFC 3161) and verified with the transparency log check
turned off, so they keep verifying after their 10-minute certificate expires.
${noTsa}
| file | what it is | who reads it |
| --- | --- | --- |
| \`trusted_root.json\` | sigstore trusted root (v0.1): CA chain, CT log key, timestamp authority | cosign v3 \`--trusted-root\`, sigstore-js \`@sigstore/verify\`, sigstore-go |
| \`signing_config.json\` | sigstore signing config (v0.2): the CA and TSA URLs, no Rekor | cosign v3 \`--signing-config\`, sigstore-js \`bundleBuilderFromSigningConfig\` |
| \`client_trust_config.json\` | both of the above in one ClientTrustConfig | Kubewarden and other single-file clients |
| \`tuf/\` | an offline TUF repository (targets \`trusted_root.json\`, \`signing_config.v0.2.json\`); timestamp expires ${r.timestampExpires} | any static web server, then \`cosign initialize\`, \`@sigstore/tuf\`, sigstore-go |
| \`tuf-repository.tar.gz\` | the same repository as one archive, under \`repository/\` | policy-controller TrustRoot \`repository.mirrorFS\` |
| \`kubernetes/policy-controller-trustroot.yaml\` | two TrustRoots: repository mode (TUF, offline) and sigstoreKeys mode | sigstore policy-controller (\`trustRootRef\` in a ClusterImagePolicy) |
| \`kubernetes/kyverno-clusterpolicy.yaml\` | ClusterPolicy with a verifyImages keyless attestor | Kyverno |
| \`kubernetes/kyverno-imagevalidatingpolicy.yaml\` | ImageValidatingPolicy with the trusted root inline | Kyverno |
| \`cosign.env\` | \`SIGSTORE_ROOT_FILE\`, \`SIGSTORE_CT_LOG_PUBLIC_KEY_FILE\`, \`SIGSTORE_TSA_CERTIFICATE_FILE\` | cosign v2 (and v3 without \`--trusted-root\`) |
| \`fulcio_chain.pem\`, \`ctfe.pub\`, \`tsa_chain.pem\` | the CA chain, CT log key and TSA chain as PEM (what \`cosign.env\` points at) | cosign v2, anything that takes PEM |

## cosign v3

    cosign sign-blob --bundle artifact.sigstore.json --signing-config signing_config.json \\
      --trusted-root trusted_root.json --identity-token "$TOKEN" artifact
    cosign verify-blob --bundle artifact.sigstore.json --trusted-root trusted_root.json \\
      --use-signed-timestamps --insecure-ignore-tlog ${subject} ${issuer} artifact

## cosign v2

    set -a; . ./cosign.env; set +a
    cosign sign-blob --fulcio-url ${r.caUrl} --tlog-upload=false${r.tsaUrl ? ` --timestamp-server-url ${r.tsaUrl} \\
      --rfc3161-timestamp artifact.tsr` : ''} --output-signature artifact.sig --output-certificate artifact.pem \\
      --identity-token "$TOKEN" artifact
    cosign verify-blob --signature artifact.sig --certificate artifact.pem${r.tsaUrl ? ' --rfc3161-timestamp artifact.tsr' : ''} \\
      --use-signed-timestamps --insecure-ignore-tlog ${subject} ${issuer} artifact

## sigstore-js

Sign with \`bundleBuilderFromSigningConfig({ signingConfig, identityProvider, bundleType })\` (@sigstore/sign) reading
\`signing_config.json\`; verify with \`new Verifier(toTrustMaterial(TrustedRoot.fromJSON(trusted_root.json)),
{ tlogThreshold: 0, ctlogThreshold: 1, timestampThreshold: 1 })\` (@sigstore/verify), or fetch the trusted root
through \`@sigstore/tuf\` with \`tufMirrorURL\` = where \`tuf/\` is served and \`tufRootPath\` = \`tuf/root.json\`.

## TUF

Serve \`tuf/\` as static files (metadata at the top, targets under \`targets/\`), then
\`cosign initialize --mirror URL --root tuf/root.json\`. Exporting again into this directory with the same TUF keys
publishes new timestamp, snapshot and targets versions; clients that cached an earlier root update.

## Kubernetes

    kubectl apply -f kubernetes/policy-controller-trustroot.yaml   # then trustRootRef: fulgor (or fulgor-keys)
    kubectl apply -f kubernetes/kyverno-clusterpolicy.yaml         # or kyverno-imagevalidatingpolicy.yaml
`;
}

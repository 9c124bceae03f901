// cosign's environment for verifying without TUF (cosign v2, and v3 without --trusted-root): the CA chain, the CT
// log key and the TSA chain as PEM files. Absolute paths, single-quoted: `set -a; . cosign.env; set +a`.
export interface CosignEnvFiles {
  readonly caChain: string;
  readonly ctLogKey: string;
  readonly tsaChain?: string;
}

function quote(path: string): string {
  if (path.includes("'") || path.includes('\n')) throw new Error(`cannot write ${JSON.stringify(path)} into cosign.env: it holds a quote or a newline`);
  return `'${path}'`;
}

export function cosignEnv(files: CosignEnvFiles): string {
  return [
    '# cosign: verify what Fulgor issued without TUF. Load with: set -a; . ./cosign.env; set +a',
    `SIGSTORE_ROOT_FILE=${quote(files.caChain)}`,
    `SIGSTORE_CT_LOG_PUBLIC_KEY_FILE=${quote(files.ctLogKey)}`,
    ...(files.tsaChain ? [`SIGSTORE_TSA_CERTIFICATE_FILE=${quote(files.tsaChain)}`] : []),
    '',
  ].join('\n');
}

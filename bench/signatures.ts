// Signatures per second through signer/'s openSigner: the same P-256 signing, key in a PKCS#8 file (in process) vs
// key in a SoftHSM2 token (PKCS#11, async C_Sign on libuv's pool, 4 sessions), 1 and 16 signatures in flight.
// The token is a throwaway one in a temp dir; without softhsm2 the SoftHSM rows say "skipped: <reason>".
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generatePkcs11KeyPair, generateSoftwareKey, openSigner, privateKeyPem, type ClosableSigner } from '../signer/index.js';
import { createSoftHsm, SOFTHSM_MODULE, softhsmMissing } from '../signer/softhsm.js';
import { cleanup, fmt, fmtInt, log, runConcurrent, summarize, tempDir, type Summary } from './util.js';

export interface SignatureRow {
  readonly backend: 'file' | 'softhsm2';
  readonly concurrency: number;
  readonly perSecond: number;
  readonly latency: Summary;
  readonly count: number;
  readonly errors: number;
}
export interface SignatureBench {
  readonly rows: SignatureRow[];
  readonly softhsmSkipped?: string;
}

async function measure(backend: SignatureRow['backend'], signer: ClosableSigner, concurrency: number, seconds: number): Promise<SignatureRow> {
  const items = Array.from({ length: 1_000_000 }, (_, i) => i);
  const tbs = randomBytes(1100); // a Fulcio TBSCertificate is about this long
  const r = await runConcurrent(items, { concurrency, maxMs: seconds * 1000, warmup: 200 }, () => signer.sign(tbs));
  if (r.firstError) log(`${backend} signatures: ${r.errors} errors, first: ${String(r.firstError)}`);
  return { backend, concurrency, perSecond: (r.done / r.ms) * 1000, latency: summarize(r.latencies), count: r.done, errors: r.errors };
}

export async function benchSignatures(o: { concurrencies: number[]; seconds: number }): Promise<SignatureBench> {
  const rows: SignatureRow[] = [];
  const { dir, remove } = await tempDir('signatures');
  try {
    const keyPath = join(dir, 'ca.key');
    await writeFile(keyPath, privateKeyPem(generateSoftwareKey('ecdsa-p256')), { mode: 0o600 });
    const file = await openSigner(keyPath);
    for (const c of o.concurrencies) {
      log(`signatures: file key, ${c} in flight`);
      rows.push(await measure('file', file, c, o.seconds));
    }
    await file.close();
  } finally {
    await remove();
  }
  const softhsmSkipped = softhsmMissing();
  if (softhsmSkipped) return { rows, softhsmSkipped };
  const hsm = await createSoftHsm();
  const removeHsm = cleanup.add('remove SoftHSM2 token dir', () => hsm.close());
  try {
    await hsm.initToken('bench', '12345678');
    const uri = `pkcs11:token=bench;object=ca?module-path=${SOFTHSM_MODULE}`;
    const env = { FULGOR_PKCS11_PIN: '12345678' };
    await generatePkcs11KeyPair(uri, 'ecdsa-p256', { env });
    const token = await openSigner(uri, { env, sessions: 4 });
    try {
      for (const c of o.concurrencies) {
        log(`signatures: SoftHSM2 key, ${c} in flight`);
        rows.push(await measure('softhsm2', token, c, o.seconds));
      }
    } finally {
      await token.close();
    }
  } finally {
    await removeHsm();
  }
  return { rows };
}

export function signaturesReport(r: SignatureBench, seconds: number): string {
  const out = [
    `\n## Signatures per second: file key vs SoftHSM2 key (P-256)\n\n`,
    `openSigner(...).sign() over a 1,100-byte TBS, ECDSA P-256 with SHA-256; 200 warm-up signatures, then ${fmt(seconds)} s timed per row. ` +
      `File: PKCS#8 key in process (node:crypto). SoftHSM2: the key generated inside a throwaway token, 4 PKCS#11 sessions, ` +
      `C_Sign on libuv's thread pool.\n\n`,
    '| key | in flight | signatures/s | latency median (ms) | latency p99 (ms) | timed signatures | errors |\n|---|---|---|---|---|---|---|\n',
  ];
  for (const x of r.rows)
    out.push(`| ${x.backend} | ${x.concurrency} | ${fmtInt(x.perSecond)} | ${fmt(x.latency.median)} | ${fmt(x.latency.p99)} | ${fmtInt(x.count)} | ${x.errors} |\n`);
  if (r.softhsmSkipped) out.push(`| softhsm2 | – | skipped: ${r.softhsmSkipped} | | | | |\n`);
  return out.join('');
}

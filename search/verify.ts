// Client-side checks of a search answer, trusting nothing but the log's public key: the STH's signature, then for each
// result that its inclusion proof is against that STH and leads from the logged leaf (fetched by index with
// get-entries and hashed here) to the STH's root, and that the leaf certifies what the result says (SAN, issuer,
// serial, key, precert). A result that fails any check is kept, with verified:false and the reason.
import { entryIdentity } from '../ct/entry-identity.js';
import { hashLeaf, verifyInclusion } from '../ct/merkle.js';
import { verifySth, type TreeHead } from '../ct/verify.js';
import { serialHex } from './query.js';
import type { SearchResult, SthJson } from './service.js';

export interface VerifiedResult extends SearchResult {
  readonly verified: boolean;
  /** Why a result is not verified. */
  readonly problem?: string;
}

export const treeHeadOf = (sth: SthJson): TreeHead => ({
  treeSize: sth.tree_size,
  timestamp: sth.timestamp,
  rootHash: Buffer.from(sth.sha256_root_hash, 'base64'),
  signature: Buffer.from(sth.tree_head_signature, 'base64'),
});

/** Why the logged leaf does not certify what `r` says, or undefined when it does. */
function mismatch(r: SearchResult, leaf: Buffer): string | undefined {
  let e;
  try {
    e = entryIdentity(leaf);
  } catch (err) {
    return `the logged entry does not decode: ${(err as Error).message}`;
  }
  const id = e.identity;
  const checks: [string, unknown, unknown][] = [
    ['san', r.san, id.san ?? null],
    ['issuer', r.issuer, id.issuer ?? null],
    ['serial', r.serial, serialHex(id.serial)],
    ['keyFingerprint', r.keyFingerprint, id.keyFingerprint],
    ['precert', r.precert, e.precert],
    ['notBefore', r.notBefore, id.notBefore.toISOString()],
  ];
  for (const [k, ext] of Object.entries(id.extensions)) checks.push([`extensions.${k}`, r.extensions[k], ext]);
  const bad = checks.find(([, said, logged]) => said !== logged);
  return bad ? `the logged entry's ${bad[0]} is not the result's` : undefined;
}

export async function verifyResults(
  results: readonly SearchResult[],
  sthJson: SthJson,
  o: { logSpki: Buffer | undefined; leafAt(index: number): Promise<Buffer> },
): Promise<VerifiedResult[]> {
  const sth = treeHeadOf(sthJson);
  const sthProblem =
    o.logSpki === undefined ? 'no log public key given: the tree head cannot be checked' : verifySth(sth, o.logSpki) ? undefined : 'the tree head signature does not verify with the log public key';
  return Promise.all(
    results.map(async (r): Promise<VerifiedResult> => {
      const fail = (problem: string): VerifiedResult => ({ ...r, verified: false, problem });
      if (sthProblem) return fail(sthProblem);
      if (r.inclusion.treeSize !== sth.treeSize || r.inclusion.rootHash !== sthJson.sha256_root_hash) return fail('the inclusion proof is not against the returned tree head');
      let leaf: Buffer;
      try {
        leaf = await o.leafAt(r.index);
      } catch (e) {
        return fail(`cannot fetch entry ${r.index}: ${(e as Error).message}`);
      }
      const path = r.inclusion.auditPath.map((h) => Buffer.from(h, 'base64'));
      if (!verifyInclusion(r.index, sth.treeSize, hashLeaf(leaf), path, sth.rootHash)) return fail('the inclusion proof does not verify');
      const wrong = mismatch(r, leaf);
      return wrong ? fail(wrong) : { ...r, verified: true };
    }),
  );
}

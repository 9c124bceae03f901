// An offline TUF repository, written as static files any web server (or a file:// mirror, or policy-controller's
// mirrorFS) can serve: N.root.json (every root version) and root.json, timestamp.json, N.snapshot.json and
// snapshot.json, N.targets.json and targets.json, and targets/<sha256>.<name> (consistent snapshots). Writing into
// a directory that already holds a repository continues it: same keys, next versions, older roots kept, so a
// client that cached any earlier root updates.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalize } from '@tufjs/canonical-json';
import { Metadata, MetadataKind, MetaFile, Root, Signature, Snapshot, TargetFile, Targets, Timestamp } from '@tufjs/models';
import { rfc3339 } from './trusted-root.js';
import { TUF_ROLES, type TufKeys, type TufRoleKey } from './tuf-keys.js';

export interface TufRepositoryInput {
  readonly dir: string;
  readonly keys: TufKeys;
  /** Target name -> content. */
  readonly targets: Readonly<Record<string, Buffer>>;
  readonly now: Date;
  /** Lifetime of timestamp.json (the operator's choice: clients refuse the repository after it). */
  readonly timestampLifetimeMs: number;
  /** Lifetime of snapshot and targets metadata; the root lives twice as long. */
  readonly metadataLifetimeMs: number;
}

export interface TufVersions {
  readonly root: number;
  readonly targets: number;
  readonly snapshot: number;
  readonly timestamp: number;
}

const SPEC_VERSION = '1.0.31';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

type Signed = Root | Targets | Snapshot | Timestamp;

async function signedBytes(signed: Signed, by: TufRoleKey): Promise<Buffer> {
  const sig = await by.signer.sign(Buffer.from(canonicalize(signed.toJSON())));
  const md = new Metadata(signed, { [by.key.keyID]: new Signature({ keyID: by.key.keyID, sig: sig.toString('hex') }) });
  return Buffer.from(JSON.stringify(md.toJSON(), null, 2) + '\n');
}

/** Writes through a temporary file, so a server never serves half a file. */
function writeAtomic(path: string, data: Buffer): void {
  writeFileSync(`${path}.tmp`, data);
  renameSync(`${path}.tmp`, path);
}

function readMetadata<T extends Signed>(dir: string, name: string, kind: MetadataKind): Metadata<T> | undefined {
  const path = join(dir, name);
  if (!existsSync(path)) return undefined;
  // The overloads of fromJSON are per kind; all four share this shape.
  return Metadata.fromJSON(kind as MetadataKind.Root, JSON.parse(readFileSync(path, 'utf8'))) as unknown as Metadata<T>;
}

function sameKeys(root: Root, keys: TufKeys): boolean {
  return TUF_ROLES.every((r) => {
    const ids = root.roles[r]?.keyIDs ?? [];
    return ids.length === 1 && ids[0] === keys[r].key.keyID;
  });
}

export async function writeTufRepository(input: TufRepositoryInput): Promise<TufVersions> {
  const { dir, keys, now } = input;
  mkdirSync(join(dir, 'targets'), { recursive: true });
  const at = (ms: number) => rfc3339(new Date(now.getTime() + ms));
  const metadataExpires = at(input.metadataLifetimeMs);

  const oldRoot = readMetadata<Root>(dir, 'root.json', MetadataKind.Root);
  if (oldRoot && !sameKeys(oldRoot.signed, keys))
    throw new Error(`${dir} holds a TUF repository signed by other keys: export with the --tuf-keys-dir that created it, or into a new --out`);
  const previous = (name: string, kind: MetadataKind) => readMetadata(dir, name, kind)?.signed.version ?? 0;

  // A root is published on first export, and again (same keys, next version) before it would expire ahead of the
  // metadata it vouches for.
  let rootVersion = oldRoot?.signed.version ?? 0;
  if (!oldRoot || new Date(oldRoot.signed.expires) < new Date(metadataExpires)) {
    rootVersion++;
    const root = new Root({ version: rootVersion, specVersion: SPEC_VERSION, expires: at(2 * input.metadataLifetimeMs), consistentSnapshot: true });
    for (const r of TUF_ROLES) root.addKey(keys[r].key, r);
    const bytes = await signedBytes(root, keys.root);
    writeAtomic(join(dir, `${rootVersion}.root.json`), bytes);
    writeAtomic(join(dir, 'root.json'), bytes);
  }

  const targets = new Targets({ version: previous('targets.json', MetadataKind.Targets) + 1, specVersion: SPEC_VERSION, expires: metadataExpires });
  for (const [name, content] of Object.entries(input.targets)) {
    const hash = sha256(content);
    writeAtomic(join(dir, 'targets', `${hash}.${name}`), content);
    targets.addTarget(new TargetFile({ path: name, length: content.length, hashes: { sha256: hash } }));
  }
  const targetsBytes = await signedBytes(targets, keys.targets);
  writeAtomic(join(dir, `${targets.version}.targets.json`), targetsBytes);
  writeAtomic(join(dir, 'targets.json'), targetsBytes);

  const snapshot = new Snapshot({
    version: previous('snapshot.json', MetadataKind.Snapshot) + 1,
    specVersion: SPEC_VERSION,
    expires: metadataExpires,
    meta: { 'targets.json': new MetaFile({ version: targets.version }) },
  });
  const snapshotBytes = await signedBytes(snapshot, keys.snapshot);
  writeAtomic(join(dir, `${snapshot.version}.snapshot.json`), snapshotBytes);
  writeAtomic(join(dir, 'snapshot.json'), snapshotBytes);

  // timestamp.json last: until it is replaced, clients see the previous, complete repository.
  const timestamp = new Timestamp({
    version: previous('timestamp.json', MetadataKind.Timestamp) + 1,
    specVersion: SPEC_VERSION,
    expires: at(input.timestampLifetimeMs),
    snapshotMeta: new MetaFile({ version: snapshot.version, length: snapshotBytes.length, hashes: { sha256: sha256(snapshotBytes) } }),
  });
  writeAtomic(join(dir, 'timestamp.json'), await signedBytes(timestamp, keys.timestamp));
  return { root: rootVersion, targets: targets.version, snapshot: snapshot.version, timestamp: timestamp.version };
}

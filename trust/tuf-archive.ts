// The TUF repository as a tar.gz for policy-controller's TrustRoot `repository.mirrorFS`: every file under a
// top-level `repository/` directory (the prefix policy-controller strips), metadata at its top and the targets in
// `repository/targets/`.
import { readdirSync } from 'node:fs';
import { create } from 'tar';

export const MIRROR_FS_PREFIX = 'repository';

export async function writeTufArchive(repositoryDir: string, file: string): Promise<void> {
  // Sorted entries and portable headers (no owner, user or group names): the archive depends only on the files.
  const entries = readdirSync(repositoryDir).filter((n) => !n.endsWith('.tmp')).sort();
  await create({ gzip: true, portable: true, cwd: repositoryDir, prefix: MIRROR_FS_PREFIX, file }, entries);
}

// A throwaway SoftHSM2 token directory (tests, benchmarks, and trying PKCS#11 keys without an HSM): SOFTHSM2_CONF
// points at a config in a temp dir whose tokendir is that dir; tokens are made with softhsm2-util. `softhsmMissing()` says why a suite must skip.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const run = promisify(execFile);

function onPath(cmd: string): boolean {
  return (process.env['PATH'] ?? '').split(':').some((d) => d && existsSync(join(d, cmd)));
}

export function softhsmMissing(): string | undefined {
  if (!existsSync(SOFTHSM_MODULE) || !onPath('softhsm2-util')) return 'softhsm2 not installed';
  try {
    createRequire(import.meta.url)('pkcs11js');
  } catch {
    return 'the optional dependency pkcs11js is not installed (it needs python3, make and g++ to build)';
  }
  return undefined;
}

export interface SoftHsm {
  readonly dir: string;
  initToken(label: string, pin: string): Promise<void>;
  importKey(pemPath: string, token: string, label: string, idHex: string, pin: string): Promise<void>;
  close(): Promise<void>;
}

/** Sets SOFTHSM2_CONF for this process (SoftHSM reads it at C_Initialize); close() restores it and removes the dir. */
export async function createSoftHsm(): Promise<SoftHsm> {
  const dir = await mkdtemp(join(tmpdir(), 'fulgor-softhsm-'));
  const conf = join(dir, 'softhsm2.conf');
  await writeFile(conf, `directories.tokendir = ${dir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  const previous = process.env['SOFTHSM2_CONF'];
  process.env['SOFTHSM2_CONF'] = conf;
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  return {
    dir,
    async initToken(label, pin) {
      await run('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', `so-${pin}`], { env });
    },
    async importKey(pemPath, token, label, idHex, pin) {
      await run('softhsm2-util', ['--import', pemPath, '--token', token, '--label', label, '--id', idHex, '--pin', pin], { env });
    },
    async close() {
      if (previous === undefined) delete process.env['SOFTHSM2_CONF'];
      else process.env['SOFTHSM2_CONF'] = previous;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

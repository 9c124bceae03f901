// `fulgor serve --workers N` as a real process group (the primary and its CA workers), for the tests that issue
// through one under load and then kill it, whole or in part: issuances on connections of their own (so that the
// cluster spreads them over the workers), the workers' pids, and what a file- or Redis-backed log holds afterwards
// checked against every certificate the CA returned.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { promisify } from 'node:util';
import { parseMerkleTreeLeaf, parseSctList, verifySct, type CtClient, type TreeHead } from '../../ct/index.js';
import { parse } from '../../lib/der.js';
import { parsePemBlocks } from '../../lib/pem.js';
import { findExtension, parseCertificate } from '../../lib/x509.js';
import { clientKey, v2Request } from './fulgor.js';
import { certificateSerial, loggedSerial } from './logged-serials.js';
import type { CaBody } from './response-body.js';
import { BIN, until } from './serve-process.js';

const SUB = 'repo:acme/app:ref:refs/heads/main';
const SCT_LIST_OID = '1.3.6.1.4.1.11129.2.4.2';

/**
 * One issuance on a connection of its own (or of `agent`'s). A connection the primary was handing to a worker as it
 * was killed is never answered (node:cluster leaves it open): like any client, give up after `timeoutMs`.
 */
export function issue(caUrl: string, token: string, timeoutMs = 20_000, agent: http.Agent | false = false): Promise<{ status: number; json: CaBody }> {
  const body = JSON.stringify(v2Request(token, clientKey(), SUB));
  return new Promise((resolve, reject) => {
    const req = http.request(`${caUrl}/api/v2/signingCert`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) });
        } catch (e) {
          reject(e);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(timeoutMs, () => req.destroy(new Error('no answer')));
    req.end(body);
  });
}

/** The leaf certificate (PEM) of a successful issuance. */
export const leafOf = (a: { json: CaBody }): string => a.json.signedCertificateEmbeddedSct.chain.certificates[0]!;

/** A development token for the development issuer of the server at `caUrl` (`fulgor dev-token`). */
export const devToken = async (keysDir: string, caUrl: string): Promise<string> =>
  (await promisify(execFile)(process.execPath, [BIN, 'dev-token', '--type', 'github', '--keys-dir', keysDir, '--ca-url', caUrl])).stdout.trim();

/** The pids of the CA workers that said they were ready. */
export const workerPids = (output: string): number[] => [...output.matchAll(/"msg":"CA worker ready","pid":(\d+)/g)].map((m) => Number(m[1]));

/** `pid` is still running (signal 0 checks without sending). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface ServeGroup {
  /** The primary; the leader of its own process group, which its workers join. */
  readonly child: ChildProcess;
  readonly caUrl: string;
  readonly ctUrl: string;
  readonly workers: number[];
  output(): string;
  /** Sends `signal` to the primary and every worker at once (kill(-pgid)), as systemd or a container runtime does. */
  killGroup(signal: NodeJS.Signals): void;
}

/** Spawns `fulgor serve --port 0 --ct-port 0 ...args` (args include --workers) in a process group of its own. */
export async function startServeGroup(args: string[]): Promise<ServeGroup> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--ct-port', '0', ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const killGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // the whole group is gone already
    }
  };
  const early = new Promise<never>((_, reject) => child.once('exit', (code, signal) => reject(new Error(`serve exited (${signal ?? code}) before listening: ${out}`))));
  try {
    const [caUrl, ctUrl] = await Promise.race([until('serve to listen', () => /Fulgor CA listening on (\S+) \(CT log (\S+)\)/.exec(out)?.slice(1, 3), 30_000), early]);
    return { child, caUrl: caUrl!, ctUrl: ctUrl!, workers: workerPids(out), output: () => out, killGroup };
  } catch (e) {
    killGroup('SIGKILL');
    throw e;
  }
}

/** Every entry of the log, as get-entries serves it (in the pages the log gives). */
export async function allEntries(client: CtClient, size: number): Promise<Array<{ leafInput: Buffer; extraData: Buffer }>> {
  const entries: Array<{ leafInput: Buffer; extraData: Buffer }> = [];
  while (entries.length < size) entries.push(...(await client.getEntries(entries.length, size - 1)));
  return entries;
}

/**
 * What a log must hold after the CA returned `certificates` (PEM): each one's precertificate, once, in an entry its
 * embedded SCT signs (so no SCT was handed out for an entry the log does not have), and no two entries for one
 * serial. `entries` are the log's entries (allEntries) at `sth`; `spki` is the log's key. Returns how many entries
 * no returned certificate accounts for (issuances cut off after their entry was durable).
 */
export function assertEveryCertificateLogged(certificates: readonly string[], entries: ReadonlyArray<{ leafInput: Buffer }>, sth: TreeHead, spki: Buffer): number {
  assert.equal(entries.length, sth.treeSize);
  const bySerial = new Map<bigint, ReturnType<typeof parseMerkleTreeLeaf>>();
  for (const e of entries) {
    const serial = loggedSerial(e.leafInput);
    assert.ok(!bySerial.has(serial), `serial ${serial.toString(16)} logged twice`);
    bySerial.set(serial, parseMerkleTreeLeaf(e.leafInput));
  }
  for (const pem of certificates) {
    const leaf = parseCertificate(parsePemBlocks(pem)[0]!.der);
    const serial = certificateSerial(pem);
    const logged = bySerial.get(serial);
    assert.ok(logged, `the returned certificate ${serial.toString(16)} is logged`);
    const [sct] = parseSctList(parse(findExtension(leaf, SCT_LIST_OID)!.value).content);
    assert.equal(logged.timestamp, sct!.timestamp, 'the embedded SCT is for the logged entry');
    assert.ok(verifySct(sct!, logged.entry, spki), 'the embedded SCT signs the logged entry');
  }
  return entries.length - certificates.length;
}

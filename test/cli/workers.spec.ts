// `fulgor serve --workers 2` as a real process (server/cluster.ts): a primary owning the companion log (file store)
// and two CA workers sharing the CA port. Every certificate returned has its precertificate in the one log; sigstore-js
// signs through it and verifies with the SCT required; /metrics sums the workers; the audit log has one writer; SIGHUP reloads every worker; a worker killed with SIGKILL in
// the middle of issuances loses no returned SCT and is replaced. (SIGTERM with requests in flight: graceful-stop.spec.ts;
// the primary or the whole group killed with SIGKILL under load: test/integration/ct-crash-workers.spec.ts.)
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { certificateSerial, loggedSerials } from '../helpers/logged-serials.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';
import { scrape, sum } from '../helpers/prometheus.js';
import type { CaBody } from '../helpers/response-body.js';
import { BIN, exited, startServe, stopProcess, until } from '../helpers/serve-process.js';
import { devToken, issue, leafOf, workerPids } from '../helpers/workers-process.js';
import { exactly, signBlobThrough, verifierFor } from '../helpers/sigstore-js.js';

const run = promisify(execFile);
const GITHUB_SAN = 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main';

const count = (text: string, re: RegExp) => text.match(new RegExp(re.source, 'g'))?.length ?? 0;

describe('cli: serve --workers 2 (one CT log in the primary, CA workers)', function () {
  this.timeout(90_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fulgor-workers-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('issues through both workers: every returned certificate is in the one log, and sigstore-js verifies a bundle', async () => {
    const keysDir = join(dir, 'keys');
    const ctDir = join(dir, 'ct-issue');
    const { child, caUrl, output } = await startServe(['--dev', '--keys-dir', keysDir, '--ct-storage', `file:${ctDir}`, '--workers', '2']);
    let answers: Array<{ status: number; json: CaBody }>;
    try {
      assert.equal(count(output(), /"msg":"CA worker ready"/), 2, output());
      const token = await devToken(keysDir, caUrl);
      answers = await Promise.all(Array.from({ length: 40 }, () => issue(caUrl, token)));
      assert.deepEqual(answers.map((a) => a.status), answers.map(() => 200));
      // /metrics, whichever worker answers it, counts every worker's issuances (one build info).
      for (let i = 0; i < 3; i++) {
        const samples = await scrape(caUrl);
        assert.equal(sum(samples, 'fulgor_certificates_issued_total'), answers.length);
        assert.equal(sum(samples, 'fulgor_build_info'), 1);
      }

      // sigstore-js: certificate and timestamp from the workers, verified against what `fulgor trust export` writes.
      const trust = join(dir, 'trust');
      await run(process.execPath, [BIN, 'trust', 'export', '--keys-dir', keysDir, '--out', trust, '--ca-url', caUrl, '--tsa-url', `${caUrl}/api/v1/timestamp`]);
      const root = JSON.parse(readFileSync(join(trust, 'trusted_root.json'), 'utf8'));
      const blob = Buffer.from('built by two workers');
      const bundle = await signBlobThrough(token, blob, caUrl, `${caUrl}/api/v1/timestamp`);
      const signer = verifierFor(root).verify(
        (await import('@sigstore/verify')).toSignedEntity(bundle, blob),
        { subjectAlternativeName: exactly(GITHUB_SAN), extensions: { issuer: `${caUrl}/dev-oidc/github` } },
      );
      assert.equal(signer.identity?.subjectAlternativeName, GITHUB_SAN);
      const stopped = exited(child);
      child.kill('SIGTERM');
      assert.deepEqual(await stopped, { code: 0, signal: null }, output());
    } finally {
      await stopProcess(child);
    }
    const logged = await loggedSerials(ctDir);
    assert.equal(logged.size, answers.length + 1, 'the 40 certificates and the sigstore-js one, nothing else');
    for (const a of answers) assert.ok(logged.serials.has(certificateSerial(leafOf(a))), 'each returned certificate is logged');
  });

  it('SIGTERM to the whole process group (systemd\'s KillMode=control-group): the primary drains the workers, none is replaced, exit 0', async () => {
    const keysDir = join(dir, 'keys');
    const ctDir = join(dir, 'ct-group');
    // Its own process group (detached), so that one kill(-pid) reaches the primary and every worker at once.
    const child = spawn(process.execPath, [BIN, 'serve', '--dev', '--port', '0', '--ct-port', '0', '--keys-dir', keysDir, '--ct-storage', `file:${ctDir}`, '--workers', '2'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    let answers: Array<{ status: number; json: CaBody }>;
    let agent: http.Agent | undefined;
    try {
      const caUrl = await until('serve to listen', () => /Fulgor CA listening on (\S+)/.exec(out)?.[1], 30_000);
      const token = await devToken(keysDir, caUrl);
      // Every worker has the development issuer's keys (served on the CA port, which closes on SIGTERM) before the stop.
      for (let i = 0; i < 4; i++) assert.equal((await issue(caUrl, token)).status, 200);
      // The requests go on connections the workers have already accepted (a connection still waiting to be accepted
      // when the listeners close is reset, with or without workers).
      agent = new http.Agent({ keepAlive: true, maxSockets: 40 });
      const warm = agent;
      await Promise.all(Array.from({ length: 40 }, () => new Promise((r, j) => http.get(`${caUrl}/healthz`, { agent: warm }, (res) => res.resume().on('end', r)).on('error', j))));
      const inFlight = Array.from({ length: 40 }, () => issue(caUrl, token, 20_000, warm));
      await Promise.race(inFlight);
      const stopped = exited(child);
      process.kill(-child.pid!, 'SIGTERM');
      answers = await Promise.all(inFlight);
      assert.deepEqual(await stopped, { code: 0, signal: null }, out);
    } finally {
      agent?.destroy();
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    }
    assert.deepEqual(answers.map((a) => a.status), answers.map(() => 200), out);
    assert.doesNotMatch(out, /starting another/, 'no worker was taken for crashed');
    const logged = await loggedSerials(ctDir);
    for (const a of answers) assert.ok(logged.serials.has(certificateSerial(leafOf(a))));
  });

  describe('with an identity config', () => {
    let first: TestIssuer, second: TestIssuer;
    before(async () => {
      [first, second] = await Promise.all([startIssuer('/first'), startIssuer('/second')]);
    });
    after(async () => Promise.all([first?.close(), second?.close()]));
    const configOf = (...issuers: TestIssuer[]) =>
      JSON.stringify({ OIDCIssuers: Object.fromEntries(issuers.map((i) => [i.url, { IssuerURL: i.url, ClientID: 'sigstore', Type: 'github-workflow' }])) });

    it('SIGHUP at the primary reloads every worker: an issuer added to the config is trusted by all of them', async () => {
      const config = join(dir, 'identity.json');
      writeFileSync(config, configOf(first));
      const { child, caUrl, output } = await startServe(['--allow-dev-keys', '--keys-dir', join(dir, 'keys'), '--config-path', config, '--workers', '2']);
      try {
        const token = await second.mint('github');
        const before = await Promise.all(Array.from({ length: 6 }, () => issue(caUrl, token)));
        assert.ok(before.every((a) => a.status !== 200), 'the second issuer is not trusted yet');
        writeFileSync(config, configOf(first, second));
        child.kill('SIGHUP');
        await until('both workers to reload', () => (count(output(), /"msg":"identity config reloaded"/) === 2 ? true : undefined));
        // Fresh connections are spread over the workers (round robin): every one of them trusts the new issuer.
        const after = await Promise.all(Array.from({ length: 12 }, () => issue(caUrl, token)));
        assert.deepEqual(after.map((a) => a.status), after.map(() => 200), output());
      } finally {
        await stopProcess(child);
      }
    });
  });

  it('--audit-log FILE has one writer, the primary: exactly one issued line per certificate, SIGUSR1 rotation loses none, /metrics counts its batches', async () => {
    const keysDir = join(dir, 'keys');
    const auditPath = join(dir, 'audit.log');
    const { child, caUrl, output } = await startServe(['--dev', '--keys-dir', keysDir, '--workers', '2', '--audit-log', auditPath]);
    const lines = (path: string) =>
      readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    try {
      const token = await devToken(keysDir, caUrl);
      const first = await Promise.all(Array.from({ length: 20 }, () => issue(caUrl, token)));
      const refused = await issue(caUrl, 'not.a-jwt');
      assert.equal(refused.status, 400);
      // Requests in flight across logrotate's rename and the signal to the primary.
      const during = Promise.all(Array.from({ length: 10 }, () => issue(caUrl, token)));
      renameSync(auditPath, `${auditPath}.1`);
      child.kill('SIGUSR1');
      await until('the reopened audit log', () => (existsSync(auditPath) ? true : undefined));
      const answers = [...first, ...(await during), ...(await Promise.all(Array.from({ length: 5 }, () => issue(caUrl, token))))];
      assert.deepEqual(answers.map((a) => a.status), answers.map(() => 200), output());
      const all = await until('the refusal line', () => {
        const l = [...lines(`${auditPath}.1`), ...lines(auditPath)];
        return l.some((x) => x['reason'] === 'MALFORMED_TOKEN') ? l : undefined;
      });
      assert.equal(all.filter((l) => l['event'] === 'issued').length, answers.length, 'one issued line per certificate, nothing more');
      for (const a of answers) {
        const serial = certificateSerial(leafOf(a)).toString(16).padStart(2, '0');
        assert.equal(all.filter((l) => l['event'] === 'issued' && BigInt(`0x${String(l['serial'])}`).toString(16).padStart(2, '0') === serial).length, 1);
      }
      assert.ok(lines(auditPath).length > 0, 'lines after the signal went to the new file');
      // The primary writes the batches: its audit metrics are in the sum /metrics gives, whichever worker answers.
      for (let i = 0; i < 3; i++) {
        const samples = await scrape(caUrl);
        assert.equal(sum(samples, 'fulgor_audit_lines_total'), all.length, 'every line written, counted once');
        assert.equal(sum(samples, 'fulgor_certificates_issued_total'), answers.length);
        const batches = sum(samples, 'fulgor_audit_batch_duration_seconds_count');
        assert.ok(batches >= 1 && batches <= all.length, `${batches} batches for ${all.length} lines`);
        assert.equal(sum(samples, 'fulgor_audit_batch_duration_seconds_bucket', { le: '+Inf' }), batches);
        assert.equal(sum(samples, 'fulgor_audit_failures_total'), 0);
        assert.equal(sum(samples, 'fulgor_build_info'), 1);
      }
    } finally {
      await stopProcess(child);
    }
  });

  it('rate limits kept in memory are one budget for the server (the primary\'s buckets), not one per worker', async () => {
    const keysDir = join(dir, 'keys');
    const { child, caUrl, output } = await startServe(['--dev', '--keys-dir', keysDir, '--workers', '2', '--rate-limit-per-identity', '3/hour']);
    try {
      const token = await devToken(keysDir, caUrl);
      // Fresh connections: both workers take some; per-worker buckets would let up to 6 through.
      const statuses = (await Promise.all(Array.from({ length: 10 }, () => issue(caUrl, token)))).map((a) => a.status).sort();
      assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429, 429, 429, 429, 429], output());
    } finally {
      await stopProcess(child);
    }
  });

  it('a worker killed (SIGKILL) during issuances loses no returned SCT, and the primary starts another', async () => {
    const keysDir = join(dir, 'keys');
    const ctDir = join(dir, 'ct-kill');
    const { child, caUrl, output } = await startServe(['--dev', '--keys-dir', keysDir, '--ct-storage', `file:${ctDir}`, '--workers', '2']);
    const returned: string[] = [];
    try {
      const token = await devToken(keysDir, caUrl);
      const pids = workerPids(output());
      assert.equal(pids.length, 2);
      const keep = (a: { status: number; json: CaBody }) => {
        if (a.status === 200) returned.push(leafOf(a));
      };
      // Warm both workers first (round-robin): each discovers the development issuer, whose JWKS is served on this same
      // port. A discovery fetch handed to the worker being killed would time out and put the issuer in its failure
      // backoff, refusing the requests after the kill for a reason that has nothing to do with what is tested here.
      for (let i = 0; i < 6; i++) {
        const warm = await issue(caUrl, token);
        assert.equal(warm.status, 200, output());
        keep(warm);
      }
      const inFlight = Array.from({ length: 60 }, () => issue(caUrl, token, 5_000).then(keep, () => undefined)); // the killed worker's connections fail
      await new Promise((r) => setTimeout(r, 50));
      process.kill(pids[0]!, 'SIGKILL');
      await Promise.all(inFlight);
      await until('a new worker', () => (count(output(), /"msg":"CA worker ready"/) === 3 ? true : undefined));
      assert.match(output(), /"msg":"a CA worker exited; starting another"/);
      const after = await Promise.all(Array.from({ length: 10 }, () => issue(caUrl, token)));
      assert.deepEqual(after.map((a) => a.status), after.map(() => 200), output());
      after.forEach(keep);
      const stopped = exited(child);
      child.kill('SIGTERM');
      assert.deepEqual(await stopped, { code: 0, signal: null }, output());
    } finally {
      await stopProcess(child);
    }
    const logged = await loggedSerials(ctDir);
    assert.ok(returned.length >= 10);
    for (const pem of returned) assert.ok(logged.serials.has(certificateSerial(pem)), 'every returned certificate is logged');
  });
});

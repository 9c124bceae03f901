// The audit log and the metrics of a real `fulgor serve` process (--audit-log FILE, companion CT log in memory):
// every issued certificate has exactly one `issued` line, found by its fingerprint, whose ct_index finds that
// certificate's precertificate in the CT log; refusals from every stage get their line with what was known, never
// the token; SIGUSR1 after a rename (logrotate) moves the writing to a new file and loses no line; `-` writes to
// stdout. Then both ports' /metrics are scraped and parsed, and the counters must have moved by exactly what was sent.
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { createMissingDevKeys } from '../../ca/dev-keys.js';
import { createCtClient, parseMerkleTreeLeaf, parseSctList, verifySct } from '../../ct/index.js';
import { parse } from '../../lib/der.js';
import { parsePemBlocks } from '../../lib/pem.js';
import { findExtension, parseCertificate } from '../../lib/x509.js';
import { clientKey, v2Request } from '../helpers/fulgor.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';
import { has, scrape, sum } from '../helpers/prometheus.js';
import type { SigningBody } from '../helpers/response-body.js';
import { spawnServe, stopProcess, until } from '../helpers/serve-process.js';

const GITHUB_SUB = 'repo:acme/app:ref:refs/heads/main';
const SCT_LIST_OID = '1.3.6.1.4.1.11129.2.4.2';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Answer {
  readonly status: number;
  readonly requestId: string | null;
  readonly reason?: string;
  /** [leaf, issuing CA, ..., root], DER, on 200. */
  readonly chain?: Buffer[];
}

type Line = Record<string, unknown>;
const readLines = (path: string): Line[] =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Line)
    : [];

async function post(caUrl: string, body: unknown): Promise<Answer> {
  const res = await fetch(`${caUrl}/api/v2/signingCert`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const requestId = res.headers.get('x-request-id');
  const json = (await res.json()) as SigningBody & { details?: { reason?: string }[] };
  if (res.status !== 200) return { status: res.status, requestId, ...(json.details?.[0]?.reason ? { reason: json.details[0].reason } : {}) };
  return { status: 200, requestId, chain: json.signedCertificateEmbeddedSct.chain.certificates.map((p) => parsePemBlocks(p)[0]!.der) };
}

describe('cli: fulgor serve --audit-log and /metrics on both ports', function () {
  this.timeout(120_000);
  let work: string;
  let keys: string;
  let config: string;
  let github: TestIssuer;
  let stranger: TestIssuer;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'fulgor-audit-'));
    keys = join(work, 'keys');
    await createMissingDevKeys(keys);
    [github, stranger] = await Promise.all([startIssuer('/gh'), startIssuer('/stranger')]);
    config = join(work, 'identity.json');
    writeFileSync(
      config,
      JSON.stringify({
        OIDCIssuers: {
          [github.url]: { IssuerURL: github.url, ClientID: 'sigstore', Type: 'github-workflow', Policy: [{ Name: 'no-sandbox', Deny: { repository: ['acme/sandbox'] } }] },
        },
      }),
    );
  });
  after(async () => {
    await Promise.all([github.close(), stranger.close()]);
    rmSync(work, { recursive: true, force: true });
  });

  describe('with --audit-log FILE', () => {
    let child: ChildProcess;
    let output: () => string;
    let caUrl: string;
    let ctUrl: string;
    let auditPath: string;
    const N = 12;
    const issued: Answer[] = [];
    const refusals: Record<string, { answer: Answer; token?: string }> = {};

    before(async () => {
      auditPath = join(work, 'audit.log');
      // One process (--workers 1): the counts below are one CA's (each worker fetches discovery itself, and with workers
      // the primary writes the audit batches, which the CA port's metrics do not count); test/cli/workers.spec.ts covers workers.
      const p = spawnServe(['--keys-dir', keys, '--allow-dev-keys', '--config-path', config, '--audit-log', auditPath, '--workers', '1']);
      child = p.child;
      output = p.output;
      caUrl = await p.ready;
      ctUrl = /\(CT log (\S+)\)/.exec(output())![1]!;
      // N at once (the audit lines and the log entries are written in batches), then one refusal from each stage.
      const answers = await Promise.all(Array.from({ length: N }, async () => post(caUrl, v2Request(await github.mint('github'), clientKey(), GITHUB_SUB))));
      issued.push(...answers);
      const sandbox = await github.mint('github', { claims: { repository: 'acme/sandbox' } });
      const unknown = await stranger.mint('github');
      const goodToken = await github.mint('github');
      const wrongProof = v2Request(goodToken, clientKey(), GITHUB_SUB);
      wrongProof.publicKeyRequest.publicKey.content = clientKey().pem; // the proof was made with another key
      refusals['MALFORMED_TOKEN'] = { answer: await post(caUrl, v2Request('not.a-jwt', clientKey(), GITHUB_SUB)), token: 'not.a-jwt' };
      refusals['UNKNOWN_ISSUER'] = { answer: await post(caUrl, v2Request(unknown, clientKey(), GITHUB_SUB)), token: unknown };
      refusals['POLICY_DENIED'] = { answer: await post(caUrl, v2Request(sandbox, clientKey(), GITHUB_SUB)), token: sandbox };
      refusals['INVALID_PROOF_OF_POSSESSION'] = { answer: await post(caUrl, wrongProof), token: goodToken };
      refusals['MALFORMED_JSON'] = { answer: await post(caUrl, '{"credentials": ') };
    });
    after(() => stopProcess(child));

    it('answers every request with an X-Request-Id, issues N and refuses each stage with its reason', () => {
      assert.deepEqual(issued.map((a) => a.status), issued.map(() => 200), output());
      for (const [reason, { answer }] of Object.entries(refusals)) assert.equal(answer.reason, reason, `${reason}: ${JSON.stringify(answer)}`);
      const ids = [...issued, ...Object.values(refusals).map((r) => r.answer)].map((a) => a.requestId);
      for (const id of ids) assert.match(id ?? '', /^[0-9a-f-]{36}$/);
      assert.equal(new Set(ids).size, ids.length, 'one id per request');
    });

    it('writes exactly one issued line per certificate, whose ct_index finds its precertificate in the CT log', async () => {
      const lines = await until('the audit lines', () => {
        const l = readLines(auditPath);
        return l.length >= N + Object.keys(refusals).length ? l : undefined;
      });
      const issuedLines = lines.filter((l) => l['event'] === 'issued');
      assert.equal(issuedLines.length, N);
      const ct = createCtClient({ url: ctUrl });
      const ctSpki = parsePemBlocks(readFileSync(join(keys, 'ctlog.pub.pem'), 'utf8'))[0]!.der;
      for (const answer of issued) {
        const leafDer = answer.chain![0]!;
        const leaf = parseCertificate(leafDer);
        const serial = new X509Certificate(leafDer).serialNumber.toLowerCase();
        const mine = issuedLines.filter((l) => l['fingerprint'] === sha256(leafDer));
        assert.equal(mine.length, 1, 'exactly one issued line for the certificate');
        const line = mine[0]!;
        assert.equal(line['request_id'], answer.requestId);
        assert.equal(line['outcome'], 'success');
        assert.equal(line['reason'], null);
        assert.equal(line['issuer'], github.url);
        assert.equal(line['issuer_verified'], true);
        assert.equal(line['san'], 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main');
        const claims = line['claims'] as Record<string, string>;
        assert.equal(claims['sourceRepositoryUri'], 'https://github.com/acme/app');
        assert.equal(claims['sourceRepositoryRef'], 'refs/heads/main');
        assert.equal(claims['githubWorkflowRepository'], 'acme/app');
        assert.equal(claims['subject'], GITHUB_SUB);
        assert.equal(line['serial'], serial);
        assert.equal(line['public_key_fingerprint'], sha256(leaf.spki));
        assert.ok(!Number.isNaN(Date.parse(line['time'] as string)));

        // The SCT embedded in the certificate is the one for the log entry at ct_index.
        const embedded = parseSctList(parse(findExtension(leaf, SCT_LIST_OID)!.value).content)[0]!;
        assert.equal(line['sct_timestamp'], embedded.timestamp);
        const index = line['ct_index'] as number;
        assert.ok(Number.isSafeInteger(index));
        const [entry] = await ct.getEntries(index, index);
        const logged = parseMerkleTreeLeaf(entry!.leafInput);
        assert.equal(logged.timestamp, embedded.timestamp);
        assert.equal(logged.entry.type, 'precert');
        assert.ok(verifySct(embedded, logged.entry, ctSpki), 'the embedded SCT signs the entry at ct_index');
        // The entry's precertificate (extra_data's first certificate) is this certificate's: same serial and key.
        const precertDer = entry!.extraData.subarray(3, 3 + entry!.extraData.readUIntBE(0, 3));
        assert.equal(new X509Certificate(precertDer).serialNumber.toLowerCase(), serial);
        assert.ok(parseCertificate(precertDer).spki.equals(leaf.spki));
      }
    });

    it('writes a line for every refusal, with what was known at that stage, and never the token', () => {
      const lines = readLines(auditPath);
      const text = readFileSync(auditPath, 'utf8');
      const byId = (id: string | null) => lines.filter((l) => l['request_id'] === id);
      for (const [reason, { answer, token }] of Object.entries(refusals)) {
        const mine = byId(answer.requestId);
        assert.equal(mine.length, 1, reason);
        const line = mine[0]!;
        assert.equal(line['reason'], reason);
        assert.equal(line['event'], reason === 'POLICY_DENIED' ? 'policy_denied' : 'refused');
        assert.equal(line['outcome'], 'failure');
        assert.equal(line['serial'], null);
        assert.equal(line['fingerprint'], null);
        assert.equal(line['ct_index'], null);
        if (token) {
          assert.ok(!text.includes(token), `the ${reason} token is not in the audit log`);
          assert.ok(!text.includes(token.split('.')[2] ?? token), 'nor its signature');
        }
      }
      assert.equal(byId(refusals['MALFORMED_TOKEN']!.answer.requestId)[0]!['issuer'], null);
      const unknown = byId(refusals['UNKNOWN_ISSUER']!.answer.requestId)[0]!;
      assert.equal(unknown['issuer'], stranger.url);
      assert.equal(unknown['issuer_verified'], false);
      const denied = byId(refusals['POLICY_DENIED']!.answer.requestId)[0]!;
      assert.equal(denied['issuer'], github.url);
      assert.equal((denied['claims'] as Record<string, string>)['githubWorkflowRepository'], 'acme/sandbox');
      const proof = byId(refusals['INVALID_PROOF_OF_POSSESSION']!.answer.requestId)[0]!;
      assert.equal(proof['issuer_verified'], true);
      assert.equal(proof['san'], 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main');
      assert.equal(proof['public_key_fingerprint'], null, 'the key was refused before it was certified');
      // The server's own log lines carry the same request ids.
      assert.ok(output().includes(refusals['POLICY_DENIED']!.answer.requestId!));
      assert.ok(output().includes(issued[0]!.requestId!));
      for (const { token } of Object.values(refusals)) if (token) assert.ok(!output().includes(token), 'no token in the server log');
    });

    it('counts what was sent in the CA port /metrics and the CT port /metrics, and both /healthz answer 200', async () => {
      const ca = await scrape(caUrl);
      const refused = Object.keys(refusals).length;
      const signing = { route: '/api/v2/signingCert', method: 'POST' };
      assert.equal(sum(ca, 'fulgor_http_requests_total', { ...signing, status: '200' }), N);
      assert.equal(sum(ca, 'fulgor_http_requests_total', signing), N + refused);
      assert.equal(sum(ca, 'fulgor_http_request_duration_seconds_count', { ...signing, status: '200' }), N);
      assert.equal(sum(ca, 'fulgor_http_request_duration_seconds_count', { ...signing, status: '403' }), 1);
      assert.equal(sum(ca, 'fulgor_certificates_issued_total', { issuer: github.url }), N);
      for (const reason of Object.keys(refusals)) assert.equal(sum(ca, 'fulgor_refusals_total', { reason }), 1, reason);
      assert.equal(sum(ca, 'fulgor_refusals_total'), refused);
      assert.equal(sum(ca, 'fulgor_policy_denied_total', { issuer: github.url, rule: 'no-sandbox' }), 1);
      assert.equal(sum(ca, 'fulgor_oidc_fetches_total', { issuer: github.url, kind: 'discovery', outcome: 'ok' }), 1);
      assert.ok(sum(ca, 'fulgor_oidc_fetches_total', { issuer: github.url, kind: 'jwks', outcome: 'ok' }) >= 1);
      assert.equal(sum(ca, 'fulgor_oidc_fetches_total', { outcome: 'error' }), 0);
      assert.equal(sum(ca, 'fulgor_ct_submission_duration_seconds_count', { outcome: 'ok' }), N);
      assert.equal(sum(ca, 'fulgor_ct_submission_failures_total'), 0);
      assert.equal(sum(ca, 'fulgor_audit_lines_total'), N + refused);
      const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
      assert.ok(has(ca, 'fulgor_build_info', { version: pkg.version, node_version: process.version }));

      const ctRoot = ctUrl.replace(/\/+$/, '');
      const ct = await scrape(ctRoot);
      assert.equal(sum(ct, 'fulgor_ct_tree_size'), N);
      assert.equal(sum(ct, 'fulgor_ct_append_duration_seconds_count'), N);
      assert.equal(sum(ct, 'fulgor_ct_batch_size_sum'), N, 'every entry in one batch or another');
      assert.ok(sum(ct, 'fulgor_ct_batch_size_count') <= N);
      assert.equal(sum(ct, 'fulgor_ct_store_errors_total'), 0);
      assert.ok(has(ct, 'fulgor_ct_sth_age_seconds'));
      // The CA hands its companion log the chain by a function call: no add-pre-chain over HTTP.
      assert.equal(sum(ct, 'fulgor_ct_http_requests_total', { route: '/ct/v1/add-pre-chain' }), 0);

      for (const url of [caUrl, ctRoot]) {
        const res = await fetch(`${url}/healthz`);
        assert.equal(res.status, 200);
        assert.deepEqual(await res.json(), { status: 'SERVING' });
      }
      const again = await scrape(caUrl);
      assert.equal(sum(again, 'fulgor_http_requests_total', { route: '/healthz', method: 'GET', status: '200' }), 1);
      assert.equal(sum(again, 'fulgor_http_requests_total', { route: '/metrics', method: 'GET', status: '200' }), 1);
    });

    it('reopens the file on SIGUSR1 after a rename: new lines go to the new file, none is lost', async () => {
      const rotated = `${auditPath}.1`;
      const before = readLines(auditPath).length;
      const send = (n: number) => Promise.all(Array.from({ length: n }, async () => post(caUrl, v2Request(await github.mint('github'), clientKey(), GITHUB_SUB))));
      // Requests in flight across the rename and the signal.
      const during = send(8);
      renameSync(auditPath, rotated);
      child.kill('SIGUSR1');
      await until('the reopened audit log', () => (existsSync(auditPath) ? true : undefined));
      const afterwards = await send(4);
      const answers = [...(await during), ...afterwards];
      assert.deepEqual(answers.map((a) => a.status), answers.map(() => 200), output());
      const oldLines = readLines(rotated);
      const newLines = readLines(auditPath);
      assert.equal(oldLines.length + newLines.length, before + answers.length, 'every line in one file or the other');
      for (const a of answers) {
        const fp = sha256(a.chain![0]!);
        assert.equal([...oldLines, ...newLines].filter((l) => l['fingerprint'] === fp).length, 1);
      }
      for (const a of afterwards) assert.equal(newLines.filter((l) => l['fingerprint'] === sha256(a.chain![0]!)).length, 1, 'after the signal: the new file');
      assert.equal(child.exitCode, null, 'SIGUSR1 did not stop the server');
    });
  });

  it('with --audit-log - writes the lines to stdout', async () => {
    const p = spawnServe(['--keys-dir', keys, '--allow-dev-keys', '--config-path', config, '--audit-log', '-']);
    let stdout = '';
    p.child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    try {
      const caUrl = await p.ready;
      const answer = await post(caUrl, v2Request(await github.mint('github'), clientKey(), GITHUB_SUB));
      assert.equal(answer.status, 200, p.output());
      const fp = sha256(answer.chain![0]!);
      await until('the issued line on stdout', () => (stdout.includes(fp) ? true : undefined));
      const line = stdout.split('\n').find((l) => l.includes(fp))!;
      assert.equal((JSON.parse(line) as Line)['event'], 'issued');
      assert.equal((JSON.parse(line) as Line)['request_id'], answer.requestId);
    } finally {
      await stopProcess(p.child);
    }
  });
});

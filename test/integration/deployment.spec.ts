// The deployment files: Dockerfile, docker-compose.yml (development) and compose.prod.yml (production). No container
// engine can pull base images on the machine where Fulgor is developed, so the files are read (their security
// properties asserted) and the commands they run are run as processes with the image's paths mapped onto temp dirs:
// the image's dist/ compiled by the Dockerfile's own tsc line, its CMD as the unprivileged user and its HEALTHCHECK,
// the development stack (keys, Redis, CT log on Redis, --dev CA) issuing a certificate, and the production stack
// (Redis with the password from a secret file, the CT log on it, the CA from production keys and identity config).
// With FULGOR_IMAGE_TEST=1 it also builds the image with podman (on base images deploy/standin-base-images.sh makes
// where Docker Hub is unreachable) and runs it.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { fulgor } from '../helpers/cli-process.js';
import {
  execForm,
  freePort,
  fulgorArgs,
  FULGOR_JS,
  mapForHost,
  publishedHost,
  readCompose,
  readDockerfile,
  type ComposeFile,
  type ComposeService,
  type PathMap,
} from '../helpers/deployment-files.js';
import { clientKey, v2Request } from '../helpers/fulgor.js';
import { writeProductionKeysDir } from '../helpers/production-keys.js';
import { exited, stopProcess, until } from '../helpers/serve-process.js';

const ROOT = process.cwd();
const dockerfile = readDockerfile(join(ROOT, 'Dockerfile'));
const dev = readCompose(join(ROOT, 'docker-compose.yml'));
const prod = readCompose(join(ROOT, 'compose.prod.yml'));
const ops = (op: string, stage?: number) => dockerfile.instructions.filter((i) => i.op === op && (stage === undefined || i.stage === stage));
const lastStage = dockerfile.stages - 1;
const lastOp = (op: string) => ops(op, lastStage).at(-1)?.args;
const commandOf = (s: ComposeService): string[] => {
  assert.ok(Array.isArray(s.command), `a command in exec form: ${JSON.stringify(s.command)}`);
  return s.command;
};
/** Services built from the Dockerfile (Fulgor's), with their fulgor arguments. */
const fulgorServices = (f: ComposeFile) =>
  Object.entries(f.services)
    .filter(([, s]) => s.build !== undefined)
    .map(([name, s]) => ({ name, service: s, args: fulgorArgs(commandOf(s)) }));
const healthcheckCmd = dockerfile.instructions.find((i) => i.op === 'HEALTHCHECK' && i.stage === lastStage);
/** The HEALTHCHECK's command (exec form). */
const imageHealthcheck = execForm((healthcheckCmd?.args ?? '').replace(/^.*?\bCMD\s+/, ''));
const imageCmd = execForm(lastOp('CMD') ?? '');
const imageWorkdir = lastOp('WORKDIR') as string;
/** A compose health check test array: CMD node /app/deploy/healthcheck.mjs URL. */
const composeHealthcheck = (s: ComposeService): string[] => {
  const test = s.healthcheck?.test;
  assert.ok(Array.isArray(test) && test[0] === 'CMD', `a health check in exec form: ${JSON.stringify(test)}`);
  return test.slice(1);
};
/** deploy/fulgor.service's ExecStart: node itself runs fulgor (no npm, no npx); its fulgor arguments. */
function systemdExecStart(): string[] {
  const unit = readFileSync(join(ROOT, 'deploy/fulgor.service'), 'utf8').replace(/\\\n\s*/g, ' ');
  const words = (/^ExecStart=(.*)$/m.exec(unit)?.[1] ?? '').trim().split(/\s+/);
  assert.deepEqual(words.slice(0, 2), ['/usr/bin/node', '/opt/fulgor/dist/bin/fulgor.js'], 'ExecStart runs node dist/bin/fulgor.js');
  assert.match(unit, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
  assert.match(unit, /^TimeoutStopSec=(\d+)$/m);
  return words.slice(2);
}
const flagValue = (args: readonly string[], name: string) => args[args.indexOf(name) + 1];

// The parts that need root (to run as the image's user) or redis-server skip without them, saying so.
const isRoot = process.getuid?.() === 0;
const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
const SERVICE_UID = 1000;

describe('deployment files (Dockerfile, docker-compose.yml, compose.prod.yml)', function () {
  this.timeout(60_000);

  describe('Dockerfile', () => {
    it('builds in stages from node images pinned by version: dev dependencies to build, production ones to run', () => {
      assert.ok(dockerfile.stages >= 2, 'a multi-stage build');
      for (const from of ops('FROM')) {
        const image = (from.args.split(/\s+/)[0] as string).replace(/\$\{(\w+)\}/g, (_, n: string) => dockerfile.args[n] ?? `<unset ${n}>`);
        assert.match(image, /^node:\d+\.\d+\.\d+-bookworm(-slim)?$/, `pinned: FROM ${from.args}`);
      }
      const build = ops('RUN', 0).map((r) => r.args).join(' && ');
      assert.match(build, /npm ci (?![^&]*--omit=dev)/, 'the build stage installs dev dependencies (tsc)');
      assert.match(build, /npm prune --omit=dev/, 'then drops them');
      const copies = ops('COPY', lastStage).map((c) => c.args);
      assert.ok(copies.some((c) => /^--from=build \/app\/node_modules /.test(c)), 'runtime takes the pruned node_modules');
      assert.ok(copies.some((c) => /^--from=build \/app\/dist /.test(c)), 'runtime takes dist/');
      assert.ok(!ops('RUN', lastStage).some((r) => /npm (ci|install)/.test(r.args)), 'nothing installed from npm at runtime');
    });

    it('keeps test/, bench/, keys, data and secrets out of the build context', () => {
      const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
      for (const p of ['test', 'bench', 'node_modules', 'dist', '.git', 'keys-dev', 'secrets', 'production', 'ct-data', '*.pem', '.env'])
        assert.ok(ignored.includes(p), `.dockerignore lists ${p}`);
    });

    it('runs as the node user with a writable /data volume as working directory, nothing chowned recursively', () => {
      assert.equal(lastOp('USER'), 'node');
      const volume = lastOp('VOLUME') as string;
      assert.deepEqual(execForm(volume), ['/data']);
      const runtime = dockerfile.instructions.filter((i) => i.stage === lastStage);
      const chown = runtime.findIndex((i) => i.op === 'RUN' && /\bchown node:node\b[^&]*\/data\b/.test(i.args));
      const volumeAt = runtime.findIndex((i) => i.op === 'VOLUME');
      assert.ok(chown >= 0 && chown < volumeAt, '/data is given to node before VOLUME (later changes to a volume are discarded)');
      assert.match(runtime[chown]?.args ?? '', /chown node:node [^&]*\/keys\b/, '/keys too: a fresh named volume there takes that owner');
      assert.equal(imageWorkdir, '/data', 'relative paths (keys-dev, ct-data) land in the volume');
      for (const i of dockerfile.instructions) assert.doesNotMatch(i.args, /chown\s+-R/, `${i.op} ${i.args}`);
    });

    it('runs node dist/bin/fulgor.js under tini, production defaults in CMD, no --dev', () => {
      assert.deepEqual(execForm(lastOp('ENTRYPOINT') ?? ''), ['/usr/bin/tini', '--']);
      assert.ok(ops('RUN', lastStage).some((r) => /apt-get install[^&]*\btini\b/.test(r.args)), 'tini installed in the runtime stage');
      assert.deepEqual(imageCmd.slice(0, 3), ['node', FULGOR_JS, 'serve']);
      assert.ok(!imageCmd.includes('--dev') && !imageCmd.includes('--allow-dev-keys'));
      assert.equal(flagValue(imageCmd, '--keys-dir'), '/keys');
      assert.equal(flagValue(imageCmd, '--config-path'), '/config/identity.yaml');
      assert.match(flagValue(imageCmd, '--ct-storage') ?? '', /^file:\/data\//, 'the CT file store in the volume');
    });

    it('has a HEALTHCHECK with node (no curl in the image) on the CA port /healthz, its script copied in', () => {
      assert.ok(healthcheckCmd, 'a HEALTHCHECK');
      assert.match(healthcheckCmd.args, /--interval=\S+ .*--timeout=\S+/);
      assert.deepEqual(imageHealthcheck.slice(0, 2), ['node', '/app/deploy/healthcheck.mjs']);
      assert.equal(imageHealthcheck[2], `http://127.0.0.1:${flagValue(imageCmd, '--port')}/healthz`);
      assert.ok(ops('COPY', lastStage).some((c) => c.args === 'deploy/healthcheck.mjs deploy/'));
      assert.ok(existsSync(join(ROOT, 'deploy/healthcheck.mjs')));
    });
  });

  describe('docker-compose.yml (development)', () => {
    it('publishes every port on 127.0.0.1 only, and says that --dev mints tokens for anyone', () => {
      const ports = Object.values(dev.file.services).flatMap((s) => s.ports ?? []);
      assert.ok(ports.length >= 2, 'the CA and the CT log are published');
      for (const p of ports) assert.equal(publishedHost(p), '127.0.0.1', `published on loopback only: ${JSON.stringify(p)}`);
      const comments = dev.text.split('\n').filter((l) => l.trim().startsWith('#')).join(' ');
      assert.match(comments, /--dev\b.*anyone.*mint|--dev\b.*mint.*anyone/i);
    });

    it('runs the CA with --dev on the development keys the keys service makes as the image user, without chown', () => {
      for (const [name, s] of Object.entries(dev.file.services))
        assert.doesNotMatch(JSON.stringify([s.entrypoint, s.command]), /chown/, `${name} chowns nothing`);
      for (const s of Object.values(dev.file.services)) assert.ok(s.user === undefined, 'no service overrides the image user');
      const [keys, ctlog, ca] = ['keys', 'ctlog', 'ca'].map((n) => fulgorServices(dev.file).find((s) => s.name === n));
      assert.deepEqual(keys?.args, ['keys', 'init', '--keys-dir', '/keys']);
      assert.ok(keys?.service.volumes?.includes('keys:/keys'), 'a named volume (it takes the image /keys owner, node)');
      assert.ok(ca?.args?.includes('--dev'));
      assert.deepEqual(ctlog?.args?.slice(0, 2), ['ct', 'serve']);
      assert.equal(ca?.service.depends_on?.['keys']?.condition, 'service_completed_successfully');
    });

    it('pins Redis by version and runs it durable (appendonly, appendfsync always)', () => {
      const redis = dev.file.services['redis'] as ComposeService;
      assert.match(redis.image ?? '', /^redis:\d+\.\d+\.\d+(-\w+)?$/);
      assert.match(commandOf(redis).join(' '), /--appendonly yes --appendfsync always/);
    });

    it('health-checks the CT log on its own port (the CA has the image HEALTHCHECK)', () => {
      const ctlog = dev.file.services['ctlog'] as ComposeService;
      const args = fulgorArgs(commandOf(ctlog)) as string[];
      assert.deepEqual(composeHealthcheck(ctlog), ['node', '/app/deploy/healthcheck.mjs', `http://127.0.0.1:${flagValue(args, '--ct-port')}/healthz`]);
      const ca = dev.file.services['ca'] as ComposeService;
      assert.equal(ca.healthcheck, undefined);
      assert.equal(flagValue(fulgorArgs(commandOf(ca)) as string[], '--port'), new URL(imageHealthcheck[2] as string).port);
    });
  });

  describe('compose.prod.yml', () => {
    it('runs the CA and the CT log without --dev, from read-only keys and identity config', () => {
      for (const [name, s] of Object.entries(prod.file.services))
        assert.doesNotMatch(JSON.stringify(s.command ?? ''), /--dev\b|--allow-dev-keys/, `${name}: no development mode or keys`);
      const services = fulgorServices(prod.file);
      assert.deepEqual(services.map((s) => s.name).sort(), ['ca', 'ctlog']);
      for (const { name, service, args } of services) {
        assert.ok(args, `${name} runs node ${FULGOR_JS}`);
        assert.ok(service.volumes?.some((v) => /:\/keys:ro$/.test(v)), `${name}: keys read-only`);
      }
      const ca = services.find((s) => s.name === 'ca');
      assert.deepEqual(ca?.args?.[0], 'serve');
      assert.ok(ca?.service.volumes?.some((v) => /:\/config:ro$/.test(v)), 'identity config read-only');
      assert.equal(flagValue(ca?.args ?? [], '--config-path'), '/config/identity.yaml');
      const ctlog = services.find((s) => s.name === 'ctlog');
      assert.deepEqual(ctlog?.args?.slice(0, 2), ['ct', 'serve']);
      assert.match(flagValue(ctlog?.args ?? [], '--ct-storage') ?? '', /^redis:\/\/:\$\(cat \/run\/secrets\/redis_password\)@redis:6379\/\d+$/);
    });

    it('runs Redis pinned, durable, with a password read from a secret file (never written in the file)', () => {
      const redis = prod.file.services['redis'] as ComposeService;
      assert.match(redis.image ?? '', /^redis:\d+\.\d+\.\d+(-\w+)?$/);
      const command = commandOf(redis).join(' ');
      assert.match(command, /--appendonly yes --appendfsync always/);
      assert.match(command, /requirepass \$\(cat \/run\/secrets\/redis_password\)/);
      assert.ok(redis.secrets?.includes('redis_password'));
      for (const [name, secret] of Object.entries(prod.file.secrets ?? {})) assert.ok(secret.file, `secret ${name} comes from a file`);
      assert.doesNotMatch(prod.text, /^\s*environment:/m, 'no environment block to put a password in');
      assert.doesNotMatch(prod.text, /requirepass (?!\$\$\(cat )/, 'requirepass only ever reads the secret');
      assert.doesNotMatch(prod.text, /redis:\/\/:(?!\$\$\(cat )[^@]*@/, 'Redis URLs only ever read the secret');
    });

    it('restarts, health-checks and publishes every service safely; stops within a grace period beyond the drain', () => {
      for (const [name, s] of Object.entries(prod.file.services)) {
        assert.ok(['always', 'unless-stopped'].includes(s.restart ?? ''), `${name}: restart policy`);
        assert.ok(s.healthcheck?.test && !s.healthcheck.disable, `${name}: health check`);
        for (const p of s.ports ?? []) assert.equal(publishedHost(p), '127.0.0.1', `${name}: published on loopback by default`);
      }
      for (const { name, service, args } of fulgorServices(prod.file)) {
        const port = flagValue(args ?? [], name === 'ca' ? '--port' : '--ct-port');
        assert.deepEqual(composeHealthcheck(service), ['node', '/app/deploy/healthcheck.mjs', `http://127.0.0.1:${port}/healthz`]);
        assert.ok(parseInt(service.stop_grace_period ?? '0', 10) > 30, `${name}: grace period beyond --drain-timeout 30`);
      }
      assert.match(JSON.stringify(prod.file.services['redis']?.healthcheck?.test), /REDISCLI_AUTH=.*\/run\/secrets\/redis_password.*PONG/);
    });
  });

  it("every command and flag the files use is in that command's --help (a real process)", async () => {
    const commands = [
      { where: 'Dockerfile CMD', args: fulgorArgs(imageCmd) },
      ...fulgorServices(dev.file).map((s) => ({ where: `docker-compose.yml ${s.name}`, args: s.args })),
      ...fulgorServices(prod.file).map((s) => ({ where: `compose.prod.yml ${s.name}`, args: s.args })),
      { where: 'deploy/fulgor.service', args: systemdExecStart() },
    ];
    const helps = new Map<string, string>();
    for (const { where, args } of commands) {
      assert.ok(args, `${where} runs node ${FULGOR_JS}`);
      const sub = args.slice(0, args.findIndex((a) => a.startsWith('--')));
      const key = sub.join(' ');
      if (!helps.has(key)) {
        // `fulgor <command> --help` prints that command's flags and does nothing else; an unknown command exits 2.
        const { code, stdout, stderr } = await fulgor(...sub, '--help');
        assert.equal(code, 0, `${where}: "fulgor ${key}" is a command: ${stderr}`);
        helps.set(key, stdout + stderr);
      }
      const usage = helps.get(key) as string;
      for (const flag of args.filter((a) => a.startsWith('--'))) assert.match(usage, new RegExp(`${flag.split('=')[0]}\\b`), `${where}: ${flag} is a flag of fulgor ${key}`);
    }
  });

  describe('the commands as processes, the image paths mapped onto temp dirs', function () {
    this.timeout(180_000);
    let tmp: string;
    let paths: PathMap;
    const running: ChildProcess[] = [];

    /** Starts `argv` (or a shell line) as the image would: cwd WORKDIR, as the image user when we can. */
    async function start(what: string, argv: string[], ready: RegExp, o: { asServiceUser?: boolean; cwd?: string } = {}) {
      const [cmd, ...rest] = argv;
      const child = spawn(cmd === 'node' ? process.execPath : (cmd as string), rest, {
        cwd: o.cwd ?? paths[imageWorkdir],
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(o.asServiceUser && isRoot ? { uid: SERVICE_UID, gid: SERVICE_UID } : {}),
      });
      running.push(child);
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const early = exited(child).then(({ code, signal }) => {
        throw new Error(`${what} exited (${code ?? signal}) before it was ready:\n${out}`);
      });
      await Promise.race([until(what, () => (ready.test(out) ? true : undefined), 60_000), early]);
      early.catch(() => undefined);
      return { child, output: () => out };
    }

    /** Runs a health check command; its exit code. */
    const runHealthcheck = (argv: string[]) =>
      new Promise<number>((resolve) => {
        const child = spawn(process.execPath, argv.slice(1), { cwd: paths['/data'], stdio: 'ignore' });
        child.once('exit', (code) => resolve(code ?? -1));
      });

    const owned = (dir: string) => {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      if (isRoot) chownSync(dir, SERVICE_UID, SERVICE_UID);
      return dir;
    };
    const chownTree = (dir: string) => {
      if (!isRoot) return;
      chownSync(dir, SERVICE_UID, SERVICE_UID);
      for (const f of readdirSync(dir)) chownSync(join(dir, f), SERVICE_UID, SERVICE_UID);
    };

    before(async function () {
      tmp = mkdtempSync(join(tmpdir(), 'fulgor-deploy-'));
      chmodSync(tmp, 0o755);
      paths = { '/app': join(tmp, 'app'), '/data': join(tmp, 'data'), '/keys': join(tmp, 'keys'), '/config': join(tmp, 'config'), '/run/secrets': join(tmp, 'secrets') };
      // /app as the runtime stage has it: package.json, node_modules, dist/ from the Dockerfile's own tsc line, and
      // the health check script, all owned by root.
      const app = paths['/app'] as string;
      mkdirSync(join(app, 'deploy'), { recursive: true });
      cpSync(join(ROOT, 'package.json'), join(app, 'package.json'));
      symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'));
      cpSync(join(ROOT, 'deploy/healthcheck.mjs'), join(app, 'deploy/healthcheck.mjs'));
      const tsc = ops('RUN', 0).map((r) => /npx tsc -p (\S+)/.exec(r.args)?.[1]).find((p) => p !== undefined);
      assert.ok(tsc, 'the build stage compiles with npx tsc -p FILE');
      const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', tsc, '--outDir', join(app, 'dist')], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(r.status, 0, `tsc -p ${tsc}: ${r.stdout}${r.stderr}`);
      owned(paths['/data'] as string);
    });

    after(async () => {
      await Promise.all(running.map((c) => stopProcess(c)));
      rmSync(tmp, { recursive: true, force: true });
    });

    it("the image's dist/ has the command and no test/ or bench/", () => {
      const dist = join(paths['/app'] as string, 'dist');
      assert.ok(existsSync(join(dist, 'bin/fulgor.js')));
      assert.ok(!existsSync(join(dist, 'test')) && !existsSync(join(dist, 'bench')));
    });

    it('the health check script fails on a non-2xx answer (a draining server: 503) and on a server that never answers', async () => {
      const servers = [
        createServer((_req, res) => res.writeHead(503).end('draining')),
        createServer(() => undefined), // accepts, never answers
        createServer((_req, res) => res.writeHead(200).end('{"status":"SERVING"}')),
      ];
      try {
        const urls = await Promise.all(
          servers.map((srv) => new Promise<string>((r) => srv.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(srv.address() as { port: number }).port}/healthz`)))),
        );
        const script = join(paths['/app'] as string, 'deploy/healthcheck.mjs');
        const t0 = Date.now();
        assert.deepEqual(
          await Promise.all(urls.map((u) => runHealthcheck(['node', script, u]))),
          [1, 1, 0],
        );
        assert.ok(Date.now() - t0 < 10_000, 'the silent server times out within seconds');
      } finally {
        for (const srv of servers) srv.closeAllConnections();
        await Promise.all(servers.map((srv) => new Promise((r) => srv.close(r))));
      }
    });

    describe("the image's CMD and HEALTHCHECK", () => {
      let ca: { child: ChildProcess; output: () => string };
      let caUrl: string;
      let ports: Record<string, number>;
      let appBefore: string[];
      const healthcheck = () => imageHealthcheck.map((a) => mapForHost(a, paths, ports));

      before(async function () {
        // Production keys and identity config where the image expects their mounts.
        await writeProductionKeysDir(paths['/keys'] as string);
        chownTree(paths['/keys'] as string);
        mkdirSync(paths['/config'] as string, { recursive: true });
        cpSync(join(ROOT, 'test/fixtures/identity/identity.yaml'), join(paths['/config'] as string, 'identity.yaml'));
        ports = { 8080: await freePort(), 6962: await freePort() };
        appBefore = readdirSync(paths['/app'] as string);
        ca = await start('the image CMD', imageCmd.map((a) => mapForHost(a, paths, ports)), /Fulgor CA listening on/, { asServiceUser: true });
        caUrl = `http://127.0.0.1:${ports[8080]}`;
      });

      it('serves as the image user, writing only into the /data volume', async function () {
        if (!isRoot) console.log('      (not root: runs as the current user, not uid 1000)');
        const res = await fetch(`${caUrl}/api/v1/rootCert`);
        assert.equal(res.status, 200);
        const store = join(paths['/data'] as string, 'ct-data');
        assert.ok(existsSync(store), 'the CT file store is in /data');
        if (isRoot) assert.equal(statSync(store).uid, SERVICE_UID);
        assert.deepEqual(readdirSync(paths['/app'] as string), appBefore, 'nothing written into /app');
        assert.doesNotMatch(ca.output(), /EACCES/);
      });

      it('passes its HEALTHCHECK (GET /healthz on the CA port)', async function () {
        const probe = await fetch(`${caUrl}/healthz`);
        await probe.body?.cancel();
        if (probe.status === 404) {
          console.log('      (skipped: GET /healthz is 404 on this build)');
          return this.skip();
        }
        assert.equal(probe.status, 200);
        assert.equal(await runHealthcheck(healthcheck()), 0);
      });

      it('stops on SIGTERM with exit 0; the HEALTHCHECK then fails', async () => {
        ca.child.kill('SIGTERM');
        assert.deepEqual(await exited(ca.child), { code: 0, signal: null });
        assert.equal(await runHealthcheck(healthcheck()), 1);
      });
    });

    /** Starts Redis as a compose file's command does, on a free port; its port. */
    async function startRedis(service: ComposeService, dir: string): Promise<number> {
      const port = await freePort();
      mkdirSync(dir, { recursive: true });
      const local = ['--port', String(port), '--bind', '127.0.0.1'];
      const command = commandOf(service);
      const argv =
        command[0] === 'sh'
          ? ['sh', '-c', mapForHost((command[2] as string).replace('docker-entrypoint.sh redis-server -', `redis-server - ${local.join(' ')}`), paths)]
          : [...command, ...local];
      await start('redis', argv, /Ready to accept connections/, { cwd: dir });
      return port;
    }

    /** Runs a compose service's health check (the image's when it has none) against the mapped ports; skips while the
     *  server answers its /healthz with 404 (the CT log's /healthz comes with the metrics work). */
    async function composeHealth(ctx: Mocha.Context, service: ComposeService, ports: Record<string, number>) {
      const argv = (service.healthcheck ? composeHealthcheck(service) : imageHealthcheck).map((a) => mapForHost(a, paths, ports));
      const probe = await fetch(argv[2] as string);
      await probe.body?.cancel();
      if (probe.status === 404) {
        console.log(`      (skipped: GET ${argv[2]} is 404 on this build)`);
        return ctx.skip();
      }
      assert.equal(await runHealthcheck(argv), 0, `${argv.join(' ')} passes`);
    }

    describe('docker-compose.yml as processes: the development stack', () => {
      const services = Object.fromEntries(fulgorServices(dev.file).map((s) => [s.name, s]));
      let ports: Record<string, number>;

      before(async function () {
        if (!hasRedisServer) {
          console.log('      (skipped: no redis-server on this machine)');
          return this.skip();
        }
        const keys = owned(join(tmp, 'dev-keys'));
        const devPaths = { ...paths, '/keys': keys };
        const redisPort = await startRedis(dev.file.services['redis'] as ComposeService, join(tmp, 'dev-redis'));
        ports = { 8080: await freePort(), 6962: await freePort(), 6379: redisPort };
        const map = (args: string[]) => ['node', FULGOR_JS, ...args].map((a) => mapForHost(a, devPaths, ports, ['redis', 'ctlog']));
        // The keys service, as the image user on a volume that user owns (a fresh named volume takes /keys' owner).
        const init = spawnSync(process.execPath, map(services['keys']?.args ?? []).slice(1), {
          cwd: paths['/data'],
          encoding: 'utf8',
          ...(isRoot ? { uid: SERVICE_UID, gid: SERVICE_UID } : {}),
        });
        assert.equal(init.status, 0, init.stderr);
        await start('dev ctlog', map(services['ctlog']?.args ?? []), /CT log listening/, { asServiceUser: true });
        await start('dev ca', map(services['ca']?.args ?? []), /Fulgor CA listening/, { asServiceUser: true });
        devMap = map;
      });
      let devMap: (args: string[]) => string[];

      it('keys, Redis, the CT log on Redis and the --dev CA issue a certificate with its SCT', async () => {
        // README: docker compose exec ca node /app/dist/bin/fulgor.js dev-token --keys-dir /keys
        const token = spawnSync(process.execPath, devMap(['dev-token', '--keys-dir', '/keys', '--ca-url', 'http://127.0.0.1:8080']).slice(1), {
          cwd: paths['/data'],
          encoding: 'utf8',
        });
        assert.equal(token.status, 0, token.stderr);
        const jwt = token.stdout.trim();
        const sub = (JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString()) as { sub: string }).sub;
        const res = await fetch(`http://127.0.0.1:${ports[8080]}/api/v2/signingCert`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(v2Request(jwt, clientKey(), sub)),
        });
        const body = (await res.json()) as { signedCertificateEmbeddedSct?: { chain: { certificates: string[] } } };
        assert.equal(res.status, 200, JSON.stringify(body));
        assert.ok((body.signedCertificateEmbeddedSct?.chain.certificates.length ?? 0) >= 2);
        const sth = (await (await fetch(`http://127.0.0.1:${ports[6962]}/ct/v1/get-sth`)).json()) as { tree_size: number };
        assert.equal(sth.tree_size, 1, 'the precertificate is in the log on Redis');
      });

      it('the CA passes its health check', async function () {
        await composeHealth(this, dev.file.services['ca'] as ComposeService, ports);
      });

      it('the CT log passes its health check', async function () {
        await composeHealth(this, dev.file.services['ctlog'] as ComposeService, ports);
      });
    });

    describe('compose.prod.yml as processes', () => {
      let secrets: string;
      let password: string;
      let redisPort: number;
      let ports: Record<string, number>;
      const services = Object.fromEntries(fulgorServices(prod.file).map((s) => [s.name, s]));
      const map = (command: string[]) => command.map((a) => mapForHost(a, paths, ports, ['redis', 'ctlog']));

      before(async function () {
        if (!hasRedisServer) return this.skip();
        secrets = owned(paths['/run/secrets'] as string);
        password = randomBytes(24).toString('hex');
        writeFileSync(join(secrets, 'redis_password'), `${password}\n`, { mode: 0o600 });
        writeFileSync(join(secrets, 'key_passphrase'), 'correct horse battery staple\n', { mode: 0o600 });
        chownTree(secrets);
        rmSync(paths['/keys'] as string, { recursive: true, force: true });
        await writeProductionKeysDir(paths['/keys'] as string, { passphrase: 'correct horse battery staple' });
        chownTree(paths['/keys'] as string);
        redisPort = await startRedis(prod.file.services['redis'] as ComposeService, join(tmp, 'prod-redis'));
        ports = { 8080: await freePort(), 6962: await freePort(), 6379: redisPort };
      });

      it('Redis requires the password from the secret file and fsyncs every write', async () => {
        const anonymous = spawnSync('redis-cli', ['-p', String(redisPort), 'ping'], { encoding: 'utf8' });
        assert.match(anonymous.stdout + anonymous.stderr, /NOAUTH/);
        const client = new Redis({ port: redisPort, host: '127.0.0.1', password, maxRetriesPerRequest: 0 });
        try {
          assert.deepEqual(await client.config('GET', 'appendfsync'), ['appendfsync', 'always']);
          assert.deepEqual(await client.config('GET', 'appendonly'), ['appendonly', 'yes']);
        } finally {
          client.disconnect();
        }
        const check = prod.file.services['redis']?.healthcheck?.test as string[];
        const healthy = spawnSync('sh', ['-c', mapForHost(check[1] as string, paths).replace('redis-cli', `redis-cli -p ${redisPort}`)]);
        assert.equal(healthy.status, 0, 'its health check passes');
      });

      it('the CT log runs on it from encrypted keys, and the CA from production keys and identity config', async () => {
        const keysDir = paths['/keys'] as string;
        const noSecretInLogs = (out: string) => assert.ok(!out.includes(password), 'the Redis password is never logged');
        const ctlog = await start('prod ctlog', map(commandOf(services['ctlog']!.service)), /CT log listening/, { asServiceUser: true });
        const sth = await fetch(`http://127.0.0.1:${ports[6962]}/ct/v1/get-sth`);
        assert.equal(sth.status, 200);
        const keys = new Redis({ port: redisPort, host: '127.0.0.1', password });
        try {
          const prefix = flagValue(services['ctlog']!.args ?? [], '--ct-redis-prefix');
          assert.ok((await keys.keys(`{${prefix}}:*`)).length > 0, 'the log state is in Redis');
        } finally {
          keys.disconnect();
        }
        await start('prod ca', map(commandOf(services['ca']!.service)), /Fulgor CA listening/, { asServiceUser: true });
        const bundle = await fetch(`http://127.0.0.1:${ports[8080]}/api/v2/trustBundle`);
        assert.equal(bundle.status, 200);
        noSecretInLogs(ctlog.output());
        assert.ok(existsSync(join(keysDir, 'ctlog.pub.pem')));
      });

      it('the CA passes its health check', async function () {
        await composeHealth(this, prod.file.services['ca'] as ComposeService, ports);
      });

      it('the CT log passes its health check', async function () {
        await composeHealth(this, prod.file.services['ctlog'] as ComposeService, ports);
      });
    });
  });
  describe('the image, built and run with podman (opt-in: FULGOR_IMAGE_TEST=1)', function () {
    this.timeout(1_200_000);
    const image = 'localhost/fulgor:deployment-test';
    const container = `fulgor-deployment-test-${process.pid}`;
    // Extra podman options for this machine (e.g. `--runtime runc`), from FULGOR_PODMAN_ARGS.
    const extra = (process.env['FULGOR_PODMAN_ARGS'] ?? '').split(/\s+/).filter((a) => a !== '');
    const podman = (...args: string[]) => spawnSync('podman', [...extra, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
    let dir: string;

    before(async function () {
      const skip = (why: string) => {
        console.log(`      (skipped: ${why})`);
        this.skip();
      };
      if (process.env['FULGOR_IMAGE_TEST'] !== '1') return skip('set FULGOR_IMAGE_TEST=1 to build the image (minutes)');
      if (spawnSync('podman', ['--version']).status !== 0) return skip('no podman (apt-get install -y podman)');
      if (!isRoot) return skip('rootful podman: run as root');
      for (const from of ops('FROM')) {
        const base = `docker.io/library/${(from.args.split(/\s+/)[0] as string).replace(/\$\{(\w+)\}/g, (_, n: string) => dockerfile.args[n] ?? '')}`;
        if (podman('image', 'exists', base).status !== 0)
          return skip(`${base} is not in podman's storage and Docker Hub is unreachable here: deploy/standin-base-images.sh makes a stand-in`);
      }
      const build = podman('build', '--format', 'docker', '--pull=never', '--network', 'host', '-t', image, ROOT);
      assert.equal(build.status, 0, `podman build:\n${build.stdout.slice(-4000)}${build.stderr.slice(-4000)}`);
      dir = mkdtempSync(join(tmpdir(), 'fulgor-image-'));
      const keys = join(dir, 'keys');
      await writeProductionKeysDir(keys);
      chownTree(keys);
      mkdirSync(join(dir, 'config'));
      cpSync(join(ROOT, 'test/fixtures/identity/identity.yaml'), join(dir, 'config/identity.yaml'));
      const run = podman('run', '-d', '--name', container, '-v', `${keys}:/keys:ro`, '-v', `${join(dir, 'config')}:/config:ro`, image);
      assert.equal(run.status, 0, run.stderr);
      await until('the container to listen', () => (/Fulgor CA listening/.test(podman('logs', container).stderr + podman('logs', container).stdout) ? true : undefined), 60_000);
    });

    after(() => {
      if (dir === undefined) return;
      podman('rm', '-f', container);
      rmSync(dir, { recursive: true, force: true });
    });

    const chownTree = (d: string) => {
      chownSync(d, SERVICE_UID, SERVICE_UID);
      for (const f of readdirSync(d)) chownSync(join(d, f), SERVICE_UID, SERVICE_UID);
    };
    const inside = (script: string) => podman('exec', container, 'sh', '-c', script);

    it('holds dist/ without test/ or bench/, production dependencies only, pkcs11js built, /app owned by root', () => {
      const r = inside('ls /app/dist; ls /app/node_modules/typescript 2>&1; ls /app/node_modules/pkcs11js/build/Release/pkcs11.node; stat -c %U /app /app/dist');
      assert.doesNotMatch(r.stdout, /^(test|bench)$/m);
      assert.match(r.stdout, /No such file/, 'no typescript (a dev dependency)');
      assert.match(r.stdout, /pkcs11\.node/);
      assert.match(r.stdout, /^root\nroot$/m);
    });

    it('runs tini as PID 1 with node as its child, as the node user, the CT store in /data', () => {
      const r = inside('tr "\\0" " " < /proc/1/cmdline; echo; id -un; stat -c %U /data/ct-data');
      assert.match(r.stdout, /^\/usr\/bin\/tini -- node \/app\/dist\/bin\/fulgor\.js serve /m);
      assert.match(r.stdout, /^node\nnode$/m);
    });

    it('is healthy by its HEALTHCHECK, reloads on SIGHUP, drains on SIGTERM and exits 0', () => {
      assert.equal(podman('healthcheck', 'run', container).status, 0, 'podman healthcheck run');
      assert.equal(podman('kill', '--signal', 'HUP', container).status, 0);
      assert.equal(podman('stop', '-t', '40', container).status, 0);
      assert.equal(podman('inspect', container, '--format', '{{.State.ExitCode}}').stdout.trim(), '0');
      const logs = podman('logs', container);
      assert.match(logs.stdout + logs.stderr, /identity config reloaded[\s\S]*"signal":"SIGTERM"[\s\S]*"msg":"stopped"/);
    });
  });
});

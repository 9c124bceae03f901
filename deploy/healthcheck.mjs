// The container health check: `node deploy/healthcheck.mjs URL` exits 0 when GET URL answers 2xx within 3 seconds,
// 1 otherwise (refused, timed out, any other status: a draining server answers /healthz with 503). Plain node, no
// curl or wget in the image. The Dockerfile's HEALTHCHECK and the compose files run it; test/integration/deployment.spec.ts
// runs it against a real `fulgor serve`.
const url = process.argv[2];
if (!url) {
  process.stderr.write('usage: node healthcheck.mjs URL\n');
  process.exit(2);
}
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000), redirect: 'manual' });
  await res.body?.cancel();
  if (res.status < 200 || res.status > 299) {
    process.stderr.write(`unhealthy: ${url} answered ${res.status}\n`);
    process.exit(1);
  }
} catch (e) {
  const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
  process.stderr.write(`unhealthy: ${url}: ${e instanceof Error ? e.message : String(e)}${cause}\n`);
  process.exit(1);
}

// The dependency directions of the team's design notes (README "Layout"), checked by `npm test` (npm run depcheck). A forbidden import or
// a cycle fails the build and names the rule. Type-only imports count: a type is a dependency too.
//
//   lib/      imports nothing above it
//   tsa/      the RFC 3161 timestamp authority: imports lib/ only
//   signer/   every private key behind lib/signer.ts's Signer: imports lib/ only
//   config/   is data: imports lib/ only (no domain folder)
//   oidc/     identity: never imports ca/, ct/, server/ (nor decision/, which sits above it)
//   ca/       issuance: imports neither express nor ct/
//   ct/       RFC 6962: exchanges DER and SCTs; imports no ca/, oidc/, server/, config/
//   search/   the certificate search index and its API: imports ct/, config/ (patterns), lib/ only; nothing below
//             server/ and cli/ imports it
//   ui/       the log's web page (static assets and their router): imports lib/ only
//   decision/ the one decision function above oidc/ and ca/ (issuance and explain)
//   monitor/  the identity monitor: imports ct/, config/, lib/ only; imported only by cli/ (and tests)
//   server/, cli/  imported only by bin/ and cli/ (and by the test/ and bench/ drivers)
//   bench/    imports no test/
//   the check threads' modules (ca/pop-thread-worker.ts, ct/leaf-thread-worker.ts) reach neither ca/client-key.ts
//   nor @noble/curves
//   and no cycles anywhere.
const FOLDERS_ABOVE_LIB = '^(tsa|signer|config|oidc|decision|ca|ct|search|ui|server|cli|bin|trust|monitor|bench|test)/';

module.exports = {
  forbidden: [
    {
      name: 'lib-imports-nothing-above-it',
      comment: 'lib/ holds small shared pieces; it may import node and npm packages and itself only.',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: FOLDERS_ABOVE_LIB },
    },
    {
      name: 'tsa-imports-lib-only',
      comment: 'The timestamp authority signs through lib/signer.ts and knows nothing of the CA or the log.',
      severity: 'error',
      from: { path: '^tsa/' },
      to: { path: '^(signer|config|oidc|decision|ca|ct|search|ui|server|cli|bin|trust|bench|test)/' },
    },
    {
      name: 'signer-imports-lib-only',
      comment: 'Signer backends sit below every service that signs.',
      severity: 'error',
      from: { path: '^signer/' },
      to: { path: '^(config|oidc|decision|ca|ct|search|ui|server|cli|bin|trust|bench|test)/' },
    },
    {
      name: 'config-imports-no-domain-folder',
      comment: 'config/ is data: it reads and validates files into typed structures and knows no identity or CA logic.',
      severity: 'error',
      from: { path: '^config/' },
      to: { path: '^(oidc|decision|ca|ct|search|ui|server|cli|bin|trust|bench|test)/' },
    },
    {
      name: 'oidc-imports-no-ca-ct-server',
      comment: 'oidc/ produces a Principal and knows nothing of certificates beyond the values it maps.',
      severity: 'error',
      from: { path: '^oidc/' },
      to: { path: '^(ca|ct|search|ui|server|decision|cli|bin)/' },
    },
    {
      name: 'ca-imports-neither-express-nor-ct',
      comment: 'The issuance core is transport-agnostic and does not know the log.',
      severity: 'error',
      from: { path: '^ca/' },
      to: { path: '^(ct|search|ui|server|decision|cli|bin)/|^node_modules/(@types/)?express/' },
    },
    {
      name: 'ct-imports-no-ca-oidc-server-config',
      comment: 'ct/ exchanges DER bytes and SCTs only.',
      severity: 'error',
      from: { path: '^ct/' },
      to: { path: '^(ca|oidc|search|ui|server|config|decision|cli|bin)/' },
    },
    {
      name: 'search-imports-ct-config-lib-only',
      comment: 'search/ reads the log (ct/) and matches with the policy patterns (config/); the HTTP layer and the CLI mount it.',
      severity: 'error',
      from: { path: '^search/' },
      to: { path: '^(ca|oidc|decision|ui|server|cli|bin|trust|tsa|signer|monitor|bench|test)/' },
    },
    {
      name: 'ui-imports-lib-only',
      comment: 'The web page is static assets and the router that serves them; the page talks to the log over HTTP.',
      severity: 'error',
      from: { path: '^ui/' },
      to: { path: '^(tsa|signer|config|oidc|decision|ca|ct|search|server|cli|bin|trust|monitor|bench|test)/' },
    },
    {
      name: 'decision-imports-no-server-cli',
      comment: 'The decision core sits above oidc/ and ca/, below the HTTP layer and the command line.',
      severity: 'error',
      from: { path: '^decision/' },
      to: { path: '^(server|cli|bin|ct|search|ui)/' },
    },
    {
      name: 'monitor-imports-ct-config-lib-only',
      comment: 'The identity monitor reads a log (ct/) and a rules file (config/ patterns) and knows nothing of issuance.',
      severity: 'error',
      from: { path: '^monitor/' },
      to: { path: '^(tsa|signer|oidc|decision|ca|server|cli|bin|trust|bench|test)/' },
    },
    {
      name: 'only-cli-imports-monitor',
      comment: 'monitor/ is an entry-level feature: the command line (and tests) drive it; nothing below depends on it.',
      severity: 'error',
      from: { pathNot: '^(bin|cli|monitor|test|bench)/' },
      to: { path: '^monitor/' },
    },
    {
      name: 'only-bin-and-cli-import-server-and-cli',
      comment: 'server/ and cli/ are entry layers: nothing imports them but bin/ and cli/ (tests and benchmarks drive them).',
      severity: 'error',
      from: { pathNot: '^(bin|cli|server|test|bench)/' },
      to: { path: '^(server|cli)/' },
    },
    {
      name: 'server-imports-no-cli',
      comment: 'server/ may import itself, but not the command line.',
      severity: 'error',
      from: { path: '^server/' },
      to: { path: '^cli/' },
    },
    {
      name: 'bench-imports-no-test',
      comment: 'Benchmarks use the project modules, not test helpers.',
      severity: 'error',
      from: { path: '^bench/' },
      to: { path: '^test/' },
    },
    {
      name: 'check-threads-load-little',
      comment:
        'A check thread (the proof of possession, the log\'s leaf signatures) boots a new isolate with every module it reaches: ' +
        'ca/client-key.ts and @noble/curves once made the proof thread\'s boot 20-50 ms longer (BENCHMARKS.md, 2026-12-06).',
      severity: 'error',
      from: { path: '^(ca/pop-thread-worker|ct/leaf-thread-worker)\\.ts$' },
      to: { path: '^(ca/client-key\\.ts|node_modules/@noble/)', reachable: true },
    },
    {
      name: 'no-circular',
      comment: 'No cycles anywhere in the tree.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/|^test/fixtures/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};

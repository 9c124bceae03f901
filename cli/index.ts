// cli/: the `fulgor` subcommands, one file each (serve, ct serve, tsa serve, keys init, ca init/csr/import/rotate,
// dev-token, explain, config check, trust export, monitor, search), each with its flag spec next to its code; flags.ts parses them
// strictly (and from FULGOR_* variables), run.ts dispatches, usage.ts prints --help, server-config.ts reads Fulcio's
// server.yaml for serve.
// May import: every folder below it (server/, decision/, oidc/, ca/, ct/, trust/, config/, lib/). Imported only
// by bin/ (checked: only-bin-and-cli-import-server-and-cli).
export { COMMANDS } from './commands.js';
export { packageVersion, runCli } from './run.js';

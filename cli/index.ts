// cli/: the `fulgor` subcommands, one file each (serve, ct serve, keys init, dev-token, explain, config check,
// trust export), with their flags.
// May import: every folder below it (server/, decision/, oidc/, ca/, ct/, trust/, config/, lib/). Imported only
// by bin/ (checked: only-bin-and-cli-import-server-and-cli).
export { configCheckCommand } from './config-check.js';
export { ctServeCommand } from './ct-serve.js';
export { devTokenCommand } from './dev-token.js';
export { explainCommand } from './explain.js';
export { keysInitCommand } from './keys-init.js';
export { serveCommand } from './serve.js';
export { trustExportCommand } from './trust-export.js';

// cli/: the `fulgor` subcommands, one file each (serve, ct serve, keys init, ca init/csr/import, dev-token, explain,
// config check, trust export, monitor), with their flags.
// May import: every folder below it (server/, decision/, oidc/, ca/, ct/, trust/, config/, lib/). Imported only
// by bin/ (checked: only-bin-and-cli-import-server-and-cli).
export { caCsrCommand } from './ca-csr.js';
export { caImportCommand } from './ca-import.js';
export { caInitCommand } from './ca-init.js';
export { configCheckCommand } from './config-check.js';
export { ctServeCommand } from './ct-serve.js';
export { devTokenCommand } from './dev-token.js';
export { explainCommand } from './explain.js';
export { keysInitCommand } from './keys-init.js';
export { monitorCommand } from './monitor.js';
export { serveCommand } from './serve.js';
export { trustExportCommand } from './trust-export.js';

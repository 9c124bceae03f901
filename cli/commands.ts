// Every `fulgor` command, in the order `fulgor --help` and README list them.
import { CA_CSR_COMMAND } from './ca-csr.js';
import { CA_IMPORT_COMMAND } from './ca-import.js';
import { CA_INIT_COMMAND } from './ca-init.js';
import { CA_ROTATE_COMMAND } from './ca-rotate.js';
import type { Command } from './command.js';
import { CONFIG_CHECK_COMMAND } from './config-check.js';
import { CT_SERVE_COMMAND } from './ct-serve.js';
import { DEV_TOKEN_COMMAND } from './dev-token.js';
import { EXPLAIN_COMMAND } from './explain.js';
import { KEYS_INIT_COMMAND } from './keys-init.js';
import { MONITOR_COMMAND } from './monitor.js';
import { SEARCH_COMMAND } from './search.js';
import { SERVE_COMMAND } from './serve.js';
import { TRUST_EXPORT_COMMAND } from './trust-export.js';
import { TSA_SERVE_COMMAND } from './tsa-serve.js';

export const COMMANDS: readonly Command[] = [
  SERVE_COMMAND,
  CT_SERVE_COMMAND,
  TSA_SERVE_COMMAND,
  TRUST_EXPORT_COMMAND,
  KEYS_INIT_COMMAND,
  CA_INIT_COMMAND,
  CA_CSR_COMMAND,
  CA_IMPORT_COMMAND,
  CA_ROTATE_COMMAND,
  EXPLAIN_COMMAND,
  CONFIG_CHECK_COMMAND,
  DEV_TOKEN_COMMAND,
  MONITOR_COMMAND,
  SEARCH_COMMAND,
];

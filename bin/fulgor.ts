#!/usr/bin/env node
// The `fulgor` command line.
import { caCsrCommand } from '../cli/ca-csr.js';
import { caImportCommand } from '../cli/ca-import.js';
import { caInitCommand } from '../cli/ca-init.js';
import { caRotateCommand } from '../cli/ca-rotate.js';
import { configCheckCommand } from '../cli/config-check.js';
import { ctServeCommand } from '../cli/ct-serve.js';
import { devTokenCommand } from '../cli/dev-token.js';
import { explainCommand } from '../cli/explain.js';
import { parseFlags } from '../cli/flags.js';
import { keysInitCommand } from '../cli/keys-init.js';
import { searchCommand } from '../cli/search.js';
import { serveCommand } from '../cli/serve.js';
import { trustExportCommand } from '../cli/trust-export.js';
import { tsaServeCommand } from '../cli/tsa-serve.js';
import { KeyError } from '../signer/index.js';

const USAGE = `usage:
  fulgor serve [--dev] [--config-path FILE] [--host 127.0.0.1] [--port 8080] [--ct-port 6962]
               [--keys-dir keys-dev] [--ct-log-url URL --ct-log-public-key PEM] [--enable-explain] [--watch]
               [--drain-timeout 30] [key flags] [--ca-key URI] [--tsa-key URI] [--allow-dev-keys] [CT log flags]
  fulgor ct serve [--dev] [--host 127.0.0.1] [--ct-port 6962] [--keys-dir keys-dev] [--drain-timeout 30]
                  [--allow-dev-keys] [key flags] [CT log flags]
      key flags: [--ct-log-key URI] [--key-passphrase-file FILE] [--strict-key-permissions]
                 (URI: a path, file:PATH or pkcs11:token=...;object=...?module-path=...&pin-source=file:...)
      CT log flags: [--ct-storage file:ct-data|memory|redis://HOST:PORT/DB] [--ct-redis-prefix fulgor-ct]
                    [--ct-log-prefix PREFIX] [--ct-roots PEM-FILE] [--search-index FILE|memory|off]
  fulgor tsa serve [--dev] [--host 127.0.0.1] [--port 3000] [--keys-dir keys-dev] [--tsa-key URI]
                   [--tsa-policy OID] [--drain-timeout 30] [--key-passphrase-file FILE] [--strict-key-permissions]
  fulgor trust export [--keys-dir keys-dev] --out OUTDIR [--ca-url URL] [--ct-log-url URL --ct-log-public-key PEM]
                      [--tsa-url URL] [--tuf-keys-dir KEYS-DIR/tuf] [--tuf-expires 365d]
                      [--identity-issuer ISS --identity-subject-regexp RE]
  fulgor keys init [--keys-dir keys-dev]                       (development keys)
  fulgor ca init --keys-dir DIR --root-out OFFLINE-DIR [--org O] [--common-name CN] [--root-common-name CN]
               [--algorithm ecdsa-p256|ecdsa-p384|rsa-3072|rsa-4096] [--root-validity 10y] [--intermediate-validity 3y]
               [--passphrase-file FILE] [--ca-key URI] [--ct-log-key URI] [--tsa-key URI]
  fulgor ca csr --keys-dir DIR --out CSR.pem [--algorithm ...] [--org O] [--common-name CN] [--passphrase-file FILE]
               [--ca-key URI] [--ct-log-key URI]
  fulgor ca import --keys-dir DIR --chain CHAIN.pem --root ROOT.pem [--passphrase-file FILE]
  fulgor ca rotate --keys-dir DIR (--root-out OFFLINE-DIR [--algorithm ...] [--org O] [--common-name CN]
               [--intermediate-validity 3y] [--ca-key URI] | --chain CHAIN.pem --root ROOT.pem --new-key-dir CSR-DIR)
               [--passphrase-file FILE]
  fulgor explain --config-path FILE (--token JWT|-|@FILE | --claims FILE.json) [--issuer URL] [--json]
  fulgor config check --config-path FILE [--json]
  fulgor dev-token [--type github|gitlab|email] [--claim name=value]... [--claim-json name=JSON]...
                   [--keys-dir keys-dev] [--ca-url http://127.0.0.1:8080]
  fulgor search (--log-url URL | --ct-storage file:DIR|redis://HOST:PORT/DB [--ct-redis-prefix P])
                [--log-public-key PEM] [--san PATTERN]... [--issuer PATTERN]... [--ext NAME=PATTERN]...
                [--since TIME] [--until TIME] [--serial HEX] [--key SHA256-HEX] [--limit 100]
                [--search-index FILE] [--json]
`;

async function main(argv: string[]): Promise<void> {
  const { positional, flags } = parseFlags(argv);
  const [cmd, sub] = positional;
  if (cmd === 'serve') return serveCommand(flags);
  if (cmd === 'ct' && sub === 'serve') return ctServeCommand(flags);
  if (cmd === 'tsa' && sub === 'serve') return tsaServeCommand(flags);
  if (cmd === 'trust' && sub === 'export') return trustExportCommand(flags);
  if (cmd === 'dev-token') return devTokenCommand(flags);
  if (cmd === 'keys' && sub === 'init') return keysInitCommand(flags);
  if (cmd === 'ca' && sub === 'init') return caInitCommand(flags);
  if (cmd === 'ca' && sub === 'csr') return caCsrCommand(flags);
  if (cmd === 'ca' && sub === 'import') return caImportCommand(flags);
  if (cmd === 'ca' && sub === 'rotate') return caRotateCommand(flags);
  if (cmd === 'explain') return explainCommand(flags);
  if (cmd === 'config' && sub === 'check') return configCheckCommand(flags);
  if (cmd === 'search') return searchCommand(flags);
  process.stderr.write(USAGE);
  process.exitCode = cmd === undefined || flags['help'] ? 0 : 2;
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`fulgor: ${e instanceof Error ? e.message : String(e)}\n`);
  // A key that cannot be used (missing, unreadable, wrong, exposed, development keys refused) exits 2.
  process.exit(e instanceof KeyError ? 2 : 1);
});

// `fulgor dev-token`: prints a token from the development OIDC issuer (trusted only by `fulgor serve --dev`).
import { join } from 'node:path';
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createMissingDevKeys } from '../ca/dev-keys.js';
import { KEY_FILES, loadKeys } from '../config/keys-dir.js';
import { DEV_TOKEN_TYPES, type DevTokenType } from '../oidc/dev-claims.js';
import { mintToken } from '../oidc/dev-issuer.js';
import { devIssuerUrl } from '../server/serve.js';
import type { Command } from './command.js';
import { flag, list, listFlag, str, type Flags } from './flags.js';

function claimPairs(flags: Flags, name: string, parse: (v: string) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of listFlag(flags, name)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--${name} takes name=value, got ${JSON.stringify(pair)}`);
    out[pair.slice(0, eq)] = parse(pair.slice(eq + 1));
  }
  return out;
}

export async function devTokenCommand(flags: Flags): Promise<void> {
  const type = flag(flags, 'type') as DevTokenType;
  if (!DEV_TOKEN_TYPES.includes(type)) throw new Error(`--type must be one of ${DEV_TOKEN_TYPES.join(', ')}`);
  const keysDir = flag(flags, 'keys-dir') as string;
  await createMissingDevKeys(keysDir);
  loadKeys(keysDir);
  const privateKey = createPrivateKey(readFileSync(join(keysDir, KEY_FILES.devOidcKey), 'utf8'));
  const caUrl = flag(flags, 'ca-url') as string;
  const token = await mintToken({
    issuer: devIssuerUrl(caUrl, type),
    privateKey,
    type,
    claims: {
      ...claimPairs(flags, 'claim', (v) => v),
      ...claimPairs(flags, 'claim-json', (v) => JSON.parse(v) as unknown),
    },
  });
  process.stdout.write(token + '\n');
}

export const DEV_TOKEN_COMMAND: Command = {
  name: 'dev-token',
  summary: 'print a token from the development OIDC issuer (trusted only by fulgor serve --dev)',
  flags: {
    type: str(DEV_TOKEN_TYPES.join('|'), 'which CI or identity the token looks like', 'github'),
    claim: list('NAME=VALUE', 'set a claim to a string'),
    'claim-json': list('NAME=JSON', 'set a claim to a JSON value'),
    'keys-dir': str('DIR', "the development keys (the issuer's key is created if missing)", 'keys-dev'),
    'ca-url': str('URL', 'the CA the development issuer lives under', 'http://127.0.0.1:8080'),
  },
  run: devTokenCommand,
};

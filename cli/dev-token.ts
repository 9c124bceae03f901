// `fulgor dev-token`: prints a token from the development OIDC issuer (trusted only by `fulgor serve --dev`).
import { join } from 'node:path';
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createMissingDevKeys } from '../ca/dev-keys.js';
import { KEY_FILES, loadKeys } from '../config/keys-dir.js';
import { DEV_TOKEN_TYPES, type DevTokenType } from '../oidc/dev-claims.js';
import { mintToken } from '../oidc/dev-issuer.js';
import { devIssuerUrl } from '../server/serve.js';
import { flag, listFlag, type Flags } from './flags.js';

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
  const type = (flag(flags, 'type') ?? 'github') as DevTokenType;
  if (!DEV_TOKEN_TYPES.includes(type)) throw new Error(`--type must be one of ${DEV_TOKEN_TYPES.join(', ')}`);
  const keysDir = flag(flags, 'keys-dir') ?? 'keys-dev';
  await createMissingDevKeys(keysDir);
  loadKeys(keysDir);
  const privateKey = createPrivateKey(readFileSync(join(keysDir, KEY_FILES.devOidcKey), 'utf8'));
  const caUrl = flag(flags, 'ca-url') ?? 'http://127.0.0.1:8080';
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

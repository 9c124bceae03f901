// Reaching a key in a PKCS#11 token: resolve the module and PIN (URI first, then FULGOR_PKCS11_MODULE and
// FULGOR_PKCS11_PIN), find the one token the URI selects, log in, and find the one private key it names.
// Every error names the token and key by label, and the PIN only by where it came from.
import { acquireModule, ckrCode, type Attribute, type Handle, type Pkcs11Module } from './pkcs11-module.js';
import { KeyError } from './errors.js';
import type { Pkcs11KeyRef } from './key-uri.js';
import { PKCS11_MODULE_ENV, PKCS11_PIN_ENV, readSecretFile, type SecretOptions } from './secrets.js';

export interface TokenSession {
  readonly module: Pkcs11Module;
  readonly slot: Handle;
  /** The session that logged in; keep it open for as long as the login is needed. */
  readonly session: Handle;
  /** `PKCS#11 token "fulgor"`, for messages. */
  readonly where: string;
  /** Opens one more session on the same token (it shares the login). */
  openSession(): Handle;
}

const trimmed = (s: string) => s.replace(/[\s\0]+$/, '');

export async function openToken(ref: Pkcs11KeyRef, secrets: SecretOptions, opts: { readWrite?: boolean } = {}): Promise<TokenSession> {
  const env = secrets.env ?? process.env;
  const modulePath = ref.modulePath ?? (env[PKCS11_MODULE_ENV] || undefined);
  if (!modulePath)
    throw new KeyError(`${ref.display}: no PKCS#11 module; add module-path=/path/to/module.so to the URI or set ${PKCS11_MODULE_ENV}`);
  // Read the PIN before touching the module, so that a missing PIN file fails fast and cleanly.
  const pin = ref.pinFile
    ? { value: await readSecretFile(ref.pinFile, 'PIN file'), source: `PIN file ${ref.pinFile}` }
    : ref.pinValue !== undefined
      ? { value: ref.pinValue, source: 'the pin-value in the URI' }
      : env[PKCS11_PIN_ENV]
        ? { value: env[PKCS11_PIN_ENV], source: PKCS11_PIN_ENV }
        : undefined;

  const module = acquireModule(modulePath);
  const { api, ck } = module;
  const opened: Handle[] = [];
  try {
    const wanted: [string, string | undefined, (t: { label: string; serialNumber: string; manufacturerID: string; model: string }) => string][] = [
      ['token', ref.token, (t) => t.label],
      ['serial', ref.serial, (t) => t.serialNumber],
      ['manufacturer', ref.manufacturer, (t) => t.manufacturerID],
      ['model', ref.model, (t) => t.model],
    ];
    const selector = wanted.filter(([, v]) => v !== undefined).map(([n, v]) => `${n}=${JSON.stringify(v)}`).join(' ') || 'any token';
    const seen: string[] = [];
    const matches: { slot: Handle; label: string; flags: number }[] = [];
    for (const slot of api.C_GetSlotList(true)) {
      const info = api.C_GetTokenInfo(slot);
      if (!(info.flags & ck.CKF_TOKEN_INITIALIZED)) continue;
      const label = trimmed(info.label);
      seen.push(JSON.stringify(label));
      if (wanted.every(([, v, get]) => v === undefined || trimmed(get(info)) === v)) matches.push({ slot, label, flags: info.flags });
    }
    if (matches.length === 0)
      throw new KeyError(
        `no PKCS#11 token matches ${selector} in module ${modulePath} (tokens present: ${seen.length ? seen.sort().join(', ') : 'none'})`,
      );
    if (matches.length > 1)
      throw new KeyError(`${matches.length} PKCS#11 tokens match ${selector} in module ${modulePath}; add serial= to the URI to pick one`);
    const { slot, label, flags } = matches[0]!;
    const where = `PKCS#11 token ${JSON.stringify(label)}`;
    const sessionFlags = ck.CKF_SERIAL_SESSION | (opts.readWrite ? ck.CKF_RW_SESSION : 0);
    const openSession = () => api.C_OpenSession(slot, sessionFlags);
    const session = openSession();
    opened.push(session);
    if (pin) {
      try {
        api.C_Login(session, ck.CKU_USER, pin.value);
      } catch (e) {
        const code = ckrCode(e);
        if (code !== ck.CKR_USER_ALREADY_LOGGED_IN) {
          if (code === ck.CKR_PIN_INCORRECT || code === ck.CKR_PIN_LEN_RANGE)
            throw new KeyError(`${where}: wrong PIN (from ${pin.source})`);
          if (code === ck.CKR_PIN_LOCKED) throw new KeyError(`${where}: the user PIN is locked (too many wrong PINs); the security officer must reset it`);
          if (code === ck.CKR_PIN_EXPIRED) throw new KeyError(`${where}: the user PIN has expired; set a new one`);
          throw new KeyError(`${where}: login failed (${e instanceof Error ? e.message : String(e)})`);
        }
      }
    } else if (flags & ck.CKF_LOGIN_REQUIRED) {
      throw new KeyError(`${where} needs a PIN: add pin-source=file:PATH to the URI or set ${PKCS11_PIN_ENV}`);
    }
    return { module, slot, session, where, openSession };
  } catch (e) {
    for (const s of opened) closeQuietly(module, s);
    module.release();
    throw e;
  }
}

export function closeQuietly(module: Pkcs11Module, session: Handle): void {
  try {
    module.api.C_CloseSession(session);
  } catch {
    // already closed (token removed, module finalized): nothing left to release
  }
}

export function findObjects(module: Pkcs11Module, session: Handle, template: Attribute[], max = 16): Handle[] {
  module.api.C_FindObjectsInit(session, template);
  try {
    return module.api.C_FindObjects(session, max);
  } finally {
    module.api.C_FindObjectsFinal(session);
  }
}

/** One attribute's bytes, or undefined when the object does not have it. */
export function attribute(module: Pkcs11Module, session: Handle, object: Handle, type: number): Buffer | undefined {
  try {
    const value = module.api.C_GetAttributeValue(session, object, [{ type }])[0]?.value;
    return Buffer.isBuffer(value) ? value : undefined;
  } catch (e) {
    if (ckrCode(e) === module.ck.CKR_ATTRIBUTE_TYPE_INVALID) return undefined;
    throw e;
  }
}

/** CK_ULONG attribute values arrive as native-endian bytes. */
export const ulong = (b: Buffer | undefined): number | undefined =>
  b === undefined || b.length === 0 ? undefined : b.length === 8 ? Number(b.readBigUInt64LE()) : b.readUIntLE(0, Math.min(b.length, 6));

/** `object "issuing-ca" id 01ab`: how a key is named in messages. */
export function describeKey(ref: { object?: string; id?: Buffer }): string {
  const parts: string[] = [];
  if (ref.object !== undefined) parts.push(`labelled ${JSON.stringify(ref.object)}`);
  if (ref.id !== undefined) parts.push(`with id ${ref.id.toString('hex')}`);
  return parts.join(' and ');
}

/** The search template selecting the URI's key of one class: CKA_CLASS plus CKA_LABEL and/or CKA_ID. */
export function keyTemplate(module: Pkcs11Module, objectClass: number, ref: { object?: string; id?: Buffer }): Attribute[] {
  const t: Attribute[] = [{ type: module.ck.CKA_CLASS, value: objectClass }];
  if (ref.object !== undefined) t.push({ type: module.ck.CKA_LABEL, value: ref.object });
  if (ref.id !== undefined) t.push({ type: module.ck.CKA_ID, value: ref.id });
  return t;
}

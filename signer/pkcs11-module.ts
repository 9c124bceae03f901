// PKCS#11 modules through pkcs11js (PeculiarVentures' maintained N-API binding; it runs C_Sign and C_GenerateKeyPair
// on libuv's thread pool, so a token's latency never blocks the event loop). pkcs11js is an optional dependency
// (it compiles with node-gyp): it is loaded the first time a pkcs11: key is opened, and its absence is an error
// saying so. A module is loaded and C_Initialize'd once per process and path, shared by every key in it, and
// C_Finalize'd when the last key using it closes.
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { KeyError } from './errors.js';

export type Handle = Buffer;
export interface Attribute {
  readonly type: number;
  readonly value?: number | boolean | string | Buffer;
}
export interface TokenInfo {
  readonly label: string;
  readonly manufacturerID: string;
  readonly model: string;
  readonly serialNumber: string;
  readonly flags: number;
}
export interface Mechanism {
  readonly mechanism: number;
}
/** The part of pkcs11js's PKCS11 class Fulgor uses. */
export interface Pkcs11Api {
  load(path: string): void;
  close(): void;
  C_Initialize(options?: { flags?: number }): void;
  C_Finalize(): void;
  C_GetSlotList(tokenPresent: boolean): Handle[];
  C_GetTokenInfo(slot: Handle): TokenInfo;
  C_OpenSession(slot: Handle, flags: number): Handle;
  C_CloseSession(session: Handle): void;
  C_Login(session: Handle, userType: number, pin?: string): void;
  C_FindObjectsInit(session: Handle, template: Attribute[]): void;
  C_FindObjects(session: Handle, maxObjectCount: number): Handle[];
  C_FindObjectsFinal(session: Handle): void;
  C_GetAttributeValue(session: Handle, object: Handle, template: Attribute[]): Attribute[];
  C_SignInit(session: Handle, mechanism: Mechanism, key: Handle): void;
  C_SignAsync(session: Handle, data: Buffer, out: Buffer): Promise<Buffer>;
  C_GenerateKeyPairAsync(
    session: Handle,
    mechanism: Mechanism,
    publicTemplate: Attribute[],
    privateTemplate: Attribute[],
  ): Promise<{ privateKey: Handle; publicKey: Handle }>;
}

const CONSTANTS = [
  'CKF_OS_LOCKING_OK', 'CKF_SERIAL_SESSION', 'CKF_RW_SESSION', 'CKF_LOGIN_REQUIRED', 'CKF_TOKEN_INITIALIZED',
  'CKU_USER', 'CKO_PRIVATE_KEY', 'CKO_PUBLIC_KEY', 'CKK_EC', 'CKK_RSA',
  'CKA_CLASS', 'CKA_KEY_TYPE', 'CKA_LABEL', 'CKA_ID', 'CKA_TOKEN', 'CKA_PRIVATE', 'CKA_SENSITIVE', 'CKA_EXTRACTABLE',
  'CKA_SIGN', 'CKA_VERIFY', 'CKA_EC_PARAMS', 'CKA_EC_POINT', 'CKA_MODULUS', 'CKA_MODULUS_BITS', 'CKA_PUBLIC_EXPONENT',
  'CKM_ECDSA', 'CKM_SHA256_RSA_PKCS', 'CKM_EC_KEY_PAIR_GEN', 'CKM_RSA_PKCS_KEY_PAIR_GEN',
  'CKR_CRYPTOKI_ALREADY_INITIALIZED', 'CKR_USER_ALREADY_LOGGED_IN', 'CKR_PIN_INCORRECT', 'CKR_PIN_LEN_RANGE',
  'CKR_PIN_LOCKED', 'CKR_PIN_EXPIRED', 'CKR_SESSION_HANDLE_INVALID', 'CKR_SESSION_CLOSED', 'CKR_DEVICE_REMOVED',
  'CKR_TOKEN_NOT_PRESENT', 'CKR_ATTRIBUTE_TYPE_INVALID', 'CKR_MECHANISM_INVALID', 'CKR_KEY_TYPE_INCONSISTENT',
] as const;
export type Ck = Readonly<Record<(typeof CONSTANTS)[number], number>>;

interface Binding {
  readonly PKCS11: new () => Pkcs11Api;
  readonly [name: string]: unknown;
}

let binding: { readonly lib: Binding; readonly ck: Ck } | undefined;

function loadBinding(): { lib: Binding; ck: Ck } {
  if (binding) return binding;
  let lib: Binding;
  try {
    lib = createRequire(import.meta.url)('pkcs11js') as Binding;
  } catch (e) {
    throw new KeyError(
      'PKCS#11 keys need the npm package pkcs11js, which is not installed or did not build ' +
        `(${e instanceof Error ? e.message.split('\n')[0] : String(e)}); it compiles with node-gyp: install python3, make and g++, then run npm install`,
    );
  }
  const ck: Record<string, number> = {};
  for (const name of CONSTANTS) {
    const v = lib[name];
    if (typeof v !== 'number') throw new KeyError(`this pkcs11js version lacks ${name}`);
    ck[name] = v;
  }
  binding = { lib, ck: ck as Ck };
  return binding;
}

/** The PKCS#11 return-value name of a pkcs11js error (CKR_PIN_INCORRECT), or undefined for other errors. */
export function ckrCode(e: unknown): number | undefined {
  return e instanceof Error && /^CKR_/.test(e.message) && typeof (e as { code?: unknown }).code === 'number'
    ? (e as unknown as { code: number }).code
    : undefined;
}

export interface Pkcs11Module {
  readonly api: Pkcs11Api;
  readonly ck: Ck;
  readonly path: string;
  /** Drops this user's reference; the last one finalizes and unloads the module. */
  release(): void;
}

const loaded = new Map<string, { api: Pkcs11Api; refs: number }>();

export function acquireModule(path: string): Pkcs11Module {
  const { lib, ck } = loadBinding();
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    throw new KeyError(`PKCS#11 module ${path} does not exist`);
  }
  let entry = loaded.get(real);
  if (!entry) {
    const api = new lib.PKCS11();
    try {
      api.load(real);
    } catch (e) {
      throw new KeyError(`PKCS#11 module ${path} cannot be loaded (${e instanceof Error ? e.message : String(e)})`);
    }
    try {
      api.C_Initialize({ flags: ck.CKF_OS_LOCKING_OK });
    } catch (e) {
      if (ckrCode(e) !== ck.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        api.close();
        throw new KeyError(`PKCS#11 module ${path} failed to initialize (${e instanceof Error ? e.message : String(e)})`);
      }
    }
    entry = { api, refs: 0 };
    loaded.set(real, entry);
  }
  entry.refs++;
  const held = entry;
  let released = false;
  return {
    api: held.api,
    ck,
    path,
    release() {
      if (released) return;
      released = true;
      if (--held.refs > 0) return;
      loaded.delete(real);
      try {
        held.api.C_Finalize();
      } finally {
        held.api.close();
      }
    },
  };
}

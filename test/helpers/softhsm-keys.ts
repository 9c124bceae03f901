// Moves a keys directory's issuing CA key and CT log key into a throwaway SoftHSM2 token: each key file is imported
// (softhsm2-util), deleted, and replaced by a .key.uri file holding its pkcs11: URI with the PIN in a file, as an
// operator would set up an HSM (README "Production keys"). Skip with softhsmMissing() when softhsm2 is absent.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KEY_FILES, KEY_URI_FILES } from '../../config/keys-dir.js';
import { createSoftHsm, SOFTHSM_MODULE, type SoftHsm } from '../../signer/softhsm.js';

export const TOKEN = 'fulgor';
const PIN = '27182818';

export interface KeysInToken {
  readonly hsm: SoftHsm;
  readonly caKeyUri: string;
  readonly ctKeyUri: string;
  close(): Promise<void>;
}

export async function moveKeysIntoSoftHsm(keysDir: string): Promise<KeysInToken> {
  const hsm = await createSoftHsm();
  try {
    const pinFile = join(hsm.dir, 'pin');
    await writeFile(pinFile, `${PIN}\n`, { mode: 0o600 });
    await hsm.initToken(TOKEN, PIN);
    const uri = (object: string) => `pkcs11:token=${TOKEN};object=${object}?module-path=${SOFTHSM_MODULE}&pin-source=file:${pinFile}`;
    const move = async (pem: string, uriFile: string, object: string, id: string) => {
      await hsm.importKey(join(keysDir, pem), TOKEN, object, id, PIN);
      await rm(join(keysDir, pem));
      await writeFile(join(keysDir, uriFile), `${uri(object)}\n`);
    };
    await move(KEY_FILES.caKey, KEY_URI_FILES.caKey, 'issuing-ca', '01');
    await move(KEY_FILES.ctKey, KEY_URI_FILES.ctKey, 'ctlog', '02');
    return { hsm, caKeyUri: uri('issuing-ca'), ctKeyUri: uri('ctlog'), close: () => hsm.close() };
  } catch (e) {
    await hsm.close();
    throw e;
  }
}

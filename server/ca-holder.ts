// The issuing CA in force, swappable on reload (`fulgor ca rotate`, then SIGHUP). A request takes the CA current
// when it starts and keeps it to the end (its precertificate, SCT and certificate come from one CA); a swap makes the
// next request use the new CA, and the old CA's key is closed once the requests still using it have finished.
import type { CertificateAuthority } from '../ca/authority.js';

export interface CaGeneration {
  readonly ca: CertificateAuthority;
  /** Every chain verifiers need: the active chain first, then the retired ones (served by /api/v2/trustBundle). */
  readonly trustChains: readonly (readonly Buffer[])[];
  /** Lets the CA's key go (a PKCS#11 session); called once no request uses it. */
  close(): Promise<void>;
}

export interface CaHolder {
  current(): CaGeneration;
  /** Runs `fn` with the CA current now; that CA's key stays open until `fn` settles. */
  use<T>(fn: (ca: CertificateAuthority) => Promise<T>): Promise<T>;
  /** Makes `next` current; resolves once the previous CA's in-flight requests finished and its key was closed. */
  swap(next: CaGeneration): Promise<void>;
  /** Closes the current CA's key (the server is stopping; no requests are in flight). */
  close(): Promise<void>;
}

interface Slot {
  readonly generation: CaGeneration;
  inFlight: number;
  drained?: () => void;
}

export function createCaHolder(initial: CaGeneration): CaHolder {
  let slot: Slot = { generation: initial, inFlight: 0 };
  return {
    current: () => slot.generation,
    async use(fn) {
      const mine = slot;
      mine.inFlight++;
      try {
        return await fn(mine.generation.ca);
      } finally {
        mine.inFlight--;
        if (mine.inFlight === 0) mine.drained?.();
      }
    },
    async swap(next) {
      const old = slot;
      slot = { generation: next, inFlight: 0 };
      if (old.inFlight > 0) await new Promise<void>((resolve) => (old.drained = resolve));
      await old.generation.close();
    },
    close: () => slot.generation.close(),
  };
}

// Types for the one function of fs-native-extensions the file store uses (the package ships none).
declare module 'fs-native-extensions' {
  /**
   * Takes a lock on `fd` without waiting (an open-file-description lock, fcntl F_OFD_SETLK, on Linux): true when
   * granted, false when another open file description holds a conflicting lock. `length` 0 means to the end of the
   * file and beyond; the lock is exclusive unless `shared`.
   */
  export function tryLock(fd: number, offset?: number, length?: number, options?: { shared?: boolean }): boolean;
}

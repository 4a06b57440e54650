import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs'

/**
 * Files that hold members' data or keys (the SQLite database and its `-wal`/`-shm`, the
 * secrets file) are readable by the server's user only: 0600 in a folder created 0700.
 */

/**
 * Creates `dir` (and its missing parents) with mode 0700. A folder that already exists keeps
 * its mode: it may be shared (`/tmp`, a mounted volume) and is the operator's to set.
 */
export function ensurePrivateFolder(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
}

/**
 * Makes `path` a file of mode 0600: created empty when missing (an empty file is a new SQLite
 * database), tightened when an earlier version left it readable by others. A file owned by
 * another user is left as it is (only its owner may change its mode).
 */
export function ensurePrivateFile(path: string): void {
  try {
    closeSync(openSync(path, 'wx', 0o600))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
  restrictFile(path)
}

/** Sets an existing file's mode to 0600 when group or others have any access to it. */
export function restrictFile(path: string): void {
  if (!existsSync(path) || (statSync(path).mode & 0o077) === 0) return
  try {
    chmodSync(path, 0o600)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err
  }
}

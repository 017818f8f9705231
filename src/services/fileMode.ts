import * as fs from "node:fs"

/**
 * Keeps a file that holds tokens private: one we own loses every group and
 * other bit (0644 → 0600, 0444 → 0400), as gh writes its hosts file 0600 and
 * OpenSSH refuses a key others can read. One we do not own is left alone and
 * named in the warning returned, with the fix; a missing file is nothing.
 */
export const keepPrivate = (file: string): string | undefined => {
  let st: fs.Stats | undefined
  try {
    st = fs.statSync(file, { throwIfNoEntry: false })
  } catch {
    return undefined
  }
  if (st === undefined || !st.isFile() || (st.mode & 0o077) === 0) return undefined
  const mode = (st.mode & 0o777).toString(8).padStart(4, "0")
  const uid = process.getuid?.()
  if (uid !== undefined && st.uid === uid) {
    try {
      fs.chmodSync(file, st.mode & 0o700)
      return undefined
    } catch {
      // A file system that keeps no modes (or refuses): say so below.
    }
  }
  return `${file} holds tokens and other users may read it (mode ${mode}), and it is not ours to change: run 'chmod 600 ${file}' as its owner`
}

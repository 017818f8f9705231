/**
 * What a failed file-system or socket call means, in the words every message
 * of fazt remote uses: one table, so "permission denied" or "the disk is
 * full" reads the same whether the database, the old config, a deploy's
 * folder or the node's listening socket met it.
 */
const reasons: { readonly [code: string]: string } = {
  EACCES: "permission denied",
  EPERM: "permission denied",
  ENOENT: "it does not exist",
  ENOTDIR: "a part of its path is a file, not a folder",
  EISDIR: "it is a folder, not a file",
  EEXIST: "it already exists",
  ENOSPC: "the disk is full",
  EDQUOT: "the disk quota is used up",
  EROFS: "the file system is read-only",
  EIO: "a disk I/O error (the disk may be failing)",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "the name is too long",
  EMFILE: "too many files are open",
  ENFILE: "too many files are open",
  EBUSY: "it is busy",
  EADDRINUSE: "the port is in use",
  EADDRNOTAVAIL: "the address is not one of this machine's"
}

/** The errno code (`ENOENT`, `EACCES`…) a Node error carries, if any. */
export const errnoCode = (cause: unknown): string | undefined =>
  typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string"
    ? cause.code
    : undefined

/**
 * A short reason for `cause`: the caller's own words for a code where its
 * context says more (`overrides`), else the shared table, else the first
 * line of the error's message.
 */
export const describeErrno = (cause: unknown, overrides: { readonly [code: string]: string } = {}): string => {
  const code = errnoCode(cause)
  const known = code === undefined ? undefined : (overrides[code] ?? reasons[code])
  if (known !== undefined) return known
  const message = cause instanceof Error ? cause.message : String(cause)
  return message.split("\n")[0] || code || "unknown failure"
}

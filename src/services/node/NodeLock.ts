import Sqlite from "better-sqlite3"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as os from "node:os"
import type { DatabaseError } from "../../domain/errors.js"
import { NodeAlreadyRunning } from "../../domain/errors.js"
import { errnoCode } from "../../domain/errno.js"
import { Database } from "../db/Database.js"

/** The lock file beside a node's database. */
export const lockPathOf = (database: string): string => `${database}-node.lock`

/**
 * One node per database. The lock is an exclusive SQLite lock (POSIX fcntl
 * underneath) on `<database>-node.lock`, an empty file, held for as long as
 * the node runs: the kernel drops it when the process ends however it ends,
 * so a crash never leaves it stuck, and the file itself is never removed
 * (removing it would let two nodes lock two different files). PostgreSQL
 * refuses a second server on one data folder the same way.
 *
 * Who holds it is written to the database (`fazt_remote_node`) for the
 * refusal's message; the lock alone decides. A folder where the lock file
 * cannot be made (read-only) gets no lock: no node can write there either.
 */
export const acquire: Effect.Effect<
  { readonly announce: (url: string) => Effect.Effect<void> },
  NodeAlreadyRunning | DatabaseError,
  Database | Scope.Scope
> = Effect.gen(function* () {
  const db = yield* Database
  const lockPath = lockPathOf(db.path)
  const handle = yield* Effect.acquireRelease(
    Effect.sync(() => {
      try {
        fs.closeSync(fs.openSync(lockPath, "a", 0o600))
      } catch (e) {
        const code = errnoCode(e)
        if (code === "EACCES" || code === "EROFS" || code === "EPERM") return undefined
        throw e
      }
      const h = new Sqlite(lockPath, { timeout: 0 })
      try {
        h.exec("BEGIN EXCLUSIVE")
        return h
      } catch (e) {
        h.close()
        if (String((e as { code?: unknown }).code).startsWith("SQLITE_BUSY")) return "held" as const
        throw e
      }
    }),
    (h) => Effect.sync(() => typeof h === "object" && h.close())
  )
  if (handle === "held") {
    const rows = yield* db.all<{ pid: number; url: string | null; started_at: string }>(
      "SELECT pid, url, started_at FROM fazt_remote_node WHERE id = 1"
    ).pipe(Effect.orElseSucceed(() => []))
    const holder = rows[0]
    return yield* new NodeAlreadyRunning({
      database: db.path,
      ...(holder ? { pid: holder.pid, since: holder.started_at, ...(holder.url ? { url: holder.url } : {}) } : {})
    })
  }
  const record = (url: string | null) =>
    db.run(
      `INSERT INTO fazt_remote_node (id, pid, host, url, started_at) VALUES (1, ?, ?, ?, datetime('now'))
       ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, host = excluded.host, url = excluded.url,
         started_at = CASE WHEN excluded.url IS NULL THEN excluded.started_at ELSE fazt_remote_node.started_at END`,
      [process.pid, os.hostname(), url]
    ).pipe(Effect.ignore)
  if (handle !== undefined) yield* record(null)
  return { announce: (url: string) => (handle === undefined ? Effect.void : record(url)) }
})

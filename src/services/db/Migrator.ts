import * as Effect from "effect/Effect"
import type { DatabaseError } from "../../domain/errors.js"
import type { MigrationSource } from "../../migrations/index.js"
// Only the type: the runner is a function over an open database, which
// `Database.layer` calls on open (so this module never imports it back).
import type { Database } from "./Database.js"

export type { MigrationSource }

/** What `apply` did: the versions it ran, in order. */
export interface MigrationReport {
  readonly applied: ReadonlyArray<{ readonly version: number; readonly name: string }>
}

/*
 * fazt's migration runner, spoken from TypeScript: the same `migrations`
 * table (created with fazt's DDL), a version present there is never run
 * again, and a version we apply is recorded the way fazt records its own, so
 * fazt and this tool can take turns on one file.
 */

// Byte-for-byte fazt's own statement (internal/database/db.go).
const CREATE_MIGRATIONS = `
	CREATE TABLE IF NOT EXISTS migrations (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		version INTEGER UNIQUE NOT NULL,
		name TEXT NOT NULL,
		applied_at DATETIME DEFAULT CURRENT_TIMESTAMP
	);
	`

const hasTable = (db: Database.Service) =>
  db.all<{ n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'migrations'").pipe(
    Effect.map((rows) => (rows[0]?.n ?? 0) > 0)
  )

/** The versions recorded in the `migrations` table (none when it is missing). */
export const appliedVersions = (db: Database.Service): Effect.Effect<ReadonlySet<number>, DatabaseError> =>
  Effect.gen(function* () {
    if (!(yield* hasTable(db))) return new Set<number>()
    const rows = yield* db.all<{ version: number }>("SELECT version FROM migrations")
    return new Set(rows.map((r) => Number(r.version)))
  })

/** Applies, in version order, each migration not yet recorded; each one and its record in one transaction. */
export const apply = (db: Database.Service, list: ReadonlyArray<MigrationSource>): Effect.Effect<MigrationReport, DatabaseError> =>
  Effect.gen(function* () {
    const sql = db.sql
    const sorted = [...list].sort((a, b) => a.version - b.version)
    // Fast path: nothing to do takes no write lock at all.
    const before = yield* appliedVersions(db)
    if (sorted.every((m) => before.has(m.version))) return { applied: [] }
    const applied: Array<{ version: number; name: string }> = []
    for (const migration of sorted) {
      if (before.has(migration.version)) continue
      // Check again under the write lock: another process may have won the race.
      const ran = yield* db.transaction(
        Effect.gen(function* () {
          yield* db.exec(CREATE_MIGRATIONS)
          const rows = yield* sql<{ n: number }>`SELECT count(*) AS n FROM migrations WHERE version = ${migration.version}`
          if ((rows[0]?.n ?? 0) > 0) return false
          yield* db.exec(migration.sql)
          yield* sql`INSERT INTO migrations (version, name) VALUES (${migration.version}, ${migration.name})`
          return true
        })
      )
      if (ran) applied.push({ version: migration.version, name: migration.name })
    }
    return { applied }
  })

import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { DatabaseError } from "../../domain/errors.js"
import type { MigrationSource } from "../../migrations/index.js"
import { Database } from "./Database.js"

export type { MigrationSource }

/** What `apply` did: the versions it ran, in order. */
export interface MigrationReport {
  readonly applied: ReadonlyArray<{ readonly version: number; readonly name: string }>
}

/**
 * fazt's migration runner, spoken from TypeScript: the same `migrations`
 * table (created with fazt's DDL), a version present there is never run
 * again, and a version we apply is recorded the way fazt records its own, so
 * fazt and this tool can take turns on one file.
 */
export declare namespace Migrator {
  export interface Service {
    readonly apply: (list: ReadonlyArray<MigrationSource>) => Effect.Effect<MigrationReport, DatabaseError>
    readonly appliedVersions: Effect.Effect<ReadonlySet<number>, DatabaseError>
  }
}

// Byte-for-byte fazt's own statement (internal/database/db.go).
const CREATE_MIGRATIONS = `
	CREATE TABLE IF NOT EXISTS migrations (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		version INTEGER UNIQUE NOT NULL,
		name TEXT NOT NULL,
		applied_at DATETIME DEFAULT CURRENT_TIMESTAMP
	);
	`

export const make: Effect.Effect<Migrator.Service, never, Database> = Effect.gen(function* () {
  const db = yield* Database
  const sql = db.sql

  const hasTable = db.use(
    sql<{ n: number }>`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'migrations'`
  ).pipe(Effect.map((rows) => (rows[0]?.n ?? 0) > 0))

  const appliedVersions = Effect.gen(function* () {
    if (!(yield* hasTable)) return new Set<number>()
    const rows = yield* db.use(sql<{ version: number }>`SELECT version FROM migrations`)
    return new Set(rows.map((r) => Number(r.version)))
  })

  const apply = (list: ReadonlyArray<MigrationSource>) =>
    Effect.gen(function* () {
      const sorted = [...list].sort((a, b) => a.version - b.version)
      // Fast path: nothing to do takes no write lock at all.
      const before = yield* appliedVersions
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

  return { apply, appliedVersions }
})

export class Migrator extends Context.Tag("fazt/Migrator")<Migrator, Migrator.Service>() {
  static readonly layer: Layer.Layer<Migrator, never, Database> = Layer.effect(Migrator, make)
}

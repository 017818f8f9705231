import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import { Database } from "../../src/services/db/Database.js"
import { Migrator } from "../../src/services/db/Migrator.js"
import { FIXTURE_DB } from "../support/cli.js"
import { tempDbFile } from "../support/layers.js"
import { query, snapshot } from "../support/sqlite.js"

const withMigrator = (filename: string) => Migrator.layer.pipe(Layer.provideMerge(Database.layerUnmigrated({ filename })))

describe("Migrator", () => {
  it.live("creates fazt's migrations table and records version 9 'peers' once", () =>
    Effect.gen(function* () {
      const file = tempDbFile()
      const program = Effect.flatMap(Migrator, (m) => m.apply([{ version: 9, name: "peers", sql: "CREATE TABLE IF NOT EXISTS peers (id TEXT)" }]))
      const first = yield* program.pipe(Effect.provide(withMigrator(file)))
      const second = yield* program.pipe(Effect.provide(withMigrator(file)))
      expect(first.applied).toEqual([{ version: 9, name: "peers" }])
      expect(second.applied).toEqual([])
      const ddl = query<{ sql: string }>(file, "SELECT sql FROM sqlite_master WHERE name = 'migrations'")[0]!.sql
      expect(ddl.replace(/\s+/g, " ")).toBe(
        "CREATE TABLE migrations ( id INTEGER PRIMARY KEY AUTOINCREMENT, version INTEGER UNIQUE NOT NULL, name TEXT NOT NULL, applied_at DATETIME DEFAULT CURRENT_TIMESTAMP )"
      )
    }))

  it.live("skips versions fazt already applied and rolls back a failing one entirely", () =>
    Effect.gen(function* () {
      const file = tempDbFile()
      fs.copyFileSync(FIXTURE_DB, file)
      const before = snapshot(file)
      const report = yield* Effect.flatMap(Migrator, (m) => m.apply([{ version: 9, name: "peers", sql: "DROP TABLE peers" }])).pipe(
        Effect.provide(withMigrator(file))
      )
      expect(report.applied).toEqual([])
      const failing = yield* Effect.flip(
        Effect.flatMap(Migrator, (m) =>
          m.apply([{ version: 1001, name: "broken", sql: "CREATE TABLE fazt_remote_tmp (x); SELECT nonsense FROM nowhere;" }])
        ).pipe(Effect.provide(withMigrator(file)))
      )
      expect(failing._tag).toBe("DatabaseError")
      expect(snapshot(file)).toEqual(before)
    }))
})

import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import { Database } from "../../src/services/db/Database.js"
import * as Migrator from "../../src/services/db/Migrator.js"
import { FIXTURE_DB } from "../support/cli.js"
import { tempDbFile } from "../support/layers.js"
import { query, snapshot } from "../support/sqlite.js"

/** Runs the migrations on the file opened without any, as `Database.layer` does on open. */
const migrate = (filename: string, list: ReadonlyArray<Migrator.MigrationSource>) =>
  Effect.flatMap(Database, (db) => Migrator.apply(db, list)).pipe(Effect.provide(Database.layerUnmigrated({ filename })))

describe("Migrator", () => {
  it.live("creates fazt's migrations table and records version 9 'peers' once", () =>
    Effect.gen(function* () {
      const file = tempDbFile()
      const peers = [{ version: 9, name: "peers", sql: "CREATE TABLE IF NOT EXISTS peers (id TEXT)" }]
      const first = yield* migrate(file, peers)
      const second = yield* migrate(file, peers)
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
      const report = yield* migrate(file, [{ version: 9, name: "peers", sql: "DROP TABLE peers" }])
      expect(report.applied).toEqual([])
      const failing = yield* Effect.flip(
        migrate(file, [{ version: 1001, name: "broken", sql: "CREATE TABLE fazt_remote_tmp (x); SELECT nonsense FROM nowhere;" }])
      )
      expect(failing._tag).toBe("DatabaseError")
      expect(snapshot(file)).toEqual(before)
    }))
})

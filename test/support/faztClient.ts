// What fazt v0.29's own client does to the database before each client
// command, replayed step by step from its source (fazt-sh/fazt at v0.29.0),
// so tests can run fazt and fazt remote one after the other over one HOME:
// - `internal/database/path.go` ResolvePath: the --db flag, FAZT_DB_PATH,
//   then ~/.fazt/data.db, a leading "~/" expanded;
// - `cmd/server/main.go` getClientDB: database.Init (fazt's migrations), then
//   remote.MigrateOldConfig, then migrateLegacyClientDB;
// - `internal/remote/migrate.go` MigrateOldConfig;
// - `cmd/server/main.go` migrateLegacyClientDB.
// Written from reading that code, not copied; each step names its line of thought.
import Sqlite from "better-sqlite3"
import * as fs from "node:fs"
import * as path from "node:path"
import { FIXTURE_DB } from "./cli.js"

export interface FaztEnv {
  readonly home: string
  readonly FAZT_DB_PATH?: string | undefined
}

const expand = (file: string, home: string) => (file.startsWith("~/") ? path.join(home, file.slice(2)) : file)

/** ResolvePath(explicit): --db, FAZT_DB_PATH, ~/.fazt/data.db. */
export const faztResolvePath = (env: FaztEnv, explicit = ""): string => {
  if (explicit !== "") return expand(explicit, env.home)
  if (env.FAZT_DB_PATH !== undefined && env.FAZT_DB_PATH !== "") return expand(env.FAZT_DB_PATH, env.home)
  return expand("~/.fazt/data.db", env.home)
}

/**
 * database.Init on a missing file runs every fazt migration. A copy of the
 * fixture (a file fazt v0.29.0's migrations made) with its rows of peers and
 * keys removed stands for a fresh one.
 */
const faztInit = (file: string): void => {
  if (fs.existsSync(file)) return
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.copyFileSync(FIXTURE_DB, file)
  const db = new Sqlite(file)
  db.exec("DELETE FROM peers; DELETE FROM api_keys;")
  db.close()
}

/** remote.MigrateOldConfig: every server not yet a peer, as it is, with fazt's description; renamed only when one was imported. */
export const faztMigrateOldConfig = (db: Sqlite.Database, env: FaztEnv): number => {
  const oldPath = path.join(env.home, ".fazt", "config.json")
  if (!fs.existsSync(oldPath)) return 0
  let config: { default_server?: string; servers?: Record<string, { url?: string; token?: string }> }
  try {
    config = JSON.parse(fs.readFileSync(oldPath, "utf8"))
  } catch {
    return 0
  }
  const servers = config.servers ?? {}
  if (Object.keys(servers).length === 0) return 0
  let imported = 0
  for (const [name, server] of Object.entries(servers)) {
    if (db.prepare("SELECT 1 FROM peers WHERE name = ?").get(name) !== undefined) continue
    try {
      db.prepare("INSERT INTO peers (name, url, token, description) VALUES (?, ?, ?, ?)")
        .run(name, server.url ?? "", server.token ?? "", "Migrated from ~/.fazt/config.json")
    } catch {
      continue
    }
    // SetDefaultPeer: clears every other default, marks this one.
    if (name === config.default_server) {
      db.prepare("UPDATE peers SET is_default = 0").run()
      db.prepare("UPDATE peers SET is_default = 1 WHERE name = ?").run(name)
    }
    imported++
  }
  if (imported > 0) fs.renameSync(oldPath, `${oldPath}.migrated`)
  return imported
}

/** migrateLegacyClientDB: only into a target with no peers at all; renamed only when one was copied. */
export const faztMigrateLegacyClientDB = (db: Sqlite.Database, env: FaztEnv): number => {
  const legacyPath = path.join(env.home, ".config", "fazt", "data.db")
  if (!fs.existsSync(legacyPath)) return 0
  if (path.resolve(legacyPath) === path.resolve(faztResolvePath(env))) return 0
  const count = (db.prepare("SELECT COUNT(*) AS n FROM peers").get() as { n: number }).n
  if (count > 0) return 0
  let rows: Array<{ name: string; url: string; token: string | null; description: string | null; is_default: number }>
  const legacy = new Sqlite(legacyPath)
  try {
    rows = legacy.prepare("SELECT name, url, token, description, is_default FROM peers").all() as typeof rows
  } catch {
    legacy.close()
    return 0
  }
  legacy.close()
  let migrated = 0
  for (const r of rows) {
    try {
      // sql.NullString's .String: NULL becomes ''.
      db.prepare("INSERT INTO peers (name, url, token, description, is_default) VALUES (?, ?, ?, ?, ?)")
        .run(r.name, r.url, r.token ?? "", r.description ?? "", r.is_default)
      migrated++
    } catch {
      continue
    }
  }
  if (migrated > 0) fs.renameSync(legacyPath, `${legacyPath}.migrated`)
  return migrated
}

/** What every fazt client command (`fazt peer list`, `fazt @x app list`, …) does to the database first. */
export const faztClientCommand = (env: FaztEnv): string => {
  const file = faztResolvePath(env)
  faztInit(file)
  const db = new Sqlite(file)
  try {
    faztMigrateOldConfig(db, env)
    faztMigrateLegacyClientDB(db, env)
  } finally {
    db.close()
  }
  return file
}

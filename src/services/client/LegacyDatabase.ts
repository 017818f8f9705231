import Sqlite from "better-sqlite3"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import * as path from "node:path"
import type { DatabaseError } from "../../domain/errors.js"
import { describeErrno, errnoCode } from "../../domain/errno.js"
import { Database, legacyClientPaths, specialFileKind } from "../db/Database.js"
import { keepPrivate } from "../fileMode.js"
import { type AdoptedPeer, PeerStore, storedText } from "./PeerStore.js"

/**
 * The database fazt remote used before it shared fazt's own file
 * (`~/.config/fazt/data.db`, or `$XDG_CONFIG_HOME/fazt/data.db`), brought
 * into the database in use the way fazt v0.29 brings it over
 * (`cmd/server/main.go` `migrateLegacyClientDB`: copy the peers, then rename
 * the old file to `data.db.migrated`), but losing nothing: fazt copies only
 * into a file with no peers at all, we copy every peer whose name is not
 * there yet, keep the target's default, and rename the old file only once
 * every one of its peers is in the target.
 */
export type LegacyDatabaseImport =
  | { readonly _tag: "Absent"; readonly path: string }
  | { readonly _tag: "Unreadable"; readonly path: string; readonly reason: string }
  | {
    readonly _tag: "Imported"
    readonly path: string
    /** Names added to the database in use. */
    readonly imported: ReadonlyArray<string>
    /** Names it already had, left as they were. */
    readonly kept: ReadonlyArray<string>
    readonly defaultPeer: string | null
    /** Where the old file went, or null when it stayed (`stayedBecause`). */
    readonly renamedTo: string | null
    readonly stayedBecause: string | null
  }

export declare namespace LegacyDatabase {
  export interface Service {
    /** The old files looked for, minus the database in use. */
    readonly paths: ReadonlyArray<string>
    /** Brings each old file's peers over, once; safe to repeat after a crash at any point. */
    readonly importIfPresent: Effect.Effect<ReadonlyArray<LegacyDatabaseImport>, DatabaseError>
  }
}

interface OldFile {
  readonly peers: ReadonlyArray<AdoptedPeer>
  readonly defaultPeer: string | null
  /** Tables other than the peers' that hold rows: the file is more than a client's, so it stays. */
  readonly otherData: ReadonlyArray<string>
}

type PeerRow = { name: unknown; url: unknown; token: unknown; description: unknown; is_default: unknown }

const HEADER = Buffer.from("SQLite format 3\0", "latin1")
const text = (value: unknown): string | null => storedText(value as Parameters<typeof storedText>[0])

/** The old file's peers, read without creating anything; `undefined` when it is not there. */
const readOldFile = (file: string): OldFile | undefined => {
  const stat = fs.statSync(file, { throwIfNoEntry: false })
  if (stat === undefined) return undefined
  const special = specialFileKind(stat)
  if (special !== undefined) throw Object.assign(new Error(`it is ${special}`), { code: "FAZT_NOT_A_FILE" })
  if (stat.isDirectory()) throw Object.assign(new Error("it is a folder"), { code: "FAZT_NOT_A_FILE" })
  if (stat.size === 0) return { peers: [], defaultPeer: null, otherData: [] }
  // Non-blocking, in case a FIFO was swapped in since the stat.
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
  try {
    const head = Buffer.alloc(HEADER.length)
    const read = fs.readSync(fd, head, 0, head.length, 0)
    if (read < HEADER.length || !head.equals(HEADER)) {
      throw Object.assign(new Error("not a SQLite database"), { code: "FAZT_NOT_A_FILE" })
    }
  } finally {
    fs.closeSync(fd)
  }
  // Read-write when allowed, so what sits in its WAL is read and folded in as it closes.
  let db: Sqlite.Database
  try {
    db = new Sqlite(file, { fileMustExist: true, timeout: 5000 })
  } catch {
    db = new Sqlite(file, { fileMustExist: true, readonly: true, timeout: 5000 })
  }
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as Array<{ name: string }>
    const otherData = tables
      .map((t) => t.name)
      .filter((name) => name !== "peers" && name !== "migrations")
      .filter((name) => db.prepare(`SELECT 1 FROM "${name.replace(/"/g, '""')}" LIMIT 1`).get() !== undefined)
    if (!tables.some((t) => t.name === "peers")) return { peers: [], defaultPeer: null, otherData }
    const rows = db.prepare("SELECT name, url, token, description, is_default FROM peers ORDER BY rowid").all() as Array<PeerRow>
    const peers = rows.flatMap((r): Array<AdoptedPeer> => {
      const name = text(r.name)
      return name === null
        ? []
        : [{ name, url: text(r.url) ?? "", token: text(r.token), description: text(r.description) }]
    })
    const marked = rows.find((r) => r.is_default !== null && Number(r.is_default) === 1)
    const defaultPeer = marked !== undefined ? text(marked.name) : peers.length === 1 ? peers[0]!.name : null
    return { peers, defaultPeer, otherData }
  } finally {
    db.close()
  }
}

/** Renames the old file as fazt does. */
const renameAway = (file: string): { readonly renamedTo: string | null; readonly stayedBecause: string | null } => {
  // Committed rows still in a WAL another process holds open would not follow the file.
  const wal = fs.statSync(`${file}-wal`, { throwIfNoEntry: false })
  if (wal !== undefined && wal.size > 0) {
    return { renamedTo: null, stayedBecause: "another program has it open; it is renamed on a later run" }
  }
  const renamedTo = `${file}.migrated`
  try {
    fs.renameSync(file, renamedTo)
  } catch (e) {
    // Another run renamed it a moment ago.
    if (errnoCode(e) === "ENOENT") return { renamedTo, stayedBecause: null }
    return { renamedTo: null, stayedBecause: `it could not be renamed: ${describeErrno(e)}` }
  }
  for (const sidecar of ["-wal", "-shm"]) {
    const leftover = fs.statSync(`${file}${sidecar}`, { throwIfNoEntry: false })
    if (leftover !== undefined && leftover.size === 0) fs.rmSync(`${file}${sidecar}`, { force: true })
  }
  return { renamedTo, stayedBecause: null }
}

export const makeFrom = (
  candidates: ReadonlyArray<string>
): Effect.Effect<LegacyDatabase.Service, never, Database | PeerStore> =>
  Effect.gen(function* () {
    const db = yield* Database
    const store = yield* PeerStore
    // The same file under another name (a symbolic link) is the database in use, not an old one.
    const real = (file: string) => {
      try {
        return fs.realpathSync(file)
      } catch {
        return path.resolve(file)
      }
    }
    const inUse = real(db.path)
    const paths = candidates.map((p) => path.resolve(p)).filter((p) => p !== path.resolve(db.path) && real(p) !== inUse)

    const importOne = (file: string): Effect.Effect<LegacyDatabaseImport, DatabaseError> =>
      Effect.gen(function* () {
        let old: OldFile | undefined
        try {
          old = readOldFile(file)
        } catch (e) {
          const code = errnoCode(e) ?? (e as { code?: string }).code ?? ""
          const reason = code === "FAZT_NOT_A_FILE" || code.startsWith("SQLITE")
            ? (e as Error).message
            : describeErrno(e)
          return { _tag: "Unreadable", path: file, reason } as const
        }
        if (old === undefined) return { _tag: "Absent", path: file } as const
        const adoption = yield* store.adopt(old.peers, old.defaultPeer)
        const stays = old.otherData.length > 0
          ? { renamedTo: null, stayedBecause: `it holds more than peers (${old.otherData.join(", ")}), so it stays where it is` }
          : renameAway(file)
        // The renamed file holds tokens: private whenever it is ours (fileMode.ts), else one warning.
        const loose = stays.renamedTo === null ? undefined : keepPrivate(stays.renamedTo)
        if (loose !== undefined) yield* Effect.logWarning(loose)
        return { _tag: "Imported", path: file, ...adoption, ...stays } as const
      })

    return {
      paths,
      importIfPresent: Effect.forEach(paths, importOne).pipe(
        Effect.map((results) => results.filter((r) => r._tag !== "Absent"))
      )
    }
  })

/** The service for the old default files, with HOME and XDG_CONFIG_HOME read through Effect `Config`. */
export const make: Effect.Effect<LegacyDatabase.Service, never, Database | PeerStore> = Effect.flatMap(legacyClientPaths, makeFrom)

export class LegacyDatabase extends Context.Tag("fazt/LegacyDatabase")<LegacyDatabase, LegacyDatabase.Service>() {
  static readonly make = make
  static readonly layer: Layer.Layer<LegacyDatabase, never, Database | PeerStore> = Layer.effect(LegacyDatabase, make)
  static readonly layerFrom = (paths: ReadonlyArray<string>): Layer.Layer<LegacyDatabase, never, Database | PeerStore> =>
    Layer.effect(LegacyDatabase, makeFrom(paths))
}

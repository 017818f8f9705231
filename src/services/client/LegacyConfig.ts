import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import * as path from "node:path"
import type { DatabaseError } from "../../domain/errors.js"
import { describeErrno, errnoCode } from "../../domain/errno.js"
import { homeDirectory } from "../../domain/home.js"
import { keepPrivate } from "../fileMode.js"
import { tokenProblem, validatePeerName, validatePeerUrl } from "../../domain/Peer.js"
import { Database, specialFileKind } from "../db/Database.js"

/** `~/.fazt/config.json` as fazt's old client wrote it; unknown fields are ignored. */
export const LegacyConfigFile = Schema.Struct({
  version: Schema.optional(Schema.Number),
  default_server: Schema.optional(Schema.NullOr(Schema.String)),
  servers: Schema.Record({
    key: Schema.String,
    value: Schema.Struct({ url: Schema.String, token: Schema.optional(Schema.NullOr(Schema.String)) })
  })
})
export type LegacyConfigFile = typeof LegacyConfigFile.Type

export type LegacyImport =
  | { readonly _tag: "Absent"; readonly path: string }
  | { readonly _tag: "Malformed"; readonly path: string; readonly reason: string }
  | {
    readonly _tag: "Imported"
    readonly path: string
    readonly renamedTo: string | null
    /** Names added to the peers table. */
    readonly imported: ReadonlyArray<string>
    /** Names that were already peers and were left as they were. */
    readonly kept: ReadonlyArray<string>
    /** Entries `add` would refuse (bad name, URL with a password, bad token), with why; never imported. */
    readonly skipped: ReadonlyArray<SkippedEntry>
    readonly defaultPeer: string | null
    readonly renameError: string | null
  }

export interface SkippedEntry {
  readonly name: string
  /** Why; a URL in it never shows its user:password. */
  readonly reason: string
}

/** An old config larger than this is not an old config (fazt wrote a few hundred bytes). */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024

/**
 * The rules of `fazt remote add`, applied to one old entry: the URL it would
 * store, or why the entry is skipped.
 */
const admit = (
  name: string,
  server: { readonly url: string; readonly token?: string | null | undefined }
): Effect.Effect<{ readonly url: string; readonly token: string | null }, SkippedEntry> =>
  Effect.gen(function* () {
    yield* Effect.mapError(validatePeerName(name), (e) => ({ name, reason: `invalid name: ${e.reason}` }))
    const url = yield* Effect.mapError(validatePeerUrl(server.url), (e) => ({
      name,
      reason: `URL ${e.url} refused: ${e.reason}`
    }))
    const token = server.token === undefined || server.token === null || server.token === "" ? null : server.token
    const badToken = token === null ? undefined : tokenProblem(token)
    if (badToken !== undefined) return yield* Effect.fail({ name, reason: `token refused: ${badToken}` })
    return { url, token }
  })

export declare namespace LegacyConfig {
  export interface Service {
    /** Where the old file is looked for. */
    readonly path: string
    /**
     * Imports the old file when it exists, in one transaction, then renames it
     * to `config.json.migrated`. Safe to repeat after a crash at any point.
     */
    readonly importIfPresent: Effect.Effect<LegacyImport, DatabaseError>
  }
}

const readFile = (file: string): Effect.Effect<
  { readonly _tag: "Absent" } | { readonly _tag: "Malformed"; readonly reason: string } | {
    readonly _tag: "Ok"
    readonly config: LegacyConfigFile
  }
> =>
  Effect.sync(() => {
    let text: string
    try {
      // Never a blocking open: a FIFO here would hang every command, deaf to Ctrl-C.
      const stat = fs.statSync(file)
      const special = specialFileKind(stat)
      if (special !== undefined) return { _tag: "Malformed" as const, reason: `it is ${special}, not a file` }
      if (stat.isFile() && stat.size > MAX_CONFIG_BYTES) {
        return { _tag: "Malformed" as const, reason: `it is larger than ${MAX_CONFIG_BYTES} bytes` }
      }
      const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
      try {
        const kind = specialFileKind(fs.fstatSync(fd))
        if (kind !== undefined) return { _tag: "Malformed" as const, reason: `it is ${kind}, not a file` }
        text = fs.readFileSync(fd, "utf8")
      } finally {
        fs.closeSync(fd)
      }
    } catch (e) {
      const code = errnoCode(e)
      if (code === "ENOENT" || code === "ENOTDIR") return { _tag: "Absent" as const }
      return { _tag: "Malformed" as const, reason: `cannot read it: ${describeErrno(e)}` }
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      return { _tag: "Malformed" as const, reason: "it is not valid JSON" }
    }
    const decoded = Schema.decodeUnknownEither(LegacyConfigFile)(json)
    if (decoded._tag === "Left") {
      return { _tag: "Malformed" as const, reason: "it does not have the {servers: {name: {url, token}}} shape" }
    }
    return { _tag: "Ok" as const, config: decoded.right }
  })

export const makeAt = (file: string): Effect.Effect<LegacyConfig.Service, never, Database> =>
  Effect.gen(function* () {
    const db = yield* Database
    const sql = db.sql

    // The renamed old config holds every old token: private whenever it is ours (fileMode.ts).
    const privateBackup = Effect.suspend(() => {
      const loose = keepPrivate(`${file}.migrated`)
      return loose === undefined ? Effect.void : Effect.logWarning(loose)
    })

    const importIfPresent = Effect.gen(function* () {
      const read = yield* readFile(file)
      if (read._tag === "Absent") return yield* Effect.as(privateBackup, { _tag: "Absent", path: file } as const)
      if (read._tag === "Malformed") return { _tag: "Malformed", path: file, reason: read.reason } as const
      const { config } = read
      const names = Object.keys(config.servers).sort()
      const outcome = yield* db.transaction(
        Effect.gen(function* () {
          const imported: Array<string> = []
          const kept: Array<string> = []
          const skipped: Array<SkippedEntry> = []
          for (const name of names) {
            const server = config.servers[name]!
            const existing = yield* sql<{ n: number }>`SELECT count(*) AS n FROM peers WHERE name = ${name}`
            if ((existing[0]?.n ?? 0) > 0) {
              kept.push(name)
              continue
            }
            const admitted = yield* Effect.either(admit(name, server))
            if (admitted._tag === "Left") {
              skipped.push(admitted.left)
              continue
            }
            const { token, url } = admitted.right
            yield* sql`INSERT INTO peers (name, url, token, is_default, created_at, updated_at)
              VALUES (${name}, ${url}, ${token}, 0, datetime('now'), datetime('now'))`
            imported.push(name)
          }
          // The old default carries over unless the table already has one of its own.
          let defaultPeer: string | null = null
          const wanted = config.default_server ?? null
          const marked = yield* sql<{ name: string }>`SELECT name FROM peers WHERE is_default = 1`
          if (marked[0]) {
            defaultPeer = marked[0].name
          } else if (wanted !== null && (imported.includes(wanted) || kept.includes(wanted))) {
            yield* sql`UPDATE peers SET is_default = 1, updated_at = datetime('now') WHERE name = ${wanted}`
            defaultPeer = wanted
          }
          return { imported, kept, skipped, defaultPeer }
        })
      )
      const renamedTo = `${file}.migrated`
      const renameError = yield* Effect.sync(() => {
        try {
          fs.renameSync(file, renamedTo)
          return null
        } catch (e) {
          return (e as NodeJS.ErrnoException).code ?? "rename failed"
        }
      })
      yield* privateBackup
      return {
        _tag: "Imported",
        path: file,
        renamedTo: renameError === null ? renamedTo : null,
        renameError,
        ...outcome
      } as const
    })

    return { path: file, importIfPresent }
  })

/** `$HOME/.fazt/config.json`, with HOME read through Effect `Config`. */
const defaultPath = homeDirectory.pipe(
  Config.map((home) => path.join(home, ".fazt", "config.json"))
)

/** Where the old config is looked for: `$HOME/.fazt/config.json`. */
export const legacyConfigPath: Effect.Effect<string> = Effect.orDie(defaultPath)

/** The service for `$HOME/.fazt/config.json`. */
export const make: Effect.Effect<LegacyConfig.Service, never, Database> = Effect.flatMap(Effect.orDie(defaultPath), makeAt)

export class LegacyConfig extends Context.Tag("fazt/LegacyConfig")<LegacyConfig, LegacyConfig.Service>() {
  static readonly make = make
  static readonly layer: Layer.Layer<LegacyConfig, never, Database> = Layer.effect(
    LegacyConfig,
    make
  )
  static readonly layerAt = (file: string): Layer.Layer<LegacyConfig, never, Database> =>
    Layer.effect(LegacyConfig, makeAt(file))
}

import { Config, Context, Effect, Layer, Schema } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { DatabaseError } from "../domain/errors.js"
import { Database } from "./Database.js"

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
    readonly defaultPeer: string | null
    readonly renameError: string | null
  }

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
      text = fs.readFileSync(file, "utf8")
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === "ENOENT" || code === "ENOTDIR") return { _tag: "Absent" as const }
      return { _tag: "Malformed" as const, reason: `cannot read it (${code ?? "error"})` }
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

    const importIfPresent = Effect.gen(function* () {
      const read = yield* readFile(file)
      if (read._tag === "Absent") return { _tag: "Absent", path: file } as const
      if (read._tag === "Malformed") return { _tag: "Malformed", path: file, reason: read.reason } as const
      const { config } = read
      const names = Object.keys(config.servers).sort()
      const outcome = yield* db.transaction(
        Effect.gen(function* () {
          const imported: Array<string> = []
          const kept: Array<string> = []
          for (const name of names) {
            const server = config.servers[name]!
            const existing = yield* sql<{ n: number }>`SELECT count(*) AS n FROM peers WHERE name = ${name}`
            if ((existing[0]?.n ?? 0) > 0) {
              kept.push(name)
              continue
            }
            const token = server.token === undefined || server.token === "" ? null : server.token
            yield* sql`INSERT INTO peers (name, url, token, is_default, created_at, updated_at)
              VALUES (${name}, ${server.url.replace(/\/+$/, "")}, ${token}, 0, datetime('now'), datetime('now'))`
            imported.push(name)
          }
          // The old default carries over unless the table already has one of its own.
          let defaultPeer: string | null = null
          const wanted = config.default_server ?? null
          const marked = yield* sql<{ name: string }>`SELECT name FROM peers WHERE is_default = 1`
          if (marked[0]) {
            defaultPeer = marked[0].name
          } else if (wanted !== null && names.includes(wanted)) {
            yield* sql`UPDATE peers SET is_default = 1, updated_at = datetime('now') WHERE name = ${wanted}`
            defaultPeer = wanted
          }
          return { imported, kept, defaultPeer }
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
export const defaultPath = Config.nonEmptyString("HOME").pipe(
  Config.withDefault(os.homedir()),
  Config.map((home) => path.join(home, ".fazt", "config.json"))
)

export class LegacyConfig extends Context.Tag("fazt/LegacyConfig")<LegacyConfig, LegacyConfig.Service>() {
  static readonly layer: Layer.Layer<LegacyConfig, never, Database> = Layer.effect(
    LegacyConfig,
    Effect.flatMap(Effect.orDie(defaultPath), makeAt)
  )
  static readonly layerAt = (file: string): Layer.Layer<LegacyConfig, never, Database> =>
    Layer.effect(LegacyConfig, makeAt(file))
}

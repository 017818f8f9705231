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
import { tokenProblem, UNSHOWABLE, validatePeerUrl } from "../../domain/Peer.js"
import { specialFileKind } from "../db/Database.js"
import { keepPrivate } from "../fileMode.js"
import { type AdoptedPeer, PeerStore } from "./PeerStore.js"

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
    /** Entries that cannot be used safely (a name that cannot be typed or shown, a URL or token we cannot use), with why; never imported. */
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

/** fazt's description for an imported server (`internal/remote/migrate.go`). */
export const IMPORTED_DESCRIPTION = "Migrated from ~/.fazt/config.json"

/**
 * Why an old entry's name cannot be a peer's, or undefined. fazt imports every
 * name as it is (`internal/remote/migrate.go`), and so do we, except a name
 * that cannot be typed or shown safely: empty, control characters or
 * direction overrides, whitespace, a lone surrogate, or a leading `-` (read
 * as a flag) or `@` (read as `fazt @name`).
 */
export const importedNameProblem = (name: string): string | undefined => {
  if (name.length === 0) return "it is empty"
  if (name.length > 255) return "it is longer than 255 characters"
  if (UNSHOWABLE.test(name)) {
    return "it holds control characters or direction overrides"
  }
  if (/\s/.test(name)) return "it holds whitespace"
  if (/[\ud800-\udfff]/.test(name.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ""))) return "it is not valid Unicode"
  if (name.startsWith("-")) return "it starts with '-', which would be read as a flag"
  if (name.startsWith("@")) return "it starts with '@', which would be read as 'fazt @name'"
  return undefined
}

/**
 * One old entry as a peer: its name as it is (unless unsafe), its URL by the
 * rules of `add` (fazt stored it unchecked, but a URL we cannot use safely
 * is not imported: the entry is named and skipped), its token unless HTTP
 * cannot carry it.
 */
const admit = (
  name: string,
  server: { readonly url: string; readonly token?: string | null | undefined }
): Effect.Effect<AdoptedPeer, SkippedEntry> =>
  Effect.gen(function* () {
    const badName = importedNameProblem(name)
    if (badName !== undefined) return yield* Effect.fail({ name, reason: `invalid name: ${badName}` })
    const url = yield* Effect.mapError(validatePeerUrl(server.url), (e) => ({
      name,
      reason: `URL ${e.url} refused: ${e.reason}`
    }))
    const token = server.token === undefined || server.token === null || server.token === "" ? null : server.token
    const badToken = token === null ? undefined : tokenProblem(token)
    if (badToken !== undefined) return yield* Effect.fail({ name, reason: `token refused: ${badToken}` })
    return { name, url, token, description: IMPORTED_DESCRIPTION }
  })

export declare namespace LegacyConfig {
  export interface Service {
    /** Where the old file is looked for. */
    readonly path: string
    /**
     * Imports the old file when it exists, in one transaction, then renames it
     * to `config.json.migrated` when anything was imported (as fazt does: a
     * file whose every server is already a peer stays). Safe to repeat after
     * a crash at any point.
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

export const makeAt = (file: string): Effect.Effect<LegacyConfig.Service, never, PeerStore> =>
  Effect.gen(function* () {
    const store = yield* PeerStore

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
      const admitted: Array<AdoptedPeer> = []
      const skipped: Array<SkippedEntry> = []
      for (const name of names) {
        const entry = yield* Effect.either(admit(name, config.servers[name]!))
        if (entry._tag === "Left") skipped.push(entry.left)
        else admitted.push(entry.right)
      }
      const adoption = yield* store.adopt(admitted, config.default_server ?? null)
      if (adoption.imported.length === 0) {
        return { _tag: "Imported", path: file, renamedTo: null, renameError: null, skipped, ...adoption } as const
      }
      const renamedTo = `${file}.migrated`
      const renameError = yield* Effect.sync(() => {
        try {
          fs.renameSync(file, renamedTo)
        } catch (e) {
          return (e as NodeJS.ErrnoException).code ?? "rename failed"
        }
        return null
      })
      // It holds every old token: readable by its owner only, as a key file.
      yield* privateBackup
      return {
        _tag: "Imported",
        path: file,
        renamedTo: renameError === null ? renamedTo : null,
        renameError,
        skipped,
        ...adoption
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
export const make: Effect.Effect<LegacyConfig.Service, never, PeerStore> = Effect.flatMap(Effect.orDie(defaultPath), makeAt)

export class LegacyConfig extends Context.Tag("fazt/LegacyConfig")<LegacyConfig, LegacyConfig.Service>() {
  static readonly make = make
  static readonly layer: Layer.Layer<LegacyConfig, never, PeerStore> = Layer.effect(
    LegacyConfig,
    make
  )
  static readonly layerAt = (file: string): Layer.Layer<LegacyConfig, never, PeerStore> =>
    Layer.effect(LegacyConfig, makeAt(file))
}

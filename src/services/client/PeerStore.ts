import * as Context from "effect/Context"
import { notRedacted } from "../../domain/Peer.js"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { descriptionProblem, originOf, Peer, type PeerStatus, type PeerView, tokenProblem, validatePeerName, validatePeerUrl } from "../../domain/Peer.js"
import { type StoredPeer, viewStored } from "../../domain/peerView.js"
import {
  type DatabaseError,
  InvalidInput,
  InvalidToken,
  type InvalidPeerName,
  type InvalidPeerUrl,
  NoDefaultPeer,
  NoPeers,
  PeerAlreadyExists,
  PeerNotFound
} from "../../domain/errors.js"
import { Database } from "../db/Database.js"

export interface NewPeer {
  readonly name: string
  readonly url: string
  readonly token?: Redacted.Redacted<string> | null | undefined
  readonly description?: string | null | undefined
  /** Mark it default; the first peer ever added is marked regardless. */
  readonly makeDefault?: boolean | undefined
}

/**
 * What one contact revealed (docs/BOOKKEEPING.md): the health observed, if
 * the contact said anything about it, and the node's version if it gave one.
 */
export interface ContactResult {
  /** Left out when the node answered but its health is unchanged (a refused upgrade, a 429). */
  readonly status?: PeerStatus | undefined
  readonly version?: string | undefined
}

/** A peer brought over from another tool's records, stored as it was written there. */
export interface AdoptedPeer {
  readonly name: string
  readonly url: string
  /** `null` or `''`: none (as fazt stores it). */
  readonly token: string | null
  readonly description: string | null
}

/** What `adopt` did with each peer offered. */
export interface Adoption {
  /** Names added to the table. */
  readonly imported: ReadonlyArray<string>
  /** Names already in the table, left as they were. */
  readonly kept: ReadonlyArray<string>
  /** The peer marked default afterwards, or null when none is. */
  readonly defaultPeer: string | null
}

/**
 * The `peers` table. Names typed by the user are validated on the way in
 * (`add`, `rename`, `setUrl`); rows already in the file are used as they are.
 */
export declare namespace PeerStore {
  export interface Service {
  /** Every peer by name; `isDefault` is true for the effective default. */
  readonly list: Effect.Effect<ReadonlyArray<Peer>, DatabaseError>
  readonly get: (name: string) => Effect.Effect<Peer, PeerNotFound | DatabaseError>
  readonly add: (
    peer: NewPeer
  ) => Effect.Effect<Peer, InvalidPeerName | InvalidPeerUrl | InvalidToken | InvalidInput | PeerAlreadyExists | DatabaseError>
  readonly remove: (name: string) => Effect.Effect<Peer, PeerNotFound | DatabaseError>
  readonly setDefault: (name: string) => Effect.Effect<Peer, PeerNotFound | DatabaseError>
  /** The named peer, else the default: the marked one, or the only one. */
  readonly resolve: (
    name: Option.Option<string>
  ) => Effect.Effect<Peer, PeerNotFound | NoPeers | NoDefaultPeer | DatabaseError>
  readonly rename: (
    from: string,
    to: string
  ) => Effect.Effect<Peer, InvalidPeerName | PeerNotFound | PeerAlreadyExists | DatabaseError>
  /**
   * A new URL. A token is tied to its origin (as git credentials and npm's
   * `//host/:_authToken` are): moving to another origin (scheme, host or
   * port) clears it unless `keepToken`, so it is never sent to the new host
   * quietly. Same origin, another path: the token stays.
   */
  readonly setUrl: (
    name: string,
    url: string,
    options?: { readonly keepToken?: boolean | undefined }
  ) => Effect.Effect<Peer, InvalidPeerUrl | PeerNotFound | DatabaseError>
  readonly updateToken: (
    name: string,
    token: Redacted.Redacted<string> | null
  ) => Effect.Effect<Peer, InvalidToken | PeerNotFound | DatabaseError>
  /**
   * Brings over peers another tool recorded (an old config file, an old
   * database), in one transaction: each name not already present is added
   * as it was written there, without the rules of `add` (fazt never checked
   * them, and nothing a user had is dropped); a name already present keeps
   * its row. `preferredDefault` is marked default only when no row is.
   */
  readonly adopt: (
    peers: ReadonlyArray<AdoptedPeer>,
    preferredDefault: string | null
  ) => Effect.Effect<Adoption, DatabaseError>
  /** Records the outcome of one contact in the `last_*` columns. */
  readonly updateStatus: (name: string, result: ContactResult) => Effect.Effect<void, DatabaseError>
  /** Records the outcomes of many contacts (a fleet's), as `updateStatus` does each, in one transaction. */
  readonly updateStatuses: (results: ReadonlyArray<readonly [name: string, result: ContactResult]>) => Effect.Effect<void, DatabaseError>
  }
}

/**
 * A row as SQLite hands it over. Columns are declared TEXT, but another tool
 * may have stored any storage class: an INTEGER, a REAL or a BLOB.
 */
type Stored = string | number | bigint | Uint8Array | null

/** The columns a listing shows (`LIST_SHOWN`). */
type ListedRow = Pick<
  PeerRow,
  "name" | "url" | "token" | "description" | "is_default" | "last_seen_at" | "last_version" | "last_status" | "created_at" | "updated_at"
>

interface PeerRow {
  /** SQLite's rowid: how a row is changed, whatever its name holds. */
  readonly row_id: number
  readonly id: Stored
  readonly name: Stored
  readonly url: Stored
  readonly token: Stored
  readonly description: Stored
  readonly is_default: Stored
  readonly last_seen_at: Stored
  readonly last_version: Stored
  readonly last_status: Stored
  readonly node_id: Stored
  readonly created_at: Stored
  readonly updated_at: Stored
}

const utf8 = new TextDecoder("utf-8", { fatal: true })

/**
 * Any storage class as text: numbers as SQLite prints them, a BLOB as its
 * UTF-8 text, or `x'…'` (SQLite's own literal) when it is not UTF-8.
 */
export const storedText = (value: Stored): string | null => {
  if (value === null || value === undefined) return null
  if (typeof value === "string") return value
  if (typeof value === "number" || typeof value === "bigint") return String(value)
  try {
    return utf8.decode(value)
  } catch {
    return `x'${Buffer.from(value).toString("hex")}'`
  }
}

const tokenOf = (text: string | null): Redacted.Redacted<string> | null => (text === null ? null : Redacted.make(text))

const isMarkedDefault = (row: Pick<PeerRow, "is_default">): boolean => row.is_default !== null && Number(row.is_default) === 1

/**
 * The fields of a row a listing shows, as a `Peer` holds them but for the
 * token, which is its stored text here. fazt stores '' for a peer without a
 * key (internal/remote/peer.go) and writes '' over the version when a peer is
 * unreachable: both mean none.
 */
const storedPeer = (row: ListedRow, effectiveDefault: boolean): StoredPeer => ({
  name: storedText(row.name) ?? "",
  url: storedText(row.url) ?? "",
  token: noneIfEmpty(row.token),
  description: storedText(row.description),
  isDefault: effectiveDefault,
  lastSeenAt: storedText(row.last_seen_at),
  lastVersion: noneIfEmpty(row.last_version),
  lastStatus: noneIfEmpty(row.last_status),
  createdAt: storedText(row.created_at),
  updatedAt: storedText(row.updated_at)
})

const noneIfEmpty = (value: Stored): string | null => storedText(value) || null

// Built without re-validating each field: every field is already text or null
// here, and validation cost ~0.4 ms a peer (seconds over 200,000 rows). The
// conversions are `storedPeer`'s; the fields in the class's order.
const toPeer = (row: PeerRow, effectiveDefault = isMarkedDefault(row)): Peer => {
  const stored = storedPeer(row, effectiveDefault)
  return new Peer({
    id: storedText(row.id) ?? String(row.row_id),
    name: stored.name,
    url: stored.url,
    token: tokenOf(stored.token),
    description: stored.description,
    isDefault: stored.isDefault,
    lastSeenAt: stored.lastSeenAt,
    lastVersion: stored.lastVersion,
    lastStatus: stored.lastStatus,
    nodeId: storedText(row.node_id),
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt
  }, true)
}

/** Which rows are the default: the marked one, or the only row when none is marked. */
const effectiveDefault = (all: ReadonlyArray<Pick<PeerRow, "is_default">>): (row: Pick<PeerRow, "is_default">) => boolean => {
  const onlyUnmarked = all.length === 1 && !isMarkedDefault(all[0]!)
  return (row) => onlyUnmarked || isMarkedDefault(row)
}

/** Every peer by name (`list`'s order and default). */
const LIST = "SELECT rowid AS row_id, * FROM peers ORDER BY name"
/** The same rows with only what a listing shows. */
const LIST_SHOWN = "SELECT name, url, token, description, is_default, last_seen_at, last_version, last_status, created_at, updated_at FROM peers ORDER BY name"

/**
 * `fazt remote`'s rows: what `store.list` then `viewPeer` on each gives, the
 * same values in the same order, without building a `Peer` per row (a Schema
 * class instance and a `Redacted` in effect's registry each; issue 26). For
 * the CLI's listing only: the library's `list` still returns `Peer`s.
 */
export const listViews: Effect.Effect<ReadonlyArray<PeerView>, DatabaseError, Database> = Effect.flatMap(
  Database,
  (db) =>
    // A peers table another tool made without one of these columns is read whole, as `list` reads it.
    Effect.map(Effect.orElse(db.all<ListedRow>(LIST_SHOWN), () => db.all<PeerRow>(LIST)), (all) => {
      const isDefault = effectiveDefault(all)
      const views: Array<PeerView> = new Array(all.length)
      for (let i = 0; i < all.length; i++) views[i] = viewStored(storedPeer(all[i]!, isDefault(all[i]!)))
      return views
    })
)

/** The stored form of a token: the table holds it as text. */
const secret = (token: Redacted.Redacted<string> | null | undefined): string | null =>
  token === null || token === undefined ? null : Redacted.value(token)

/**
 * The token's text, or a typed error when a caller (JavaScript, or `as any`)
 * passed plain text where a `Redacted` belongs: effect's own `Redacted.value`
 * would die with "Unable to get redacted value".
 */
export const revealed = (token: unknown): Effect.Effect<string | null, InvalidToken> =>
  token === null || token === undefined
    ? Effect.succeed(null)
    : Redacted.isRedacted(token)
    ? Effect.sync(() => Redacted.value(token as Redacted.Redacted<string>))
    : Effect.fail(new InvalidToken({ reason: notRedacted(token) }))

/** Tokens are stored only when HTTP can carry them: visible ASCII, a few KiB at most. */
const checkToken = (token: string | null): Effect.Effect<void, InvalidToken> => {
  // '' is how fazt stores "no token".
  const problem = token === null || token === "" ? undefined : tokenProblem(token)
  return problem === undefined ? Effect.void : Effect.fail(new InvalidToken({ reason: problem }))
}

export const make: Effect.Effect<PeerStore.Service, never, Database> = Effect.gen(function* () {
  const db = yield* Database
  const sql = db.sql

  /**
   * The row a name denotes: by the index when the name is stored as text,
   * else among the rows whose name another tool stored as a number or a BLOB
   * (so such a row can still be shown, renamed and removed).
   */
  const row = (name: string) =>
    Effect.gen(function* () {
      const exact = yield* sql<PeerRow>`SELECT rowid AS row_id, * FROM peers WHERE name = ${name} AND typeof(name) = 'text'`
      if (exact[0]) return exact[0]
      const odd = yield* sql<PeerRow>`SELECT rowid AS row_id, * FROM peers WHERE typeof(name) <> 'text'`
      const found = odd.find((r) => storedText(r.name) === name)
      return found ? found : yield* new PeerNotFound({ peer: name })
    })

  const withEffectiveDefault = (all: ReadonlyArray<PeerRow>): ReadonlyArray<Peer> => {
    const isDefault = effectiveDefault(all)
    return all.map((r) => toPeer(r, isDefault(r)))
  }

  // Straight on the connection (Database.all).
  const list = db.all<PeerRow>(LIST).pipe(Effect.map(withEffectiveDefault))

  /** The peer behind one row, with the default as the whole table decides it. */
  const peerOf = (r: PeerRow) =>
    Effect.map(
      sql<{ marked: number; total: number }>`SELECT count(*) FILTER (WHERE is_default = 1) AS marked, count(*) AS total FROM peers`,
      (counts) => toPeer(r, isMarkedDefault(r) || (counts[0]?.marked === 0 && counts[0]?.total === 1))
    )

  const reread = (name: string) => Effect.flatMap(row(name), peerOf)

  const get = (name: string) => db.use(reread(name))
  // After our own write inside the transaction the row is there; if not, that is a bug.
  const written = (name: string) => reread(name).pipe(Effect.catchTag("PeerNotFound", (e) => Effect.die(e)))

  const add = (input: NewPeer) =>
    Effect.gen(function* () {
      const name = yield* validatePeerName(input.name)
      const url = yield* validatePeerUrl(input.url)
      yield* checkToken(yield* revealed(input.token))
      const descriptionFault = input.description == null ? undefined : descriptionProblem(input.description)
      if (descriptionFault !== undefined) {
        return yield* new InvalidInput({ message: `the description was refused: ${descriptionFault}` })
      }
      return yield* db.transaction(
        Effect.gen(function* () {
          const existing = yield* sql<{ name: string }>`SELECT name FROM peers WHERE name = ${name}`
          if (existing.length > 0) return yield* new PeerAlreadyExists({ peer: name })
          const count = yield* sql<{ n: number }>`SELECT count(*) AS n FROM peers`
          const makeDefault = input.makeDefault === true || (count[0]?.n ?? 0) === 0
          if (makeDefault) yield* sql`UPDATE peers SET is_default = 0, updated_at = datetime('now') WHERE is_default = 1`
          yield* sql`INSERT INTO peers (name, url, token, description, is_default, created_at, updated_at)
            VALUES (${name}, ${url}, ${secret(input.token)}, ${input.description ?? null}, ${makeDefault ? 1 : 0},
                    datetime('now'), datetime('now'))`
          return yield* written(name)
        })
      )
    })

  const remove = (name: string) =>
    db.transaction(
      Effect.gen(function* () {
        const r = yield* row(name)
        const peer = toPeer(r)
        yield* sql`DELETE FROM peers WHERE rowid = ${r.row_id}`
        // The only peer left becomes the default, in the file too: the message says so, and a
        // peer added afterwards must not leave two peers and no default.
        yield* sql`UPDATE peers SET is_default = 1, updated_at = datetime('now')
          WHERE (SELECT COUNT(*) FROM peers) = 1 AND NOT EXISTS (SELECT 1 FROM peers WHERE is_default = 1)`
        return peer
      })
    )

  const setDefault = (name: string) =>
    db.transaction(
      Effect.gen(function* () {
        const r = yield* row(name)
        yield* sql`UPDATE peers SET is_default = 0, updated_at = datetime('now') WHERE is_default = 1 AND rowid <> ${r.row_id}`
        yield* sql`UPDATE peers SET is_default = 1, updated_at = datetime('now') WHERE rowid = ${r.row_id} AND is_default IS NOT 1`
        return yield* reread(name)
      })
    )

  const resolve = (
    name: Option.Option<string>
  ): Effect.Effect<Peer, PeerNotFound | NoPeers | NoDefaultPeer | DatabaseError> =>
    Option.match(name, {
      onSome: get,
      onNone: () =>
        Effect.flatMap(list, (all): Effect.Effect<Peer, NoPeers | NoDefaultPeer> => {
          const chosen = all.find((p) => p.isDefault)
          if (chosen) return Effect.succeed(chosen)
          if (all.length === 0) return Effect.fail(new NoPeers())
          return Effect.fail(new NoDefaultPeer({ peers: all.map((p) => p.name) }))
        })
    })

  const rename = (from: string, to: string) =>
    Effect.gen(function* () {
      const name = yield* validatePeerName(to)
      return yield* db.transaction(
        Effect.gen(function* () {
          const r = yield* row(from)
          if (from === name && typeof r.name === "string") return yield* reread(name)
          const clash = yield* sql<{ name: string }>`SELECT name FROM peers WHERE name = ${name} AND rowid <> ${r.row_id}`
          if (clash.length > 0) return yield* new PeerAlreadyExists({ peer: name })
          yield* sql`UPDATE peers SET name = ${name}, updated_at = datetime('now') WHERE rowid = ${r.row_id}`
          return yield* reread(name)
        })
      )
    })

  const setUrl = (name: string, input: string, options: { readonly keepToken?: boolean | undefined } = {}) =>
    Effect.gen(function* () {
      const url = yield* validatePeerUrl(input)
      return yield* db.transaction(
        Effect.gen(function* () {
          const r = yield* row(name)
          if (options.keepToken !== true && originOf(String(r.url)) !== originOf(url)) {
            yield* sql`UPDATE peers SET token = NULL WHERE rowid = ${r.row_id}`
          }
          yield* sql`UPDATE peers SET url = ${url}, updated_at = datetime('now') WHERE rowid = ${r.row_id}`
          return yield* reread(name)
        })
      )
    })

  const updateToken = (name: string, token: Redacted.Redacted<string> | null) =>
    Effect.zipRight(Effect.flatMap(revealed(token), checkToken), db.transaction(
      Effect.gen(function* () {
        const r = yield* row(name)
        yield* sql`UPDATE peers SET token = ${secret(token)}, updated_at = datetime('now') WHERE rowid = ${r.row_id}`
        return yield* reread(name)
      })
    ))

  const adopt = (offered: ReadonlyArray<AdoptedPeer>, preferredDefault: string | null) =>
    db.transaction(
      Effect.gen(function* () {
        const imported: Array<string> = []
        const kept: Array<string> = []
        // The table's own default, marked or (the only peer) implied, stays the default.
        const before = yield* sql<{ name: string; is_default: number | null }>`SELECT name, is_default FROM peers LIMIT 2`
        const marked = yield* sql<{ name: string }>`SELECT name FROM peers WHERE is_default = 1`
        const implied = marked.length === 0 && before.length === 1 ? before[0]!.name : null
        for (const peer of offered) {
          const existing = yield* sql<{ n: number }>`SELECT count(*) AS n FROM peers WHERE name = ${peer.name}`
          if ((existing[0]?.n ?? 0) > 0 || imported.includes(peer.name)) {
            kept.push(peer.name)
            continue
          }
          yield* sql`INSERT INTO peers (name, url, token, description, is_default, created_at, updated_at)
            VALUES (${peer.name}, ${peer.url}, ${peer.token || null}, ${peer.description}, 0, datetime('now'), datetime('now'))`
          imported.push(peer.name)
        }
        if (marked[0]) return { imported, kept, defaultPeer: marked[0].name }
        if (implied !== null) {
          if (imported.length > 0) yield* sql`UPDATE peers SET is_default = 1, updated_at = datetime('now') WHERE name = ${implied}`
          return { imported, kept, defaultPeer: implied }
        }
        if (preferredDefault !== null && (imported.includes(preferredDefault) || kept.includes(preferredDefault))) {
          yield* sql`UPDATE peers SET is_default = 1, updated_at = datetime('now') WHERE name = ${preferredDefault}`
          return { imported, kept, defaultPeer: preferredDefault }
        }
        return { imported, kept, defaultPeer: null }
      })
    )

  // last_seen_at is the last time the node answered; an unreachable node was not seen.
  // Once per contact (a fleet records hundreds): straight on the connection, not through @effect/sql.
  const statusUpdate = (name: string, result: ContactResult): readonly [string, ReadonlyArray<unknown>] =>
    result.status === "unreachable"
      ? ["UPDATE peers SET last_status = ? WHERE name = ?", [result.status, name]]
      : [
        `UPDATE peers SET last_status = coalesce(?, last_status), last_seen_at = datetime('now'),
                last_version = coalesce(?, last_version) WHERE name = ?`,
        [result.status ?? null, result.version || null, name]
      ]
  const updateStatus = (name: string, result: ContactResult) => db.run(...statusUpdate(name, result))
  const updateStatuses = (results: ReadonlyArray<readonly [string, ContactResult]>) =>
    db.runAll(results.map(([name, result]) => statusUpdate(name, result)))

  return { list, get, add, remove, setDefault, resolve, rename, setUrl, updateToken, adopt, updateStatus, updateStatuses }
})

export class PeerStore extends Context.Tag("fazt/PeerStore")<PeerStore, PeerStore.Service>() {
  static readonly make = make
  static readonly layer: Layer.Layer<PeerStore, never, Database> = Layer.effect(PeerStore, make)
}

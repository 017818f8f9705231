import { Context, Effect, Layer, Option, Redacted } from "effect"
import { Peer, type PeerStatus, validatePeerName, validatePeerUrl } from "../domain/Peer.js"
import {
  type DatabaseError,
  type InvalidPeerName,
  type InvalidPeerUrl,
  NoDefaultPeer,
  NoPeers,
  PeerAlreadyExists,
  PeerNotFound
} from "../domain/errors.js"
import { Database } from "./Database.js"

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
  ) => Effect.Effect<Peer, InvalidPeerName | InvalidPeerUrl | PeerAlreadyExists | DatabaseError>
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
  readonly setUrl: (name: string, url: string) => Effect.Effect<Peer, InvalidPeerUrl | PeerNotFound | DatabaseError>
  readonly updateToken: (
    name: string,
    token: Redacted.Redacted<string> | null
  ) => Effect.Effect<Peer, PeerNotFound | DatabaseError>
  /** Records the outcome of one contact in the `last_*` columns. */
  readonly updateStatus: (name: string, result: ContactResult) => Effect.Effect<void, DatabaseError>
  }
}

interface PeerRow {
  readonly id: string
  readonly name: string
  readonly url: string
  readonly token: string | null
  readonly description: string | null
  readonly is_default: number | null
  readonly last_seen_at: string | null
  readonly last_version: string | null
  readonly last_status: string | null
  readonly node_id: string | null
  readonly created_at: string | null
  readonly updated_at: string | null
}

// Built without re-validating each field: the row is already typed, and
// validation cost ~0.4 ms a peer (40 ms of `status --all` over 100 peers).
const toPeer = (row: PeerRow, effectiveDefault = row.is_default === 1): Peer =>
  new Peer({
    id: String(row.id),
    name: row.name,
    url: row.url,
    // fazt stores '' for a peer without a key (internal/remote/peer.go) and
    // writes '' over the version when a peer is unreachable: both mean none.
    token: row.token ? Redacted.make(row.token) : null,
    description: row.description,
    isDefault: effectiveDefault,
    lastSeenAt: row.last_seen_at,
    lastVersion: row.last_version || null,
    lastStatus: row.last_status || null,
    nodeId: row.node_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at
  }, true)

/** The stored form of a token: the table holds it as text. */
const secret = (token: Redacted.Redacted<string> | null | undefined): string | null =>
  token === null || token === undefined ? null : Redacted.value(token)

export const make: Effect.Effect<PeerStore.Service, never, Database> = Effect.gen(function* () {
  const db = yield* Database
  const sql = db.sql

  const rows = sql<PeerRow>`SELECT * FROM peers ORDER BY name`
  const row = (name: string) =>
    sql<PeerRow>`SELECT * FROM peers WHERE name = ${name}`.pipe(
      Effect.flatMap((found) => (found[0] ? Effect.succeed(found[0]) : Effect.fail(new PeerNotFound({ peer: name }))))
    )

  const withEffectiveDefault = (all: ReadonlyArray<PeerRow>): ReadonlyArray<Peer> => {
    const noneMarked = all.every((r) => r.is_default !== 1)
    return all.map((r) => toPeer(r, r.is_default === 1 || (noneMarked && all.length === 1)))
  }

  const list = db.use(rows).pipe(Effect.map(withEffectiveDefault))

  const reread = (name: string) =>
    Effect.flatMap(rows, (all) => {
      const peer = withEffectiveDefault(all).find((p) => p.name === name)
      return peer ? Effect.succeed(peer) : Effect.fail(new PeerNotFound({ peer: name }))
    })

  const get = (name: string) => db.use(reread(name))
  // After our own write inside the transaction the row is there; if not, that is a bug.
  const written = (name: string) => reread(name).pipe(Effect.catchTag("PeerNotFound", (e) => Effect.die(e)))

  const add = (input: NewPeer) =>
    Effect.gen(function* () {
      const name = yield* validatePeerName(input.name)
      const url = yield* validatePeerUrl(input.url)
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
        const peer = toPeer(yield* row(name))
        yield* sql`DELETE FROM peers WHERE name = ${name}`
        return peer
      })
    )

  const setDefault = (name: string) =>
    db.transaction(
      Effect.gen(function* () {
        yield* row(name)
        yield* sql`UPDATE peers SET is_default = 0, updated_at = datetime('now') WHERE is_default = 1 AND name <> ${name}`
        yield* sql`UPDATE peers SET is_default = 1, updated_at = datetime('now') WHERE name = ${name} AND is_default IS NOT 1`
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
          yield* row(from)
          if (from === name) return yield* reread(name)
          const clash = yield* sql<{ name: string }>`SELECT name FROM peers WHERE name = ${name}`
          if (clash.length > 0) return yield* new PeerAlreadyExists({ peer: name })
          yield* sql`UPDATE peers SET name = ${name}, updated_at = datetime('now') WHERE name = ${from}`
          return yield* reread(name)
        })
      )
    })

  const setUrl = (name: string, input: string) =>
    Effect.gen(function* () {
      const url = yield* validatePeerUrl(input)
      return yield* db.transaction(
        Effect.gen(function* () {
          yield* row(name)
          yield* sql`UPDATE peers SET url = ${url}, updated_at = datetime('now') WHERE name = ${name}`
          return yield* reread(name)
        })
      )
    })

  const updateToken = (name: string, token: Redacted.Redacted<string> | null) =>
    db.transaction(
      Effect.gen(function* () {
        yield* row(name)
        yield* sql`UPDATE peers SET token = ${secret(token)}, updated_at = datetime('now') WHERE name = ${name}`
        return yield* reread(name)
      })
    )

  // last_seen_at is the last time the node answered; an unreachable node was not seen.
  const updateStatus = (name: string, result: ContactResult) =>
    db.use(
      result.status === "unreachable"
        ? sql`UPDATE peers SET last_status = ${result.status} WHERE name = ${name}`
        : sql`UPDATE peers SET last_status = coalesce(${result.status ?? null}, last_status), last_seen_at = datetime('now'),
                last_version = coalesce(${result.version || null}, last_version) WHERE name = ${name}`
    ).pipe(Effect.asVoid)

  return { list, get, add, remove, setDefault, resolve, rename, setUrl, updateToken, updateStatus }
})

export class PeerStore extends Context.Tag("fazt/PeerStore")<PeerStore, PeerStore.Service>() {
  static readonly layer: Layer.Layer<PeerStore, never, Database> = Layer.effect(PeerStore, make)
}

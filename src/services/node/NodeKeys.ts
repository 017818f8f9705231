import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { createHash, randomBytes } from "node:crypto"
import * as os from "node:os"
import type { DatabaseError } from "../../domain/errors.js"
import { type BcryptPool, makeBcryptPool } from "./bcryptPool.js"
import { makeClientWindow } from "./clientWindow.js"
import { Database } from "../db/Database.js"

export interface CreatedKey {
  readonly id: number
  readonly name: string
  /** Shown once; only its bcrypt hash is stored. */
  readonly token: string
}

/** What the node makes of a presented key. */
export type KeyVerdict =
  | { readonly _tag: "Valid"; readonly keyId: number }
  | { readonly _tag: "Invalid" }
  /** Not checked: the node is busy checking keys, or this address sent too many wrong ones (429). */
  | { readonly _tag: "Throttled"; readonly retryAfterSeconds: number; readonly message: string }

/** fazt's `api_keys` table, as the local node uses it. */
export declare namespace NodeKeys {
  export interface Service {
    readonly create: (name: string) => Effect.Effect<CreatedKey, DatabaseError>
    /**
     * Checks `token`, presented by `client` (an address). A valid key gets its
     * `last_used_at` set, as fazt's ValidateAPIKey does on every use.
     */
    readonly verify: (token: string, client: string) => Effect.Effect<KeyVerdict, DatabaseError>
    /** How many keys are stored (a node without any can answer no client). */
    readonly count: Effect.Effect<number, DatabaseError>
  }
}

const CACHE_TTL_MS = 60_000
const CACHE_MAX = 1024
/** Wrong keys (each a bcrypt run) one address may send a minute before 429s. */
export const MAX_FAILURES_PER_MINUTE = 20
const FAILURE_WINDOW_MS = 60_000

// bcryptjs is loaded by the first key operation, not at CLI start-up.
const bcrypt = Effect.promise(() => import("bcryptjs").then((m) => m.default))

/** Clients (addresses) whose wrong keys are remembered at once; the least recent are forgotten first. */
export const MAX_CLIENTS_REMEMBERED = 4096

/**
 * The service over a given way of checking tokens against bcrypt hashes
 * (`make` uses worker threads; tests pass one they control).
 */
export const makeWith = (
  newPool: () => BcryptPool
): Effect.Effect<NodeKeys.Service, never, Database | Scope.Scope> =>
  Effect.gen(function* () {
    const db = yield* Database
    const sql = db.sql
    const scope = yield* Effect.scope
    // bcrypt costs ~70 ms a check: verdicts are cached by the token's SHA-256
    // (never the token itself) for a minute, and concurrent requests with one
    // token share a single check, so a flood of requests with one token, good
    // or bad, costs one bcrypt run.
    const verdicts = new Map<string, { readonly verdict: Deferred.Deferred<number | null, DatabaseError>; readonly until: number }>()
    let pool: BcryptPool | undefined
    const thePool = () => (pool ??= newPool())
    yield* Effect.addFinalizer(() => Effect.promise(() => pool?.close() ?? Promise.resolve()))
    const failures = makeClientWindow({
      limit: MAX_FAILURES_PER_MINUTE,
      windowMs: FAILURE_WINDOW_MS,
      maxClients: MAX_CLIENTS_REMEMBERED
    })

    const create = (name: string) =>
      Effect.gen(function* () {
        // 256 bits, as fazt's own API keys (internal/hosting/deploy.go, CreateAPIKey: 32 random bytes in hex).
        const token = `fzt_${randomBytes(32).toString("hex")}`
        const { hash: bcryptHash } = yield* bcrypt
        const hash = yield* Effect.promise(() => bcryptHash(token, 10))
        const rows = yield* db.use(
          sql<{ id: number }>`INSERT INTO api_keys (name, key_hash, scopes) VALUES (${name}, ${hash}, '["*"]') RETURNING id`
        )
        verdicts.clear()
        return { id: Number(rows[0]!.id), name, token }
      })

    /** The id of the key `token` matches, or null. */
    const check = (token: string) =>
      Effect.gen(function* () {
        const keys = yield* db.use(sql<{ id: number; key_hash: string }>`SELECT id, key_hash FROM api_keys`)
        yield* Effect.logDebug("api key check: bcrypt (not cached)")
        const match = yield* Effect.promise(() => thePool().compare(token, keys.map((k) => String(k.key_hash))))
        return match >= 0 ? Number(keys[match]!.id) : null
      })

    // As fazt's ValidateAPIKey (internal/hosting/deploy.go): CURRENT_TIMESTAMP,
    // i.e. `YYYY-MM-DD HH:MM:SS` UTC, on every successful use. A failed write
    // (locked, read-only) does not fail the request, as in fazt. No row
    // changed means the key was deleted since it was cached.
    const markUsed = (keyId: number) =>
      db.use(sql<{ id: number }>`UPDATE api_keys SET last_used_at = CURRENT_TIMESTAMP WHERE id = ${keyId} RETURNING id`).pipe(
        Effect.map((rows) => rows.length > 0),
        Effect.orElseSucceed(() => true)
      )

    // The check of a token not cached runs in a fiber of the service's own
    // scope, not the request's: registering it in the cache and starting it is
    // one step no interruption can split, and a request that is interrupted
    // (its client went away) stops waiting without stopping the check, so the
    // requests sharing it still get their verdict. A failed check (the database)
    // leaves the cache, so the next request tries again.
    const startCheck = (digest: string, token: string, client: string) =>
      Effect.uninterruptible(Effect.gen(function* () {
        const verdict = yield* Deferred.make<number | null, DatabaseError>()
        if (verdicts.size >= CACHE_MAX) verdicts.delete(verdicts.keys().next().value!)
        verdicts.set(digest, { verdict, until: Date.now() + CACHE_TTL_MS })
        // Forked from this uninterruptible step, the check itself stays
        // interruptible, so closing the service (shutdown) stops it.
        yield* Effect.interruptible(check(token)).pipe(
          Effect.onExit((exit) =>
            Effect.sync(() => {
              if (Exit.isFailure(exit)) {
                if (verdicts.get(digest)?.verdict === verdict) verdicts.delete(digest)
              } else if (exit.value === null) failures.record(client)
            }).pipe(Effect.zipRight(Deferred.done(verdict, exit)))
          ),
          Effect.forkIn(scope)
        )
        return verdict
      }))

    const lookup = (token: string, client: string) =>
      Effect.gen(function* () {
        const digest = createHash("sha256").update(token).digest("hex")
        const cached = verdicts.get(digest)
        if (cached && cached.until > Date.now()) return { digest, keyId: yield* Deferred.await(cached.verdict) }
        const wait = failures.retryAfter(client)
        if (wait !== undefined) {
          return { throttled: { retryAfterSeconds: wait, message: `Too many wrong API keys from this address; wait ${wait} s` } }
        }
        if (!thePool().hasRoom()) {
          return { throttled: { retryAfterSeconds: 1, message: "The node is busy checking other API keys; retry in a second" } }
        }
        const verdict = yield* startCheck(digest, token, client)
        return { digest, keyId: yield* Deferred.await(verdict) }
      })

    const verify = (token: string, client: string) =>
      Effect.gen(function* () {
        const found = yield* lookup(token, client)
        if ("throttled" in found) return { _tag: "Throttled", ...found.throttled } satisfies KeyVerdict as KeyVerdict
        if (found.keyId === null) return { _tag: "Invalid" } as KeyVerdict
        if (!(yield* markUsed(found.keyId))) {
          verdicts.delete(found.digest)
          return { _tag: "Invalid" } as KeyVerdict
        }
        return { _tag: "Valid", keyId: found.keyId } as KeyVerdict
      })

    const count = db.use(sql<{ n: number }>`SELECT count(*) AS n FROM api_keys`).pipe(Effect.map((rows) => Number(rows[0]!.n)))

    return { create, verify, count }
  })

// Checks of tokens not seen before run in worker threads (one core's worth
// fewer than the machine has, at most two; a queue of eight): a flood of
// distinct wrong keys gets fast 429s instead of stalling the event loop or
// taking every core, and each address may send only so many wrong keys a
// minute. Cached keys and pages never wait for this.
export const make: Effect.Effect<NodeKeys.Service, never, Database | Scope.Scope> = makeWith(() =>
  makeBcryptPool({ threads: Math.max(1, Math.min(2, os.availableParallelism() - 1)), maxPending: 8 })
)

export class NodeKeys extends Context.Tag("fazt/NodeKeys")<NodeKeys, NodeKeys.Service>() {
  static readonly layer: Layer.Layer<NodeKeys, never, Database> = Layer.scoped(NodeKeys, make)
}

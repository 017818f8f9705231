import { Context, Deferred, Effect, Exit, Layer } from "effect"
import { createHash, randomBytes } from "node:crypto"
import type { DatabaseError } from "../domain/errors.js"
import { Database } from "./Database.js"

export interface CreatedKey {
  readonly id: number
  readonly name: string
  /** Shown once; only its bcrypt hash is stored. */
  readonly token: string
}

/** fazt's `api_keys` table, as the local node uses it. */
export declare namespace NodeKeys {
  export interface Service {
    readonly create: (name: string) => Effect.Effect<CreatedKey, DatabaseError>
    /** True when `token` matches a stored key. */
    readonly verify: (token: string) => Effect.Effect<boolean, DatabaseError>
    /** How many keys are stored (a node without any can answer no client). */
    readonly count: Effect.Effect<number, DatabaseError>
  }
}

const CACHE_TTL_MS = 60_000
const CACHE_MAX = 1024

// bcryptjs is loaded by the first key operation, not at CLI start-up.
const bcrypt = Effect.promise(() => import("bcryptjs").then((m) => m.default))

export const make: Effect.Effect<NodeKeys.Service, never, Database> = Effect.gen(function* () {
  const db = yield* Database
  const sql = db.sql
  // bcrypt costs ~70 ms a check: verdicts are cached by the token's SHA-256
  // (never the token itself) for a minute, and concurrent requests with one
  // token share a single check, so a flood of requests, good or bad, costs
  // one bcrypt run per distinct token.
  const verdicts = new Map<string, { readonly verdict: Deferred.Deferred<boolean, DatabaseError>; readonly until: number }>()

  const create = (name: string) =>
    Effect.gen(function* () {
      const token = `fzt_${randomBytes(16).toString("hex")}`
      const { hash: bcryptHash } = yield* bcrypt
      const hash = yield* Effect.promise(() => bcryptHash(token, 10))
      const rows = yield* db.use(
        sql<{ id: number }>`INSERT INTO api_keys (name, key_hash, scopes) VALUES (${name}, ${hash}, '["*"]') RETURNING id`
      )
      verdicts.clear()
      return { id: Number(rows[0]!.id), name, token }
    })

  const check = (token: string) =>
    Effect.gen(function* () {
      yield* Effect.logDebug("api key check: bcrypt (not cached)")
      const keys = yield* db.use(sql<{ key_hash: string }>`SELECT key_hash FROM api_keys`)
      const { compare } = yield* bcrypt
      for (const key of keys) {
        // fazt's Go bcrypt writes $2a$; bcryptjs reads $2a$/$2b$/$2y$ alike.
        if (yield* Effect.promise(() => compare(token, key.key_hash).catch(() => false))) return true
      }
      return false
    })

  const verify = (token: string) =>
    Effect.gen(function* () {
      const digest = createHash("sha256").update(token).digest("hex")
      const cached = verdicts.get(digest)
      if (cached && cached.until > Date.now()) return yield* Deferred.await(cached.verdict)
      const verdict = yield* Deferred.make<boolean, DatabaseError>()
      if (verdicts.size >= CACHE_MAX) verdicts.delete(verdicts.keys().next().value!)
      verdicts.set(digest, { verdict, until: Date.now() + CACHE_TTL_MS })
      // Uninterruptible: other requests may be waiting on this verdict.
      const result = yield* Effect.uninterruptible(
        Effect.exit(check(token)).pipe(
          Effect.tap((exit) => {
            if (Exit.isFailure(exit)) verdicts.delete(digest)
            return Deferred.done(verdict, exit)
          })
        )
      )
      return yield* result
    })

  const count = db.use(sql<{ n: number }>`SELECT count(*) AS n FROM api_keys`).pipe(Effect.map((rows) => Number(rows[0]!.n)))

  return { create, verify, count }
})

export class NodeKeys extends Context.Tag("fazt/NodeKeys")<NodeKeys, NodeKeys.Service>() {
  static readonly layer: Layer.Layer<NodeKeys, never, Database> = Layer.effect(NodeKeys, make)
}

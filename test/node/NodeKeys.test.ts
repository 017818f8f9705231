// The node's shared bcrypt verdict cache under interruption, and the
// per-address count of wrong keys in bounded memory.
import { describe, expect, it } from "@effect/vitest"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as path from "node:path"
import { Database } from "../../src/services/db/Database.js"
import type { BcryptPool } from "../../src/services/node/bcryptPool.js"
import { makeClientWindow } from "../../src/services/node/clientWindow.js"
import { makeWith, MAX_CLIENTS_REMEMBERED, MAX_FAILURES_PER_MINUTE, NodeKeys } from "../../src/services/node/NodeKeys.js"
import { settled } from "../support/fiber.js"
import { nodeServices, tempFolder } from "./harness.js"

/** The interrupted request waited for the check instead of ending at once. */
class WaitedForCheck extends Data.TaggedError("WaitedForCheck") {}

/** A bcrypt pool whose every check waits until the test lets it answer `match`. */
const gatedPool = () => {
  let calls = 0
  let release: (match: number) => void = () => undefined
  const answer = new Promise<number>((resolve) => (release = resolve))
  const started = Effect.runSync(Deferred.make<void>())
  const pool: BcryptPool = {
    hasRoom: () => true,
    compare: () => {
      calls++
      Effect.runSync(Deferred.succeed(started, undefined))
      return answer
    },
    close: () => Promise.resolve()
  }
  return { pool, started, release: (match: number) => release(match), calls: () => calls }
}

const keysWith = (pool: BcryptPool) =>
  nodeServices(path.join(tempFolder(), "data.db"), Layer.scoped(NodeKeys, makeWith(() => pool)))

describe("the node's bcrypt verdict cache", () => {
  it.scopedLive("interrupting the first of two concurrent checks of one key: the second still gets its verdict, from one bcrypt run", () => {
    const gate = gatedPool()
    return Effect.gen(function* () {
      // However the test ends, the check is let go, so nothing is left waiting.
      yield* Effect.addFinalizer(() => Effect.sync(() => gate.release(-1)))
      const keys = yield* NodeKeys
      const { token } = yield* keys.create("test")
      const first = yield* Effect.fork(keys.verify(token, "10.0.0.1"))
      yield* Deferred.await(gate.started)
      const second = yield* Effect.fork(keys.verify(token, "10.0.0.2"))
      // The second request waits on the first one's check.
      expect(yield* settled(second)).toBe("Suspended")
      // The first request's client goes away while its check is pending. Its
      // fiber ends at once (it only waited), the check goes on.
      const firstExit = yield* Fiber.interrupt(first).pipe(
        Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new WaitedForCheck() })
      )
      expect(Exit.isInterrupted(firstExit)).toBe(true)
      gate.release(0)
      expect(yield* Fiber.join(second)).toMatchObject({ _tag: "Valid" })
      // The verdict was kept: a third request runs no second check.
      expect(yield* keys.verify(token, "10.0.0.3")).toMatchObject({ _tag: "Valid" })
      expect(gate.calls()).toBe(1)
    }).pipe(Effect.provide(keysWith(gate.pool)))
  })

  it.scopedLive("a check whose every waiter was interrupted still completes and is cached for the next request", () => {
    const gate = gatedPool()
    return Effect.gen(function* () {
      yield* Effect.addFinalizer(() => Effect.sync(() => gate.release(-1)))
      const keys = yield* NodeKeys
      const fiber = yield* Effect.fork(keys.verify("fzt_wrong", "10.0.0.1"))
      yield* Deferred.await(gate.started)
      yield* Fiber.interrupt(fiber).pipe(
        Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new WaitedForCheck() })
      )
      gate.release(-1)
      expect(yield* keys.verify("fzt_wrong", "10.0.0.1")).toEqual({ _tag: "Invalid" })
      expect(gate.calls()).toBe(1)
    }).pipe(Effect.provide(keysWith(gate.pool)))
  })

  it.scopedLive("a check that fails (the database) leaves the cache: the next request with that key checks again", () =>
    Effect.gen(function* () {
      const keys = yield* NodeKeys
      const db = yield* Database
      yield* db.use(db.sql`ALTER TABLE api_keys RENAME TO api_keys_away`)
      const failed = yield* Effect.flip(keys.verify("fzt_some_key", "10.0.0.1"))
      expect(failed._tag).toBe("DatabaseError")
      yield* db.use(db.sql`ALTER TABLE api_keys_away RENAME TO api_keys`)
      expect(yield* keys.verify("fzt_some_key", "10.0.0.1")).toEqual({ _tag: "Invalid" })
    }).pipe(Effect.provide(keysWith({ hasRoom: () => true, compare: () => Promise.resolve(-1), close: () => Promise.resolve() }))))

  it.scopedLive(`an address past ${MAX_FAILURES_PER_MINUTE} wrong keys a minute gets 429s; other addresses do not`, () =>
    Effect.gen(function* () {
      const keys = yield* NodeKeys
      for (let i = 0; i < MAX_FAILURES_PER_MINUTE; i++) {
        expect(yield* keys.verify(`fzt_wrong_${i}`, "10.0.0.1")).toEqual({ _tag: "Invalid" })
      }
      const throttled = yield* keys.verify("fzt_wrong_next", "10.0.0.1")
      expect(throttled).toMatchObject({ _tag: "Throttled" })
      expect(throttled._tag === "Throttled" && throttled.retryAfterSeconds).toBeGreaterThanOrEqual(1)
      expect(yield* keys.verify("fzt_wrong_next", "10.0.0.2")).toEqual({ _tag: "Invalid" })
    }).pipe(Effect.provide(keysWith({ hasRoom: () => true, compare: () => Promise.resolve(-1), close: () => Promise.resolve() }))))
})

describe("the per-client rate-limit window", () => {
  const minute = 60_000

  it("keeps the limit per address: the 21st wrong key within a minute waits for the oldest to leave the window", () => {
    const window = makeClientWindow({ limit: 20, windowMs: minute, maxClients: MAX_CLIENTS_REMEMBERED })
    const t0 = 1_000_000
    for (let i = 0; i < 20; i++) {
      expect(window.retryAfter("a", t0 + i * 1000)).toBeUndefined()
      window.record("a", t0 + i * 1000)
    }
    expect(window.retryAfter("a", t0 + 20_000)).toBe(40)
    expect(window.retryAfter("b", t0 + 20_000)).toBeUndefined()
    expect(window.retryAfter("a", t0 + minute)).toBeUndefined()
  })

  it("forgets old clients: a flood of 10,000 addresses leaves at most maxClients, expired ones leave altogether", () => {
    const window = makeClientWindow({ limit: 20, windowMs: minute, maxClients: MAX_CLIENTS_REMEMBERED })
    const t0 = 1_000_000
    let peak = 0
    for (let i = 0; i < 10_000; i++) {
      window.record(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, t0 + i)
      peak = Math.max(peak, window.size())
    }
    expect(peak).toBe(MAX_CLIENTS_REMEMBERED)
    // A minute later, the next event sweeps every expired client out.
    window.record("192.0.2.1", t0 + 10_000 + minute)
    expect(window.size()).toBe(1)
  })

  it("a busy address seen recently outlives a flood of one-off addresses smaller than the bound", () => {
    const window = makeClientWindow({ limit: 3, windowMs: minute, maxClients: 100 })
    const t0 = 1_000_000
    for (let i = 0; i < 3; i++) window.record("busy", t0 + i)
    for (let i = 0; i < 99; i++) window.record(`one-off-${i}`, t0 + 10 + i)
    expect(window.retryAfter("busy", t0 + 200)).toBe(60)
    expect(window.size()).toBe(100)
    // One more address drops the least recent: the busy one, now forgotten.
    window.record("one-off-99", t0 + 300)
    expect(window.size()).toBe(100)
    expect(window.retryAfter("busy", t0 + 301)).toBeUndefined()
  })
})

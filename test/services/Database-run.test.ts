import { describe, expect, it } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import { Deferred, Effect, Fiber } from "effect"
import { Database } from "../../src/services/db/Database.js"
import * as Context from "effect/Context"
import { settled } from "../support/fiber.js"
import { freshDatabase, tempDbFile } from "../support/layers.js"

// `Database.run` and `Database.all` go straight to the connection (no @effect/sql machinery),
// yet keeps @effect/sql's rule: one connection, so a statement must wait for
// another fiber's transaction rather than land inside it.

const setUp = Effect.gen(function* () {
  const db = yield* Database
  yield* db.exec("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)")
  yield* db.run("INSERT INTO t (k, v) VALUES (?, ?)", ["a", "before"])
  return db
})

const valueOf = (k: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ v: string }>`SELECT v FROM t WHERE k = ${k}`).pipe(
    Effect.map((rows) => rows[0]?.v),
    Effect.orDie
  )

/**
 * Runs `effect` (forked) while another fiber holds a transaction that has
 * inserted row 'b' and will roll it back; returns what `effect` gave once
 * that transaction has ended. The transaction ends only once `effect` has
 * gone as far as it can: were it not waiting for the transaction, it would
 * have run inside it.
 */
const duringAbandonedTransaction = <A, E>(db: Database.Service, effect: Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const inside = yield* Deferred.make<void>()
    const finish = yield* Deferred.make<void>()
    const transaction = yield* Effect.fork(
      db.transaction(
        Effect.gen(function* () {
          yield* sql`INSERT INTO t (k, v) VALUES ('b', 'rolled back')`
          yield* Deferred.succeed(inside, undefined)
          yield* Deferred.await(finish)
          return yield* Effect.fail("abandoned")
        })
      )
    )
    yield* Deferred.await(inside)
    const during = yield* Effect.fork(effect)
    yield* settled(during)
    yield* Deferred.succeed(finish, undefined)
    expect(yield* Effect.flip(Fiber.join(transaction))).toBe("abandoned")
    return yield* Fiber.join(during)
  })

describe("Database.run", () => {
  it.live("a statement during another fiber's transaction waits for it, so that transaction's rollback does not take it along", () =>
    Effect.gen(function* () {
      const db = yield* setUp
      yield* duringAbandonedTransaction(db, db.run("UPDATE t SET v = ? WHERE k = ?", ["after", "a"]))
      expect(yield* valueOf("a")).toBe("after")
      expect(yield* valueOf("b")).toBeUndefined()
    }).pipe(Effect.provide(freshDatabase())))

  it.live("inside the caller's own transaction it is part of it (no deadlock; rolled back with it)", () =>
    Effect.gen(function* () {
      const db = yield* setUp
      const failed = yield* Effect.flip(
        db.transaction(Effect.zipRight(db.run("UPDATE t SET v = ? WHERE k = ?", ["inside", "a"]), Effect.fail("no")))
      )
      expect(failed).toBe("no")
      expect(yield* valueOf("a")).toBe("before")
      yield* db.transaction(db.run("UPDATE t SET v = ? WHERE k = ?", ["committed", "a"]))
      expect(yield* valueOf("a")).toBe("committed")
    }).pipe(Effect.provide(freshDatabase())))

  it.scopedLive("inside another database's transaction it still waits for its own database's lock", () =>
    Effect.gen(function* () {
      const db = yield* setUp
      const other = Context.get(yield* Database.make({ filename: tempDbFile() }), Database)
      // The statement runs in a transaction of `other`: that is no licence to skip `db`'s lock.
      const result = yield* duringAbandonedTransaction(db, other.transaction(db.run("UPDATE t SET v = ? WHERE k = ?", ["after", "a"])))
      expect(result).toBeUndefined()
      expect(yield* valueOf("a")).toBe("after")
      expect(yield* valueOf("b")).toBeUndefined()
    }).pipe(Effect.provide(freshDatabase())))

  it.live("a failing statement is a DatabaseError naming the file", () =>
    Effect.gen(function* () {
      const db = yield* setUp
      const e = yield* Effect.flip(db.run("INSERT INTO t (k, v) VALUES (?, ?)", ["a", "duplicate"]))
      expect(e._tag).toBe("DatabaseError")
      expect(e.path).toBe(db.path)
    }).pipe(Effect.provide(freshDatabase())))
})

describe("Database.all", () => {
  it.live("a read during another fiber's transaction waits for it: it never sees rows that are then rolled back", () =>
    Effect.gen(function* () {
      const db = yield* setUp
      expect(yield* duringAbandonedTransaction(db, db.all<{ k: string }>("SELECT k FROM t ORDER BY k"))).toEqual([{ k: "a" }])
    }).pipe(Effect.provide(freshDatabase())))

  it.live("inside the caller's own transaction it sees that transaction's rows; parameters are bound", () =>
    Effect.gen(function* () {
      const db = yield* setUp
      const seen = yield* db.transaction(
        Effect.zipRight(db.run("INSERT INTO t (k, v) VALUES (?, ?)", ["b", "new"]), db.all<{ v: string }>("SELECT v FROM t WHERE k = ?", ["b"]))
      )
      expect(seen).toEqual([{ v: "new" }])
      const e = yield* Effect.flip(db.all("SELECT nope FROM t"))
      expect(e._tag).toBe("DatabaseError")
    }).pipe(Effect.provide(freshDatabase())))
})

import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlConnection from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import * as Statement from "@effect/sql/Statement"
import Sqlite from "better-sqlite3"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as path from "node:path"
import { describeErrno, errnoCode } from "../../domain/errno.js"
import { DatabaseError } from "../../domain/errors.js"
import { homeDirectory } from "../../domain/home.js"
import { migrations as bundledMigrations, type MigrationSource } from "../../migrations/index.js"
import { keepPrivate } from "../fileMode.js"
import * as Migrator from "./Migrator.js"

export interface DatabaseOptions {
  readonly filename: string
  /** Milliseconds a statement waits for another process's lock. */
  readonly busyTimeoutMs?: number
  /**
   * Applied by `layer` with the peers table's, in version order: the local
   * node's own tables (`fazt server`), or a host's.
   */
  readonly migrations?: ReadonlyArray<MigrationSource>
}

/**
 * One open fazt SQLite file. `sql` is an `@effect/sql` client whose
 * transactions begin IMMEDIATE: every read-then-write takes the write lock
 * first, so concurrent processes queue instead of failing with SQLITE_BUSY.
 */
export declare namespace Database {
  export interface Service {
  readonly path: string
  /** Opened read-only because the file cannot be written (permissions, a read-only mount). */
  readonly readOnly: boolean
  readonly sql: SqlClient.SqlClient
  /** Runs a multi-statement script (migrations); never user input. */
  readonly exec: (script: string) => Effect.Effect<void, DatabaseError>
  /** `effect` in one IMMEDIATE transaction, SQL failures as `DatabaseError`. */
  readonly transaction: <A, E, R>(
    effect: Effect.Effect<A, E | SqlError, R>
  ) => Effect.Effect<A, Exclude<E, SqlError> | DatabaseError, R>
  /**
   * One statement with bound parameters, straight on the connection: no
   * span, scope or statement compiler, which cost @effect/sql ~0.8 M
   * instructions a statement (`status --all` records one per peer). It waits
   * for the same lock as `sql`, so it never lands inside another fiber's
   * open transaction; inside the caller's own transaction it is part of it.
   */
  readonly run: (statement: string, params: ReadonlyArray<unknown>) => Effect.Effect<void, DatabaseError>
  /**
   * Many statements, as `run` runs one, in one transaction: all or none is
   * written, with one commit (`status --all` records a thousand peers so).
   */
  readonly runAll: (statements: ReadonlyArray<readonly [statement: string, params: ReadonlyArray<unknown>]>) => Effect.Effect<void, DatabaseError>
  /** The rows of one query, the way `run` runs a statement (listing peers reads them so at every start). */
  readonly all: <Row>(statement: string, params?: ReadonlyArray<unknown>) => Effect.Effect<ReadonlyArray<Row>, DatabaseError>
  /** Maps `SqlError` to `DatabaseError` for a single statement. */
  readonly use: <A, E, R>(
    effect: Effect.Effect<A, E | SqlError, R>
  ) => Effect.Effect<A, Exclude<E, SqlError> | DatabaseError, R>
  }
}

const SQLITE_HEADER = Buffer.from("SQLite format 3\0", "latin1")

/** A one-line reason for a SQLite or file-system failure. */
const describeFailure = (cause: unknown): string => {
  const inner = cause instanceof SqlError ? cause.cause : cause
  const code = typeof inner === "object" && inner !== null && "code" in inner ? String(inner.code) : ""
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
    return "the database is locked by another process and stayed locked past the busy timeout"
  }
  if (code === "FAZT_SPECIAL_FILE") return `it is ${(inner as { kind: string }).kind}, not a database file`
  if (code === "ENXIO") return "it is a socket, not a database file"
  if (code === "SQLITE_NOTADB") return "the file is not a SQLite database"
  if (code.startsWith("SQLITE_CORRUPT")) return "the database file is corrupt"
  if (code === "SQLITE_FULL") return "the disk is full"
  if (code.startsWith("SQLITE_IOERR")) return "a disk I/O error (the disk may be full or failing)"
  if (code.startsWith("SQLITE_READONLY")) return "the database is read-only"
  if (code.startsWith("SQLITE_CANTOPEN")) return "the database file cannot be opened"
  // The file's folders are created first, so these codes come from making them.
  return describeErrno(inner, {
    ENOTDIR: "a file stands where a folder of its path should be",
    EEXIST: "a file stands where a folder of its path should be",
    ENOENT: "a folder of its path cannot be created"
  })
}

/** `mkdir -p` with mode 0700; Node's own recursive mkdir spins forever under /proc. */
const makeFolders = (dir: string): void => {
  const missing: Array<string> = []
  let current = path.resolve(dir)
  while (!fs.existsSync(current)) {
    missing.push(current)
    const parent = path.dirname(current)
    if (parent === current) break
    current = parent
  }
  for (const folder of missing.reverse()) {
    try {
      fs.mkdirSync(folder, { mode: 0o700 })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e
    }
  }
}

/** `a FIFO (named pipe)` for anything that is not a regular file, or undefined. */
export const specialFileKind = (stat: fs.Stats): string | undefined => {
  if (stat.isFile()) return undefined
  if (stat.isFIFO()) return "a FIFO (named pipe)"
  if (stat.isSocket()) return "a socket"
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return "a device"
  if (stat.isDirectory()) return undefined // reported as EISDIR below
  return "not a regular file"
}

const notAFile = (kind: string) => Object.assign(new Error(kind), { code: "FAZT_SPECIAL_FILE", kind })

/** Why this process may not write `filename`, or undefined when it may. */
const writeBlocker = (filename: string): string | undefined => {
  try {
    fs.accessSync(filename, fs.constants.W_OK)
    return undefined
  } catch (e) {
    const code = errnoCode(e)
    if (code !== "EROFS" && code !== "EACCES" && code !== "EPERM") return undefined
    return describeErrno(e, { EACCES: "you have no permission to write it", EPERM: "you have no permission to write it" })
  }
}

/**
 * Creates the folder (0700) and an empty file (0600) when missing, and
 * refuses a non-empty file that is not SQLite before SQLite touches it, so a
 * wrong path is never modified. A FIFO, socket or device is refused without
 * a blocking open (which would ignore Ctrl-C). Answers why the file cannot be
 * written, when it cannot.
 */
const prepareFile = (filename: string): Effect.Effect<string | undefined, DatabaseError> =>
  Effect.try({
    try: () => {
      if (filename === ":memory:") return undefined
      makeFolders(path.dirname(filename))
      const existing = fs.statSync(filename, { throwIfNoEntry: false })
      const special = existing && specialFileKind(existing)
      if (special !== undefined) throw notAFile(special)
      let fd: number
      try {
        fd = fs.openSync(filename, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e
        // Non-blocking: a FIFO swapped in since the stat above must not hang the open.
        fd = fs.openSync(filename, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
      }
      try {
        const kind = specialFileKind(fs.fstatSync(fd))
        if (kind !== undefined) throw notAFile(kind)
        const head = Buffer.alloc(SQLITE_HEADER.length)
        const read = fs.readSync(fd, head, 0, head.length, 0)
        if (read > 0 && !head.subarray(0, read).equals(SQLITE_HEADER.subarray(0, read))) {
          throw Object.assign(new Error("not a database"), { code: "SQLITE_NOTADB" })
        }
        if (read > 0 && read < SQLITE_HEADER.length) {
          throw Object.assign(new Error("truncated"), { code: "SQLITE_CORRUPT" })
        }
      } finally {
        fs.closeSync(fd)
      }
      return writeBlocker(filename)
    },
    catch: (cause) => new DatabaseError({ path: filename, reason: describeFailure(cause) })
  })

/** `db.prepare`, each statement prepared once. */
const preparedOnce = (db: Sqlite.Database) => {
  const cache = new Map<string, Sqlite.Statement>()
  return (sql: string) => {
    let statement = cache.get(sql)
    if (statement === undefined) {
      statement = db.prepare(sql)
      cache.set(sql, statement)
    }
    return statement
  }
}

const makeConnection = (db: Sqlite.Database, prepare: (sql: string) => Sqlite.Statement): SqlConnection.Connection => {
  const run = (statement: () => Sqlite.Statement, params: ReadonlyArray<unknown>, raw: boolean) =>
    Effect.try({
      try: () => {
        const s = statement()
        if (s.reader) return s.all(...params) as ReadonlyArray<any>
        const result = s.run(...params)
        return raw ? (result as unknown as ReadonlyArray<any>) : []
      },
      catch: (cause) => new SqlError({ cause, message: "Failed to execute statement" })
    })
  return {
    execute: (sql, params, transformRows) => {
      const rows = run(() => prepare(sql), params, false)
      return transformRows ? Effect.map(rows, transformRows) : rows
    },
    executeRaw: (sql, params) => run(() => prepare(sql), params, true),
    executeValues: (sql, params) =>
      Effect.try({
        try: () => {
          const s = prepare(sql)
          if (!s.reader) {
            s.run(...params)
            return []
          }
          s.raw(true)
          try {
            return s.all(...params) as ReadonlyArray<ReadonlyArray<unknown>>
          } finally {
            s.raw(false)
          }
        },
        catch: (cause) => new SqlError({ cause, message: "Failed to execute statement" })
      }),
    executeUnprepared: (sql, params, transformRows) => {
      // @effect/sql rolls back after a failed BEGIN too; with no transaction
      // open that would raise a second error and hide the first (a lock timeout).
      if (sql === "ROLLBACK" && !db.inTransaction) return Effect.succeed([])
      const rows = run(() => db.prepare(sql), params ?? [], false)
      return transformRows ? Effect.map(rows, transformRows) : rows
    },
    executeStream: () => Effect.dieMessage("streaming queries are not used by fazt remote")
  }
}

/** Opens the file without running migrations. */
const open = (options: DatabaseOptions): Effect.Effect<Database.Service, DatabaseError, Scope.Scope> =>
  Effect.gen(function* () {
    const filename = options.filename
    const readOnlyBecause = yield* prepareFile(filename)
    // Tokens live here: the file and its WAL end private whenever they are ours (fileMode.ts).
    if (filename !== ":memory:") {
      for (const f of [filename, `${filename}-wal`, `${filename}-shm`]) {
        const loose = keepPrivate(f)
        if (loose !== undefined) yield* Effect.logWarning(loose)
      }
    }
    const readOnly = readOnlyBecause !== undefined
    const fail = (cause: unknown) => {
      const reason = describeFailure(cause)
      // A write refused by a file we opened read-only: say which permission is missing.
      return new DatabaseError({
        path: filename,
        reason: readOnly && reason === "the database is read-only" ? `the database is read-only: ${readOnlyBecause}` : reason
      })
    }
    // A read-only connection creates -wal/-shm with the database's own mode
    // (0444): left behind, they would stop the next writer. Ours are removed.
    const sidecars = [`${filename}-shm`, `${filename}-wal`]
    const preexisting = readOnly ? sidecars.filter((f) => fs.existsSync(f)) : sidecars
    const removeOurSidecars = () => {
      if (preexisting.length > 0) return
      const wal = fs.statSync(`${filename}-wal`, { throwIfNoEntry: false })
      if (wal !== undefined && wal.size > 0) return // a writer has arrived since: leave its files alone
      for (const f of sidecars) fs.rmSync(f, { force: true })
    }
    const db = yield* Effect.acquireRelease(
      Effect.try({
        try: () => {
          const db = new Sqlite(filename, { timeout: options.busyTimeoutMs ?? 5000, readonly: readOnly })
          try {
            db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`)
            // fazt runs in WAL; only switch when needed, as switching takes a write lock.
            if (!readOnly && filename !== ":memory:" && db.pragma("journal_mode", { simple: true }) !== "wal") {
              db.pragma("journal_mode = WAL")
            }
            db.pragma("foreign_keys = ON")
            // In WAL mode NORMAL never corrupts the file; it only skips an fsync per commit.
            db.pragma("synchronous = NORMAL")
          } catch (e) {
            db.close()
            throw e
          }
          return db
        },
        catch: fail
      }),
      (db) =>
        Effect.sync(() => {
          db.close()
          if (readOnly) {
            try {
              removeOurSidecars()
            } catch {
              // Best effort: a read-only folder never had them created.
            }
          }
        })
    )
    const prepare = preparedOnce(db)
    const connection = makeConnection(db, prepare)
    const semaphore = yield* Effect.makeSemaphore(1)
    const acquirer = semaphore.withPermits(1)(Effect.succeed(connection))
    const transactionAcquirer = Effect.uninterruptibleMask((restore) =>
      Effect.as(
        Effect.zipRight(
          restore(semaphore.take(1)),
          Effect.tap(Effect.scope, (scope) => Scope.addFinalizer(scope, semaphore.release(1)))
        ),
        connection
      )
    )
    const sql = yield* SqlClient.make({
      acquirer,
      transactionAcquirer,
      compiler: Statement.makeCompilerSqlite(),
      spanAttributes: [["db.system.name", "sqlite"]],
      beginTransaction: "BEGIN IMMEDIATE"
    }).pipe(Effect.provideServiceEffect(Reactivity.Reactivity, Reactivity.make))

    const locked = semaphore.withPermits(1)
    // As @effect/sql picks its connection: the transaction's when the fiber is
    // in one of this database's transactions, else the lock's. A transaction
    // of another database (an import from an older file, say) holds that
    // file's lock, not this one's: the statement waits for this lock as usual.
    const onConnection = <A>(use: () => A) => {
      const now = Effect.try({ try: use, catch: fail })
      return Effect.flatMap(Effect.serviceOption(SqlClient.TransactionConnection), (transaction) =>
        transaction._tag === "Some" && transaction.value[0] === connection ? now : locked(now))
    }
    const run = (statement: string, params: ReadonlyArray<unknown>) => onConnection(() => void prepare(statement).run(...params))
    // better-sqlite3's transaction: BEGIN IMMEDIATE, or a savepoint inside the caller's own transaction.
    const runAll = (statements: ReadonlyArray<readonly [string, ReadonlyArray<unknown>]>) =>
      statements.length === 0 ? Effect.void : onConnection(() =>
        db.transaction(() => {
          for (const [statement, params] of statements) prepare(statement).run(...params)
        }).immediate())
    const all = <Row>(statement: string, params: ReadonlyArray<unknown> = []) =>
      onConnection(() => prepare(statement).all(...params) as ReadonlyArray<Row>)

    const use = <A, E, R>(effect: Effect.Effect<A, E | SqlError, R>) =>
      Effect.catchIf(effect, (e): e is SqlError => e instanceof SqlError, (e) => Effect.fail(fail(e))) as Effect.Effect<
        A,
        Exclude<E, SqlError> | DatabaseError,
        R
      >
    return {
      path: filename,
      readOnly,
      sql,
      // Synchronous, so it cannot interleave with another fiber's statements;
      // inside `transaction` it joins that transaction.
      exec: (script) => Effect.try({ try: () => void db.exec(script), catch: fail }),
      // @effect/sql turns a failed COMMIT (disk full, I/O error) into a defect;
      // here it is the DatabaseError it is, with the transaction rolled back.
      transaction: (effect) =>
        use(sql.withTransaction(effect)).pipe(
          Effect.catchAllDefect((defect) => {
            if (!(defect instanceof SqlError)) return Effect.die(defect)
            return Effect.sync(() => {
              if (db.inTransaction) db.exec("ROLLBACK")
            }).pipe(Effect.ignore, Effect.zipRight(Effect.fail(fail(defect))))
          })
        ),
      run,
      runAll,
      all,
      use
    }
  })

const toContext = (db: Database.Service) => Context.make(Database, db).pipe(Context.add(SqlClient.SqlClient, db.sql))

export class Database extends Context.Tag("fazt/Database")<Database, Database.Service>() {
  /** Opens the file and applies no migration: for tools that must not change the schema. */
  static readonly layerUnmigrated = (
    options: DatabaseOptions
  ): Layer.Layer<Database | SqlClient.SqlClient, DatabaseError> => Layer.scopedContext(Effect.map(open(options), toContext))

  /**
   * Opens (creating when missing) a fazt database and applies the peers
   * migration, then `options.migrations`; closed with the scope.
   */
  static readonly make = (options: DatabaseOptions): Effect.Effect<Context.Context<Database | SqlClient.SqlClient>, DatabaseError, Scope.Scope> =>
    open(options).pipe(
      Effect.tap((db) => Migrator.apply(db, [...bundledMigrations, ...(options.migrations ?? [])])),
      Effect.map(toContext)
    )

  /** `make` as a layer. */
  static readonly layer = (options: DatabaseOptions): Layer.Layer<Database | SqlClient.SqlClient, DatabaseError> =>
    Layer.scopedContext(Database.make(options))
}

/**
 * Where a command finds its database: `client` for `fazt remote …` (and
 * fazt's `peer`/`@peer` spellings), `server` for `fazt server …`.
 * docs/DATABASE.md says why each default is what it is.
 */
export type DatabaseMode = "client" | "server"

/**
 * `~/x` as fazt expands it (`internal/database/path.go` `expandPath`): only a
 * leading `~/`; `~user/` and a `~` elsewhere are taken as they are.
 */
export const expandHome = (file: string, home: string): string =>
  file.startsWith("~/") ? path.join(home, file.slice(2)) : file

/** fazt v0.29's one database (`internal/database/path.go` `DefaultDBPath`). */
export const defaultClientPath = (home: string): string => path.join(home, ".fazt", "data.db")

/**
 * The databases fazt remote used by default before it shared fazt's own:
 * `$XDG_CONFIG_HOME/fazt/data.db`, and `~/.config/fazt/data.db`, which
 * fazt v0.29 calls the legacy client database (`cmd/server/main.go`
 * `migrateLegacyClientDB`). Their peers are brought over on first use
 * (LegacyDatabase.ts).
 */
export const legacyClientPaths = Effect.gen(function* () {
  const home = yield* homeDirectory
  const xdg = yield* Config.option(Config.nonEmptyString("XDG_CONFIG_HOME"))
  const fazts = path.join(home, ".config", "fazt", "data.db")
  const ours = Option.match(xdg, { onNone: () => fazts, onSome: (dir) => path.join(path.resolve(dir), "fazt", "data.db") })
  return ours === fazts ? [fazts] : [ours, fazts]
}).pipe(Effect.orDie)

/**
 * The database file, resolved as fazt v0.29 resolves it
 * (`internal/database/path.go` `ResolvePath`): `--db`, then `FAZT_DB_PATH`,
 * then `FAZT_DB` (our older name for it), then the mode's default:
 * `~/.fazt/data.db` for the client, `./data.db` for the node (as fazt's own
 * `server create-key`, `internal/provision/dbpath.go`). A leading `~/` is
 * expanded as fazt does. Both variables set to different files is said once.
 */
export const resolvePath = (flag: Option.Option<string>, mode: DatabaseMode) =>
  Effect.gen(function* () {
    const home = yield* homeDirectory
    const absolute = (file: string) => path.resolve(expandHome(file, home))
    if (Option.isSome(flag)) return absolute(flag.value)
    const faztPath = yield* Config.option(Config.nonEmptyString("FAZT_DB_PATH"))
    const ourAlias = yield* Config.option(Config.nonEmptyString("FAZT_DB"))
    if (Option.isSome(faztPath)) {
      const chosen = absolute(faztPath.value)
      if (Option.isSome(ourAlias) && absolute(ourAlias.value) !== chosen) {
        yield* Effect.logWarning(
          `FAZT_DB_PATH (${chosen}) and FAZT_DB (${absolute(ourAlias.value)}) name different files; using FAZT_DB_PATH, as fazt does`
        )
      }
      return chosen
    }
    if (Option.isSome(ourAlias)) return absolute(ourAlias.value)
    return mode === "server" ? path.resolve("data.db") : defaultClientPath(home)
  }).pipe(Effect.orDie)

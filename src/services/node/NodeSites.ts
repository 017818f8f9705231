import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { createHash, randomBytes } from "node:crypto"
import type { DatabaseError } from "../../domain/errors.js"
import { contentTypeOf, DeployRejected, siteNameProblem, vetEntryPath } from "../../domain/node.js"
import { Database } from "../db/Database.js"
import type { Readable } from "node:stream"
import type { UnpackLimits, ZipEntryStream, ZipReader } from "../zip/zipReader.js"
import { identityAlive, selfIdentity } from "./processIdentity.js"

export interface SiteRecord {
  readonly name: string
  readonly id: string
  readonly spa: boolean
  readonly file_count: number
  readonly size_bytes: number
  readonly created_at: string
  readonly updated_at: string
}

/** A deploy's outcome: the site, and the archive's entries left out (unsafe paths), with why. */
export interface DeployedSite extends SiteRecord {
  readonly skipped: ReadonlyArray<string>
}

/** A stored file: small ones whole, larger ones as chunks read one at a time. */
export interface SiteFile {
  /** The path it is stored under. */
  readonly path: string
  readonly mimeType: string
  readonly size: number
  /** SHA-256 of the content (hex): the ETag; none for files stored before hashes were kept. */
  readonly hash: string | undefined
  readonly body:
    | { readonly _tag: "Whole"; readonly content: Uint8Array }
    | { readonly _tag: "Chunked"; readonly deployId: number; readonly path: string; readonly chunks: number }
}

export interface DeployInput {
  readonly site: string
  readonly spa: boolean
  /** A zip on local disk (the upload, already received). */
  readonly zipPath: string
  /** Refuse archives past these (413), before anything is stored. */
  readonly limits: UnpackLimits
}

/** The local node's deployed sites, in its SQLite file. */
export declare namespace NodeSites {
  export interface Service {
    readonly list: Effect.Effect<ReadonlyArray<SiteRecord>, DatabaseError>
    readonly remove: (name: string) => Effect.Effect<boolean, DatabaseError>
    readonly deploy: (input: DeployInput) => Effect.Effect<DeployedSite, DeployRejected | DatabaseError>
    /** The file at `path` of the site's current version, and the site's SPA flag. */
    readonly file: (
      site: string,
      path: string
    ) => Effect.Effect<{ readonly exists: boolean; readonly spa: boolean; readonly file: Option.Option<SiteFile> }, DatabaseError>
    /** Chunk `seq` of a chunked file, or none when that version was replaced meanwhile. */
    readonly chunk: (deployId: number, path: string, seq: number) => Effect.Effect<Option.Option<Uint8Array>, DatabaseError>
    /**
     * Drops files staged by deploys that never finished and whose writer is
     * gone (a crash mid-upload); a deploy another live process stages is left alone.
     */
    readonly removeUnfinished: Effect.Effect<number, DatabaseError>
  }
}

type SiteRow = Omit<SiteRecord, "spa"> & { readonly spa: number }

/** Staged rows are written in transactions of about this many bytes. */
const BATCH_BYTES = 8 * 1024 * 1024
/** Files up to this size are one row; larger ones are split into chunks of it. */
const CHUNK_BYTES = 1024 * 1024

type StagedRow =
  | {
    readonly _tag: "File"
    readonly path: string
    readonly content: Uint8Array
    readonly size: number
    readonly chunked: boolean
    readonly hash: string
  }
  | { readonly _tag: "Chunk"; readonly path: string; readonly seq: number; readonly data: Uint8Array }

const rejection = (e: unknown) =>
  e instanceof Error && e.name === "ZipTooLarge"
    ? new DeployRejected({ status: 413, reason: e.message })
    : new DeployRejected({ status: 400, reason: e instanceof Error && e.name === "BadZip" ? e.message : "a broken zip file" })

export const make: Effect.Effect<NodeSites.Service, never, Database> = Effect.gen(function* () {
  const db = yield* Database
  const sql = db.sql
  // Recorded with each deploy this process stages (see removeUnfinished).
  const writer = selfIdentity()

  const list = db.use(
    sql<SiteRow>`SELECT name, id, spa, file_count, size_bytes, created_at, updated_at
      FROM fazt_remote_sites ORDER BY name`
  ).pipe(Effect.map((rows) => rows.map((r) => ({ ...r, spa: r.spa === 1 }))))

  const dropDeploy = (id: number) =>
    Effect.zipRight(
      Effect.zipRight(sql`DELETE FROM fazt_remote_chunks WHERE deploy_id = ${id}`, sql`DELETE FROM fazt_remote_files WHERE deploy_id = ${id}`),
      sql`DELETE FROM fazt_remote_deploys WHERE id = ${id}`
    )

  const remove = (name: string) =>
    db.transaction(
      Effect.gen(function* () {
        const rows = yield* sql<{ deploy_id: number }>`SELECT deploy_id FROM fazt_remote_sites WHERE name = ${name}`
        if (rows.length === 0) return false
        yield* dropDeploy(rows[0]!.deploy_id)
        yield* sql`DELETE FROM fazt_remote_sites WHERE name = ${name}`
        return true
      })
    )

  // Unpacks the planned entries into rows of `deployId`, a batch of ~8 MB per
  // transaction, each file read as a stream: memory stays bounded by the
  // batch, whatever the archive holds.
  const stage = (deployId: number, input: DeployInput) =>
    Effect.gen(function* () {
      // A codec inside this service, not a service a verb chooses: the reader
      // (and yauzl) load with the first deploy the node unpacks, so
      // `server create-key` and a node that only serves sites never pay for them.
      // eslint-disable-next-line no-restricted-syntax -- the service's own codec, loaded on its first deploy (above)
      const { planUnpack, ZipReader } = yield* Effect.promise(() => import("../zip/zipReader.js"))
      const plan = yield* Effect.tryPromise({
        try: () => planUnpack(input.zipPath, input.limits, vetEntryPath),
        catch: rejection
      })
      // An archive with no files (or none kept) deploys an empty site, as on fazt.
      let batch: Array<StagedRow> = []
      let batchBytes = 0
      let size = 0
      const flush = Effect.suspend(() => {
        const rows = batch
        batch = []
        batchBytes = 0
        return rows.length === 0 ? Effect.void : db.transaction(
          Effect.forEach(rows, (r) =>
            r._tag === "Chunk"
              ? sql`INSERT OR REPLACE INTO fazt_remote_chunks (deploy_id, path, seq, data) VALUES (${deployId}, ${r.path}, ${r.seq}, ${r.data})`
              : sql`INSERT OR REPLACE INTO fazt_remote_files (deploy_id, path, content, size_bytes, mime_type, chunked, hash)
                  VALUES (${deployId}, ${r.path}, ${r.content}, ${r.size}, ${contentTypeOf(r.path)}, ${r.chunked ? 1 : 0}, ${r.hash})`, { discard: true })
        )
      })
      const push = (row: StagedRow, bytes: number) => {
        batch.push(row)
        batchBytes += bytes
        return batchBytes >= BATCH_BYTES ? flush : Effect.void
      }
      const unpackEntry = (entry: ZipEntryStream) =>
        Effect.acquireUseRelease(
          Effect.tryPromise({ try: () => entry.stream(), catch: rejection }),
          (stream: Readable) =>
            Effect.gen(function* () {
              const pieces = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>
              const chunked = entry.size > CHUNK_BYTES
              const digest = createHash("sha256")
              let pending: Array<Buffer> = []
              let pendingBytes = 0
              let seq = 0
              let total = 0
              for (;;) {
                const piece = yield* Effect.tryPromise({ try: () => pieces.next(), catch: rejection })
                if (piece.done) break
                digest.update(piece.value)
                pending.push(piece.value)
                pendingBytes += piece.value.length
                total += piece.value.length
                while (chunked && pendingBytes >= CHUNK_BYTES) {
                  const joined = Buffer.concat(pending)
                  yield* push({ _tag: "Chunk", path: entry.path, seq: seq++, data: joined.subarray(0, CHUNK_BYTES) }, CHUNK_BYTES)
                  pending = [joined.subarray(CHUNK_BYTES)]
                  pendingBytes = joined.length - CHUNK_BYTES
                }
              }
              const rest = Buffer.concat(pending)
              if (chunked) {
                if (rest.length > 0) yield* push({ _tag: "Chunk", path: entry.path, seq: seq++, data: rest }, rest.length)
                const hash = digest.digest("hex")
                yield* push({ _tag: "File", path: entry.path, content: Buffer.alloc(0), size: total, chunked: true, hash }, 0)
              } else {
                const hash = digest.digest("hex")
                yield* push({ _tag: "File", path: entry.path, content: rest, size: total, chunked: false, hash }, rest.length)
              }
              size += total
            }),
          (stream) => Effect.sync(() => stream.destroy())
        )
      yield* Effect.acquireUseRelease(
        Effect.tryPromise({ try: () => ZipReader.open(input.zipPath, Number.MAX_SAFE_INTEGER), catch: rejection }),
        (reader: ZipReader) =>
          Effect.gen(function* () {
            for (;;) {
              const entry = yield* Effect.tryPromise({ try: () => reader.nextStream(plan.keep), catch: rejection })
              if (entry === null) break
              yield* unpackEntry(entry)
            }
            yield* flush
          }),
        (reader) => Effect.sync(() => reader.close())
      )
      return { count: plan.files, size, skipped: plan.skipped }
    })

  const deploy = (input: DeployInput) =>
    Effect.gen(function* () {
      const problem = siteNameProblem(input.site)
      if (problem) return yield* new DeployRejected({ status: 400, reason: `invalid site name '${input.site}': ${problem}` })
      const created = yield* db.use(
        sql<{ id: number }>`INSERT INTO fazt_remote_deploys (site, writer) VALUES (${input.site}, ${writer}) RETURNING id`
      )
      const deployId = Number(created[0]!.id)
      const staged = yield* stage(deployId, input).pipe(
        Effect.onError(() => db.transaction(dropDeploy(deployId)).pipe(Effect.ignore))
      )
      // The switch: one short transaction, after which readers see only the new files.
      return yield* db.transaction(
        Effect.gen(function* () {
          const old = yield* sql<{ deploy_id: number; id: string }>`SELECT deploy_id, id FROM fazt_remote_sites WHERE name = ${input.site}`
          const appId = old[0]?.id ?? `app_${randomBytes(4).toString("hex")}`
          if (old[0]) {
            yield* sql`UPDATE fazt_remote_sites SET deploy_id = ${deployId}, spa = ${input.spa ? 1 : 0},
              file_count = ${staged.count}, size_bytes = ${staged.size}, updated_at = datetime('now') WHERE name = ${input.site}`
            yield* dropDeploy(old[0].deploy_id)
          } else {
            yield* sql`INSERT INTO fazt_remote_sites (name, id, spa, deploy_id, file_count, size_bytes)
              VALUES (${input.site}, ${appId}, ${input.spa ? 1 : 0}, ${deployId}, ${staged.count}, ${staged.size})`
          }
          yield* sql`UPDATE fazt_remote_deploys SET complete = 1 WHERE id = ${deployId}`
          const rows = yield* sql<SiteRow>`SELECT name, id, spa, file_count, size_bytes, created_at, updated_at
            FROM fazt_remote_sites WHERE name = ${input.site}`
          return { ...rows[0]!, spa: rows[0]!.spa === 1, skipped: staged.skipped }
        })
      )
    })

  const file = (site: string, path: string) =>
    db.use(
      Effect.gen(function* () {
        // length(content), not content, for a chunked file: its row holds no data.
        const rows = yield* sql<{
          spa: number
          deploy_id: number
          content: Uint8Array | null
          size_bytes: number | null
          mime_type: string | null
          chunked: number | null
          hash: string | null
        }>`
          SELECT s.spa AS spa, s.deploy_id AS deploy_id, f.content AS content, f.size_bytes AS size_bytes,
            f.mime_type AS mime_type, f.chunked AS chunked, f.hash AS hash
          FROM fazt_remote_sites s
          LEFT JOIN fazt_remote_files f ON f.deploy_id = s.deploy_id AND f.path = ${path}
          WHERE s.name = ${site}`
        const row = rows[0]
        if (!row) return { exists: false, spa: false, file: Option.none<SiteFile>() }
        if (row.content === null) return { exists: true, spa: row.spa === 1, file: Option.none<SiteFile>() }
        const size = Number(row.size_bytes ?? row.content.length)
        const body: SiteFile["body"] = row.chunked === 1
          ? { _tag: "Chunked", deployId: Number(row.deploy_id), path, chunks: Math.ceil(size / CHUNK_BYTES) }
          : { _tag: "Whole", content: row.content }
        return {
          exists: true,
          spa: row.spa === 1,
          file: Option.some<SiteFile>({
            path,
            mimeType: row.mime_type ?? contentTypeOf(path),
            size,
            // A file stored before hashes were kept: whole ones are hashed here; chunked ones go without.
            hash: row.hash ?? (body._tag === "Whole" ? createHash("sha256").update(body.content).digest("hex") : undefined),
            body
          })
        }
      })
    )

  const chunk = (deployId: number, path: string, seq: number) =>
    db.use(
      sql<{ data: Uint8Array }>`SELECT data FROM fazt_remote_chunks WHERE deploy_id = ${deployId} AND path = ${path} AND seq = ${seq}`
    ).pipe(Effect.map((rows) => Option.fromNullable(rows[0]?.data)))

  const removeUnfinished = db.transaction(
    Effect.gen(function* () {
      const unfinished = yield* sql<{ id: number; writer: string | null }>`SELECT id, writer FROM fazt_remote_deploys WHERE complete = 0`
      const stale = unfinished.filter((d) => d.writer !== writer && !identityAlive(d.writer))
      for (const d of stale) yield* dropDeploy(d.id)
      return stale.length
    })
  )

  return { list, remove, deploy, file, chunk, removeUnfinished }
})

export class NodeSites extends Context.Tag("fazt/NodeSites")<NodeSites, NodeSites.Service>() {
  static readonly layer: Layer.Layer<NodeSites, never, Database> = Layer.effect(NodeSites, make)
}

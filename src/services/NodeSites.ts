import { Context, Effect, Layer, Option } from "effect"
import { randomBytes } from "node:crypto"
import type { DatabaseError } from "../domain/errors.js"
import { contentTypeOf, DeployRejected, entryPathProblem, siteNameProblem } from "../domain/node.js"
import { Database } from "./Database.js"
import type { ZipReader } from "./zipReader.js"

export interface SiteRecord {
  readonly name: string
  readonly id: string
  readonly spa: boolean
  readonly file_count: number
  readonly size_bytes: number
  readonly created_at: string
  readonly updated_at: string
}

export interface SiteFile {
  readonly content: Uint8Array
  readonly mimeType: string
}

export interface DeployInput {
  readonly site: string
  readonly spa: boolean
  /** A zip on local disk (the upload, already received). */
  readonly zipPath: string
  /** Refuse archives that unpack to more than this. */
  readonly maxUnpackedBytes: number
}

/** The local node's deployed sites, in its SQLite file. */
export declare namespace NodeSites {
  export interface Service {
    readonly list: Effect.Effect<ReadonlyArray<SiteRecord>, DatabaseError>
    readonly remove: (name: string) => Effect.Effect<boolean, DatabaseError>
    readonly deploy: (input: DeployInput) => Effect.Effect<SiteRecord, DeployRejected | DatabaseError>
    /** The file at `path` of the site's current version, and the site's SPA flag. */
    readonly file: (
      site: string,
      path: string
    ) => Effect.Effect<{ readonly exists: boolean; readonly spa: boolean; readonly file: Option.Option<SiteFile> }, DatabaseError>
    /** Drops files staged by deploys that never finished (a crash mid-upload). */
    readonly removeUnfinished: Effect.Effect<number, DatabaseError>
  }
}

type SiteRow = Omit<SiteRecord, "spa"> & { readonly spa: number }

/** Staged rows are written in transactions of about this many bytes. */
const BATCH_BYTES = 8 * 1024 * 1024

export const make: Effect.Effect<NodeSites.Service, never, Database> = Effect.gen(function* () {
  const db = yield* Database
  const sql = db.sql

  const list = db.use(
    sql<SiteRow>`SELECT name, id, spa, file_count, size_bytes, created_at, updated_at
      FROM fazt_remote_sites ORDER BY name`
  ).pipe(Effect.map((rows) => rows.map((r) => ({ ...r, spa: r.spa === 1 }))))

  const dropDeploy = (id: number) =>
    Effect.zipRight(
      sql`DELETE FROM fazt_remote_files WHERE deploy_id = ${id}`,
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

  const stage = (deployId: number, input: DeployInput) =>
    Effect.acquireUseRelease(
      Effect.tryPromise({
        try: () => import("./zipReader.js").then((m) => m.ZipReader.open(input.zipPath, input.maxUnpackedBytes)),
        catch: (e) => new DeployRejected({ status: 400, reason: e instanceof Error ? e.message : "not a zip file" })
      }),
      (reader: ZipReader) =>
        Effect.gen(function* () {
          let batch: Array<{ path: string; content: Buffer }> = []
          let batchBytes = 0
          let count = 0
          let size = 0
          const seen = new Set<string>()
          const flush = Effect.suspend(() => {
            const rows = batch
            batch = []
            batchBytes = 0
            return rows.length === 0 ? Effect.void : db.transaction(
              Effect.forEach(rows, (f) =>
                sql`INSERT OR REPLACE INTO fazt_remote_files (deploy_id, path, content, size_bytes, mime_type)
                  VALUES (${deployId}, ${f.path}, ${f.content}, ${f.content.length}, ${contentTypeOf(f.path)})`, { discard: true })
            )
          })
          for (;;) {
            const next = yield* Effect.tryPromise({
              try: () => reader.next(),
              catch: (e) => new DeployRejected({ status: 400, reason: e instanceof Error && e.name === "BadZip" ? e.message : "a broken zip file" })
            })
            if (next === null) break
            const problem = entryPathProblem(next.path)
            if (problem) return yield* new DeployRejected({ status: 400, reason: `unsafe path in the archive: ${problem}` })
            if (!seen.has(next.path)) {
              seen.add(next.path)
              count++
            }
            size += next.content.length
            batch.push(next)
            batchBytes += next.content.length
            if (batchBytes >= BATCH_BYTES) yield* flush
          }
          yield* flush
          if (count === 0) return yield* new DeployRejected({ status: 400, reason: "the archive holds no files" })
          return { count, size }
        }),
      (reader) => Effect.sync(() => reader.close())
    )

  const deploy = (input: DeployInput) =>
    Effect.gen(function* () {
      const problem = siteNameProblem(input.site)
      if (problem) return yield* new DeployRejected({ status: 400, reason: `invalid site name '${input.site}': ${problem}` })
      const created = yield* db.use(
        sql<{ id: number }>`INSERT INTO fazt_remote_deploys (site) VALUES (${input.site}) RETURNING id`
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
          return { ...rows[0]!, spa: rows[0]!.spa === 1 }
        })
      )
    })

  const file = (site: string, path: string) =>
    db.use(
      Effect.gen(function* () {
        const rows = yield* sql<{ spa: number; content: Uint8Array | null; mime_type: string | null }>`
          SELECT s.spa AS spa, f.content AS content, f.mime_type AS mime_type
          FROM fazt_remote_sites s
          LEFT JOIN fazt_remote_files f ON f.deploy_id = s.deploy_id AND f.path = ${path}
          WHERE s.name = ${site}`
        const row = rows[0]
        if (!row) return { exists: false, spa: false, file: Option.none<SiteFile>() }
        return {
          exists: true,
          spa: row.spa === 1,
          file: row.content === null
            ? Option.none<SiteFile>()
            : Option.some({ content: row.content, mimeType: row.mime_type ?? contentTypeOf(path) })
        }
      })
    )

  const removeUnfinished = db.transaction(
    Effect.gen(function* () {
      const stale = yield* sql<{ id: number }>`SELECT id FROM fazt_remote_deploys WHERE complete = 0`
      for (const d of stale) yield* dropDeploy(d.id)
      return stale.length
    })
  )

  return { list, remove, deploy, file, removeUnfinished }
})

export class NodeSites extends Context.Tag("fazt/NodeSites")<NodeSites, NodeSites.Service>() {
  static readonly layer: Layer.Layer<NodeSites, never, Database> = Layer.effect(NodeSites, make)
}

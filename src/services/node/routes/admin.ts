// fazt's admin API, less the command gateway and deploy: health (and the
// public /health), the apps list, deleting an app, and upgrade
// (cmd/server/main.go, internal/handlers/*).
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as os from "node:os"
import type { Database } from "../../db/Database.js"
import type { NodeSites } from "../NodeSites.js"
import type { NodeOptions } from "../NodeServer.js"
import { envelope, failure, noRoute, plainText } from "./answers.js"

export interface AdminContext {
  readonly sites: NodeSites.Service
  readonly db: Database.Service
  readonly options: NodeOptions
  /** Why nothing more can be stored (the database file went), or undefined. */
  readonly databaseProblem: Effect.Effect<string | undefined>
  /** When the node started (ms since the epoch), for its uptime. */
  readonly startedAt: number
}

/** The admin handlers. */
export const adminRoutes = ({ databaseProblem, db, options, sites, startedAt }: AdminContext) => {
  const health = Effect.map(databaseProblem, (problem) =>
    envelope({
      status: problem === undefined ? "healthy" : "unhealthy",
      ...(problem === undefined ? {} : { problem }),
      uptime_seconds: (Date.now() - startedAt) / 1000,
      version: options.version,
      mode: "local",
      memory: { used_mb: process.memoryUsage().rss / 1048576, limit_mb: os.totalmem() / 1048576 },
      database: { path: db.path, open_connections: 1, in_use: 0 }
    })
  )

  // fazt's public liveness check (cmd/server/main.go): plain "OK", or 503
  // when the database does not answer.
  const publicHealth = Effect.gen(function* () {
    if ((yield* databaseProblem) !== undefined) return yield* Effect.fail("gone")
    yield* db.use(db.sql`SELECT 1`)
  }).pipe(
    Effect.as(HttpServerResponse.text("OK")),
    Effect.orElseSucceed(() => plainText(503, "Database unhealthy"))
  )

  const apps = Effect.map(sites.list, (list) =>
    envelope(list.map((s) => ({
      id: s.id,
      title: s.name,
      visibility: "public",
      source: "deploy",
      file_count: s.file_count,
      size_bytes: s.size_bytes,
      created_at: s.created_at,
      updated_at: s.updated_at,
      spa: s.spa
    }))))

  // DELETE /api/apps/<name>: the rest of the path, decoded (the host
  // dispatch has already answered 400 to a malformed escape).
  const deleteApp = Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const path = request.url.replace(/\?.*$/, "")
    const name = decodeURIComponent(path.slice("/api/apps/".length))
    if (name === "") return noRoute(request)
    const removed = yield* sites.remove(name)
    return removed
      ? envelope({ message: `App '${name}' deleted`, name })
      : failure(404, "NOT_FOUND", `App '${name}' not found`)
  })

  // With no release channel, the newest version this node knows is its own:
  // `already_latest` with `new_version` equal to the current one, never a
  // `check_only` (which means "an update is available"). See fazt's
  // internal/handlers/upgrade_handler.go.
  const upgrade = Effect.map(HttpServerRequest.ParsedSearchParams, (query) => {
    if (query["force"] === "true" || query["url"] !== undefined) {
      return failure(
        501,
        "NOT_IMPLEMENTED",
        `This node (fazt remote ${options.version}) cannot replace or restart its own binary; upgrade it with npm`
      )
    }
    return envelope({
      success: true,
      message: `This node runs fazt remote ${options.version} and has no release channel to check`,
      current_version: options.version,
      new_version: options.version,
      action: "already_latest"
    })
  })

  return { apps, deleteApp, health, publicHealth, upgrade }
}

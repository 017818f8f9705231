import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { createServer } from "node:http"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Multipart from "@effect/platform/Multipart"
import { Console, Effect, Layer, Option } from "effect"
import * as os from "node:os"
import { InvalidInput } from "../domain/errors.js"
import { DeployRejected } from "../domain/node.js"
import { Database } from "./Database.js"
import { NodeKeys } from "./NodeKeys.js"
import { NodeSites } from "./NodeSites.js"

export interface NodeOptions {
  /** Reported as the node's version (health, upgrade). */
  readonly version: string
  /** Larger uploads are refused with 413 (fazt's limit is about 100 MB). */
  readonly maxUploadBytes: number
  /** Deploys a client may make per minute (0: no limit); fazt allows 5. */
  readonly deploysPerMinute: number
}

const envelope = (data: unknown, status = 200) => HttpServerResponse.unsafeJson({ data }, { status })

const failure = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
  HttpServerResponse.unsafeJson({ data: null, error: { code, message } }, { status, headers })

const SITE_HOST = /^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)\.localhost$/

/** The site a `Host: <site>.localhost:<port>` header asks for, if any. */
export const siteOfHost = (host: string | undefined): string | undefined => {
  const name = (host ?? "").toLowerCase().replace(/:\d+$/, "")
  return SITE_HOST.exec(name)?.[1]
}

/** Paths to try for a request path: the file, then a folder's index.html. */
export const candidatePaths = (pathname: string): ReadonlyArray<string> => {
  let path: string
  try {
    path = decodeURIComponent(pathname)
  } catch {
    return []
  }
  path = path.replace(/^\/+/, "")
  if (path.split("/").some((part) => part === "..")) return []
  if (path === "" || path.endsWith("/")) return [`${path}index.html`]
  return [path, `${path}/index.html`]
}

/**
 * The local fazt node: fazt's admin API (health, apps, deploy, delete,
 * upgrade) behind API keys, and every deployed site at
 * `http://<site>.localhost:<port>/`.
 */
export const makeApp = (options: NodeOptions) =>
  Effect.gen(function* () {
    const keys = yield* NodeKeys
    const sites = yield* NodeSites
    const db = yield* Database
    const startedAt = Date.now()
    const deploysByClient = new Map<string, Array<number>>()

    const authorized = (request: HttpServerRequest.HttpServerRequest) =>
      Effect.gen(function* () {
        const header = request.headers["authorization"] ?? ""
        const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
        if (!match) return Option.some(failure(401, "UNAUTHORIZED", "An API key is required (Authorization: Bearer <key>)"))
        const ok = yield* keys.verify(match[1]!)
        return ok ? Option.none() : Option.some(failure(401, "INVALID_API_KEY", "Invalid API key"))
      })

    const health = Effect.sync(() =>
      envelope({
        status: "healthy",
        uptime_seconds: (Date.now() - startedAt) / 1000,
        version: options.version,
        mode: "local",
        memory: { used_mb: process.memoryUsage().rss / 1048576, limit_mb: os.totalmem() / 1048576 },
        database: { path: db.path, open_connections: 1, in_use: 0 }
      })
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

    const deleteApp = (name: string) =>
      Effect.map(sites.remove(name), (removed) =>
        removed
          ? envelope({ message: `App '${name}' deleted`, name })
          : failure(404, "NOT_FOUND", `App '${name}' not found`))

    const upgrade = (url: URL) =>
      Effect.sync(() => {
        const check = url.searchParams.get("check") === "true"
        if (!check) {
          return failure(
            501,
            "NOT_IMPLEMENTED",
            `This node (fazt remote ${options.version}) cannot replace its own binary; upgrade it with npm`
          )
        }
        return envelope({
          success: true,
          message: `This node runs fazt remote ${options.version} and has no release channel to check`,
          current_version: options.version,
          action: "check_only"
        })
      })

    const rateLimited = (client: string): number | undefined => {
      if (options.deploysPerMinute <= 0) return undefined
      const now = Date.now()
      const recent = (deploysByClient.get(client) ?? []).filter((t) => now - t < 60_000)
      if (recent.length >= options.deploysPerMinute) {
        deploysByClient.set(client, recent)
        return Math.max(1, Math.ceil((recent[0]! + 60_000 - now) / 1000))
      }
      recent.push(now)
      deploysByClient.set(client, recent)
      return undefined
    }

    const deploy = (request: HttpServerRequest.HttpServerRequest) =>
      Effect.gen(function* () {
        const client = Option.getOrElse(request.remoteAddress, () => "unknown")
        const wait = rateLimited(client)
        if (wait !== undefined) {
          return failure(429, "RATE_LIMIT_EXCEEDED", `At most ${options.deploysPerMinute} deploys a minute`, {
            "retry-after": String(wait)
          })
        }
        const declared = Number(request.headers["content-length"] ?? "0")
        if (declared > options.maxUploadBytes) {
          return failure(413, "PAYLOAD_TOO_LARGE", `The upload is larger than ${options.maxUploadBytes} bytes`)
        }
        const form = yield* request.multipart.pipe(
          Multipart.withLimits({
            maxFileSize: Option.some(options.maxUploadBytes),
            maxTotalSize: Option.some(options.maxUploadBytes),
            maxParts: Option.some(16)
          }),
          Effect.either
        )
        if (form._tag === "Left") {
          const tooLarge = ["FileTooLarge", "BodyTooLarge"].includes(form.left.reason)
          return tooLarge
            ? failure(413, "PAYLOAD_TOO_LARGE", `The upload is larger than ${options.maxUploadBytes} bytes`)
            : failure(400, "BAD_REQUEST", `Cannot read the multipart form (${form.left.reason})`)
        }
        const field = (name: string) => {
          const v = form.right[name]
          return typeof v === "string" ? v : undefined
        }
        const site = field("site_name")
        if (site === undefined || site === "") return failure(400, "BAD_REQUEST", "site_name is required")
        const files = form.right["file"]
        const file = Array.isArray(files) ? files[0] : undefined
        if (file === undefined || typeof file === "string") return failure(400, "BAD_REQUEST", "file is required")
        if (!file.name.toLowerCase().endsWith(".zip")) return failure(400, "BAD_REQUEST", "file must be a .zip archive")
        const result = yield* sites.deploy({
          site,
          spa: field("spa") === "true",
          zipPath: file.path,
          maxUnpackedBytes: options.maxUploadBytes * 10
        }).pipe(Effect.either)
        if (result._tag === "Left") {
          const e = result.left
          if (e instanceof DeployRejected) {
            return failure(e.status, e.status === 413 ? "PAYLOAD_TOO_LARGE" : "BAD_REQUEST", e.reason)
          }
          return yield* Effect.fail(e)
        }
        const s = result.right
        return envelope({
          site: s.name,
          file_count: s.file_count,
          size_bytes: s.size_bytes,
          message: `Deployed ${s.file_count} files to ${s.name}`
        })
      }).pipe(Effect.scoped)

    const serveSite = (site: string, url: URL) =>
      Effect.gen(function* () {
        for (const path of candidatePaths(url.pathname)) {
          const found = yield* sites.file(site, path)
          if (!found.exists) return HttpServerResponse.text("Site not found\n", { status: 404 })
          if (Option.isSome(found.file)) {
            return HttpServerResponse.uint8Array(found.file.value.content, { contentType: found.file.value.mimeType })
          }
          if (found.spa) {
            const index = yield* sites.file(site, "index.html")
            if (Option.isSome(index.file)) {
              return HttpServerResponse.uint8Array(index.file.value.content, { contentType: index.file.value.mimeType })
            }
          }
        }
        return HttpServerResponse.text("Not Found\n", { status: 404 })
      })

    const api = (request: HttpServerRequest.HttpServerRequest, url: URL) =>
      Effect.gen(function* () {
        const path = url.pathname.replace(/\/+$/, "")
        const route = `${request.method} ${path}`
        const known = route === "GET /api/system/health" || route === "GET /api/apps" || route === "POST /api/upgrade" ||
          route === "POST /api/deploy" || (request.method === "DELETE" && path.startsWith("/api/apps/"))
        if (!known) return failure(404, "NOT_FOUND", `No route for ${request.method} ${path}`)
        const denied = yield* authorized(request)
        if (Option.isSome(denied)) return denied.value
        if (route === "GET /api/system/health") return yield* health
        if (route === "GET /api/apps") return yield* apps
        if (route === "POST /api/upgrade") return yield* upgrade(url)
        if (route === "POST /api/deploy") return yield* deploy(request)
        return yield* deleteApp(decodeURIComponent(path.slice("/api/apps/".length)))
      })

    return Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const url = new URL(request.url, "http://localhost")
      const site = siteOfHost(request.headers["host"])
      const response = site !== undefined ? serveSite(site, url) : api(request, url)
      return yield* response.pipe(
        Effect.catchAll((e) => Effect.succeed(failure(500, "INTERNAL_ERROR", e.message)))
      )
    })
  })

/** Serves the node on whatever `HttpServer` is provided (Node's, in `fazt server start`). */
export const layer = (options: NodeOptions) =>
  Layer.unwrapEffect(Effect.map(makeApp(options), (app) => HttpServer.serve(app)))

/**
 * Listens on `host:port` until interrupted, announcing the address on stderr;
 * `onListening` is then told the URL clients use.
 */
export const run = (
  options: NodeOptions,
  listen: { readonly port: number; readonly host: string },
  onListening: (url: string) => Effect.Effect<void> = () => Effect.void
) =>
  Effect.gen(function* () {
    const db = yield* Database
    const announce = Layer.effectDiscard(
      Effect.flatMap(HttpServer.HttpServer, (server) => {
        const address = server.address._tag === "TcpAddress"
          ? `http://${server.address.hostname.includes(":") ? `[${server.address.hostname}]` : server.address.hostname}:${server.address.port}`
          : server.address.path
        return Console.error(`fazt node ${options.version} listening on ${address} (database ${db.path})`).pipe(
          Effect.zipRight(onListening(address))
        )
      })
    )
    return yield* Layer.launch(
      Layer.mergeAll(layer(options), announce).pipe(Layer.provide(NodeHttpServer.layer(createServer, listen)))
    ).pipe(
      Effect.catchTag("ServeError", (e) => {
        const code = (e.cause as NodeJS.ErrnoException | undefined)?.code
        const why = code === "EADDRINUSE" ? "the port is in use" : code === "EACCES" ? "permission denied" : (code ?? String(e.cause))
        return Effect.fail(new InvalidInput({ message: `cannot listen on ${listen.host}:${listen.port}: ${why}` }))
      })
    )
  })

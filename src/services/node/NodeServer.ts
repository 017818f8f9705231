import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import { createServer } from "node:http"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { describeErrno, errnoCode } from "../../domain/errno.js"
import { ListenFailed } from "../../domain/errors.js"
import { Database } from "../db/Database.js"
import { NodeKeys } from "./NodeKeys.js"
import { NodeSites } from "./NodeSites.js"
import { badRequest, failure, insufficientStorage, isStorageFault, noRoute, plainText } from "./routes/answers.js"
import { adminRoutes } from "./routes/admin.js"
import { commandRoute } from "./routes/command.js"
import { deployRoute } from "./routes/deploy.js"
import { siteRoutes } from "./routes/site.js"

export interface NodeOptions {
  /** Reported as the node's version (health, upgrade). */
  readonly version: string
  /** Larger uploads are refused with 413 (fazt's limit is about 100 MB). */
  readonly maxUploadBytes: number
  /** Deploys a client may make per minute (0: no limit); fazt allows 5. */
  readonly deploysPerMinute: number
  /** What one archive may unpack to: total bytes, bytes of one file, files (413 past any). */
  readonly maxUnpackedBytes: number
  readonly maxFileBytes: number
  readonly maxFiles: number
  /** Where uploads are received (a folder of the node's own); the system's temp folder if absent. */
  readonly uploadDir?: string
}

// fazt's error envelope carries no `data` (internal/api/response.go, ErrorEnvelope).
/** A limit as it was given (`--max-upload 100MB` → `100 MB`), not `104857600 bytes`. */
const sizeText = (n: number): string =>
  n % 1024 ** 3 === 0 ? `${n / 1024 ** 3} GB` : n % 1024 ** 2 === 0 ? `${n / 1024 ** 2} MB` : n % 1024 === 0 ? `${n / 1024} KB` : `${n} bytes`

/** What the log says about a failed request: the error's own text, or the defect's trace. */
const internalDetail = (cause: Cause.Cause<unknown>): string =>
  Option.match(Cause.failureOption(cause), {
    onNone: () => Cause.pretty(cause),
    onSome: (e) => e instanceof Error ? `${(e as { _tag?: string })._tag ?? e.name}: ${e.message}` : String(e)
  })

const SITE_HOST = /^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)\.localhost$/

/**
 * The site a `Host: <site>.localhost:<port>` header asks for, if any.
 * `admin.localhost` is the API, as `admin.<domain>` is on a fazt node.
 */
const siteOfHost = (host: string | undefined): string | undefined => {
  const name = (host ?? "").toLowerCase().replace(/:\d+$/, "")
  const site = SITE_HOST.exec(name)?.[1]
  return site === "admin" ? undefined : site
}

/**
 * The local fazt node: fazt's admin API (health, apps, the command gateway,
 * deploy, delete, upgrade) behind API keys, fazt's public `/health`, and every
 * deployed site at `http://<site>.localhost:<port>/`.
 */
const makeApp = (options: NodeOptions) =>
  Effect.gen(function* () {
    const keys = yield* NodeKeys
    const sites = yield* NodeSites
    const db = yield* Database
    const startedAt = Date.now()
    const clientOf = (request: HttpServerRequest.HttpServerRequest) => Option.getOrElse(request.remoteAddress, () => "unknown")

    // The database file this node opened, by device and inode: deleted or
    // replaced under the running node (rm, a restore that renames a copy in),
    // the node's writes would go to a file no one will open again. Checked on
    // each health call and before each write; the first sighting is logged.
    const opened = (() => {
      try {
        const st = fs.statSync(db.path)
        return { dev: st.dev, ino: st.ino }
      } catch {
        return undefined
      }
    })()
    let reported = false
    const databaseProblem = Effect.sync((): string | undefined => {
      if (opened === undefined) return undefined
      let problem: string | undefined
      try {
        const st = fs.statSync(db.path)
        if (st.dev !== opened.dev || st.ino !== opened.ino) problem = "replaced by another file"
      } catch (e) {
        problem = errnoCode(e) === "ENOENT" ? "deleted" : undefined
      }
      return problem === undefined ? undefined : `this node's database file was ${problem} while the node ran`
    }).pipe(Effect.tap((problem) => {
      if (problem === undefined || reported) return Effect.void
      reported = true
      return Effect.logError(`${problem} (${db.path}): nothing more is stored; restart the node`)
    }))
    /** 503 for a write while the database file is gone: what was written would be lost at the next start. */
    const unlessDatabaseGone = <E, R>(write: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
      Effect.gen(function* () {
        const problem = yield* databaseProblem
        if (problem === undefined) return yield* write
        const request = yield* HttpServerRequest.HttpServerRequest
        return yield* afterBody(request, failure(503, "DATABASE_GONE", `${problem}: nothing more can be stored; restart the node`))
      })

    const { apps, deleteApp, health, publicHealth, upgrade } = adminRoutes({ sites, db, options, databaseProblem, startedAt })
    const command = commandRoute({ sites, options, databaseProblem })

    // An upload answered before its body was read (refused mid-way, a wrong
    // key, a rate limit) is read to its end and dropped before the answer
    // goes out — for at most 30 s and --max-upload bytes: a client still
    // sending (fazt's and ours send `Connection: close`) would otherwise meet
    // a reset connection instead of the answer, and retry it as a network
    // failure.
    const afterBody = (request: HttpServerRequest.HttpServerRequest, response: HttpServerResponse.HttpServerResponse) =>
      Effect.as(
        Effect.async<void>((resume) => {
          const incoming = NodeHttpServerRequest.toIncomingMessage(request)
          if (incoming.complete || incoming.destroyed) return resume(Effect.void)
          let seen = 0
          const stop = () => {
            clearTimeout(timer)
            incoming.off("data", onData)
            incoming.off("end", done)
            incoming.off("close", done)
          }
          const done = () => {
            stop()
            resume(Effect.void)
          }
          const onData = (chunk: Buffer) => {
            seen += chunk.length
            if (seen > options.maxUploadBytes) done()
          }
          const timer = setTimeout(done, 30_000)
          incoming.on("data", onData)
          incoming.once("end", done)
          incoming.once("close", done)
          incoming.resume()
          return Effect.sync(stop)
        }),
        response
      )

    const tooLarge = (request: HttpServerRequest.HttpServerRequest) =>
      afterBody(
        request,
        failure(413, "PAYLOAD_TOO_LARGE", `The upload is larger than this node's limit of ${sizeText(options.maxUploadBytes)} (its --max-upload)`)
      )

    const deploy = deployRoute({ sites, options, clientOf, afterBody, tooLarge })
    const { serveSite } = siteRoutes(sites)

    // The same answers as fazt's requireAPIKeyAuth (internal/handlers/auth_handlers.go).
    // A refused upload is read to its end before the answer (see afterBody).
    const requireApiKey = HttpMiddleware.make((app) =>
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers["authorization"] ?? "")
        if (!match) return yield* afterBody(request, failure(401, "UNAUTHORIZED", "API key required (Authorization: Bearer <token>)"))
        const verdict = yield* keys.verify(match[1]!, clientOf(request))
        switch (verdict._tag) {
          case "Valid":
            return yield* app
          case "Invalid":
            return yield* afterBody(request, failure(401, "INVALID_API_KEY", "Invalid or expired API key"))
          case "Throttled":
            return yield* afterBody(
              request,
              failure(429, "RATE_LIMIT_EXCEEDED", verdict.message, { "retry-after": String(verdict.retryAfterSeconds) })
            )
        }
      })
    )

    // fazt's admin routes (cmd/server/main.go); on this node every one takes an API key.
    // A path answered for other methods than the one asked gets 405 with
    // Allow, as Go's ServeMux does for fazt's "POST /api/cmd"-style patterns
    // (after the key check: fazt's auth middleware wraps its mux). GET takes HEAD.
    const byMethod = <E, R>(handlers: Partial<Record<"GET" | "POST" | "DELETE", Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>>>) =>
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        const method = request.method === "HEAD" ? "GET" : request.method
        const handler = handlers[method as keyof typeof handlers]
        if (handler !== undefined) return yield* handler
        const allow = Object.keys(handlers).flatMap((m) => (m === "GET" ? ["GET", "HEAD"] : [m])).join(", ")
        return yield* afterBody(request, plainText(405, "Method Not Allowed", { allow }))
      })
    // fazt registers /api/deploy for every method and answers another than
    // POST itself: 400 "Method not allowed" (internal/handlers/deploy.go).
    const deployAnyMethod = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
      request.method === "POST" ? unlessDatabaseGone(deploy) : afterBody(request, badRequest("Method not allowed")))

    const keyed = HttpRouter.empty.pipe(
      HttpRouter.all("/api/system/health", byMethod({ GET: health })),
      HttpRouter.all("/api/apps", byMethod({ GET: apps })),
      HttpRouter.all("/api/cmd", byMethod({ POST: command })),
      HttpRouter.all("/api/upgrade", byMethod({ POST: upgrade })),
      HttpRouter.all("/api/deploy", deployAnyMethod),
      HttpRouter.all("/api/apps/*", byMethod({ DELETE: unlessDatabaseGone(deleteApp) })),
      // Every other /api path asks for the key before its 404, as fazt's auth
      // middleware wraps its whole mux: without a key nothing tells which exist.
      HttpRouter.all("/api", Effect.map(HttpServerRequest.HttpServerRequest, noRoute)),
      HttpRouter.all("/api/*", Effect.map(HttpServerRequest.HttpServerRequest, noRoute)),
      HttpRouter.use(requireApiKey)
    )
    // fazt's /health answers every method.
    const router = HttpRouter.empty.pipe(HttpRouter.all("/health", publicHealth), HttpRouter.concat(keyed))
    // Paths match as written: case-sensitive, a doubled slash is no single
    // one (Go's mux does not fold either).
    const routes = yield* HttpRouter.toHttpApp(router).pipe(
      HttpRouter.withRouterConfig({ caseSensitive: true, ignoreDuplicateSlashes: false })
    )

    // Host dispatch comes before the router: `<site>.localhost` is a site,
    // any other host the API (fazt's host routing, cmd/server/main.go).
    const dispatch = Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      let url: URL
      try {
        // Origin-form targets are paths ("//x" included); absolute-form ones are URLs.
        url = request.url.startsWith("/") ? new URL(`http://localhost${request.url}`) : new URL(request.url)
      } catch {
        return badRequest("malformed request target")
      }
      // Two Host headers are refused, as Go's net/http does (RFC 9112 §3.2):
      // which one names the site would be anyone's guess. Node keeps the first.
      const raw = NodeHttpServerRequest.toIncomingMessage(request).rawHeaders
      let hosts = 0
      for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === "host") hosts++
      if (hosts > 1) return yield* afterBody(request, badRequest("more than one Host header"))
      // HTTP/1.1 requires one (RFC 9112 §3.2); Node's own refusal has no body.
      const incoming = NodeHttpServerRequest.toIncomingMessage(request)
      if (hosts === 0 && incoming.httpVersion === "1.1" && request.url.startsWith("/")) {
        return yield* afterBody(request, badRequest("the request has no Host header"))
      }
      // An absolute-form target's authority names the site, not the Host
      // header (RFC 9112 §3.2.2; Go sets r.Host from it too).
      const host = request.url.startsWith("/") ? request.headers["host"] : url.host
      const site = siteOfHost(host)
      if (site !== undefined) return yield* serveSite(site, url, request)
      const path = url.pathname.replace(/\/+$/, "")
      try {
        decodeURIComponent(path)
      } catch {
        return badRequest("malformed percent-escape in the path")
      }
      // The router sees the path alone (an absolute-form target made one),
      // trailing slashes dropped, and `;` escaped so it stays part of the path.
      const target = `${path === "" ? "/" : path.replaceAll(";", "%3B")}${url.search}`
      return yield* routes.pipe(
        Effect.provideService(
          HttpServerRequest.HttpServerRequest,
          request.modify({ url: target, headers: host === undefined ? request.headers : { ...request.headers, host } })
        )
      )
    })

    return dispatch.pipe(
      Effect.catchTags({ RouteNotFound: (e) => Effect.succeed(noRoute(e.request)) }),
      // A failure or defect is answered as fazt's ServerError does
      // (internal/api/response.go): a fixed message, never the internal one,
      // which may name the database's path or a file on the node; the
      // detail goes to the node's log (stderr).
      Effect.catchAllCause((cause) =>
        Cause.isInterruptedOnly(cause)
          ? Effect.failCause(cause)
          : Option.exists(Cause.failureOption(cause), isStorageFault)
          ? Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
            Effect.as(Effect.logError(`${request.method} ${request.url} failed: ${internalDetail(cause)}`), insufficientStorage()))
          : Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
            Effect.as(
              Effect.logError(`${request.method} ${request.url} failed: ${internalDetail(cause)}`),
              failure(500, "INTERNAL_ERROR", "An unexpected error occurred")
            ))
      )
    )
  })

/** Serves the node on whatever `HttpServer` is provided (Node's, in `fazt server start`). */
export const layer = (options: NodeOptions) =>
  Layer.unwrapEffect(Effect.map(makeApp(options), (app) => HttpServer.serve(app, logRequests)))

/**
 * One debug line per request (`--log-level debug`): method, path, status and
 * time, as a web server's access log. The query is left out (it may carry a
 * name someone typed), headers never appear (the key is one).
 */
const logRequests = HttpMiddleware.make((app) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const started = Date.now()
    const response = yield* app
    yield* Effect.logDebug(`${request.method} ${request.url.split("?")[0]} → ${response.status} (${Date.now() - started} ms)`)
    return response
  }))

const UPLOADS_PREFIX = "fazt-node-uploads-"

/**
 * The folder uploads are received in: one per node process, removed when it
 * exits (SIGTERM and Ctrl-C included). Folders left by a node that was killed
 * outright (SIGKILL) are removed by the next node to start.
 */
const makeUploadDir = (): string => {
  const tmp = os.tmpdir()
  for (const name of fs.readdirSync(tmp)) {
    const pid = Number(new RegExp(`^${UPLOADS_PREFIX}(\\d+)-`).exec(name)?.[1])
    if (!Number.isInteger(pid) || pid === process.pid) continue
    let alive = true
    try {
      process.kill(pid, 0)
    } catch (e) {
      alive = (e as NodeJS.ErrnoException).code === "EPERM"
    }
    if (!alive) fs.rmSync(nodePath.join(tmp, name), { recursive: true, force: true })
  }
  const dir = fs.mkdtempSync(nodePath.join(tmp, `${UPLOADS_PREFIX}${process.pid}-`))
  process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

/**
 * The node listening on `host:port` for as long as the layer lives (`Layer.launch`
 * it to serve until interrupted), announcing the address on stderr;
 * `onListening` is then told the URL clients use.
 */
export const serve = (
  options: NodeOptions,
  listen: { readonly port: number; readonly host: string },
  onListening: (url: string, database: string) => Effect.Effect<void> = (url, database) =>
    Console.error(`fazt node ${options.version} listening on ${url} (database ${database})`)
) =>
  Layer.unwrapEffect(Effect.gen(function* () {
    const db = yield* Database
    const uploadDir = options.uploadDir ?? makeUploadDir()
    // A missing Host is answered in dispatch, with a body like every other 400.
    const server = createServer({ requireHostHeader: false })
    // A request Node's parser refuses (bad bytes in the target, headers too
    // large) still gets a one-line JSON answer, as every other error does.
    server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
      if (!socket.writable) return socket.destroy()
      const [status, text, message] = error.code === "HPE_HEADER_OVERFLOW"
        ? [431, "Request Header Fields Too Large", "the request headers are too large"]
        : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "Request Timeout", "the request did not arrive in time"]
        : [400, "Bad Request", "a malformed HTTP request"]
      const body = JSON.stringify({ error: { code: status === 400 ? "BAD_REQUEST" : `HTTP_${status}`, message } })
      socket.end(
        `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
      )
    })
    const announce = Layer.effectDiscard(
      Effect.flatMap(HttpServer.HttpServer, (http) => {
        const address = http.address._tag === "TcpAddress"
          ? `http://${http.address.hostname.includes(":") ? `[${http.address.hostname}]` : http.address.hostname}:${http.address.port}`
          : http.address.path
        return onListening(address, db.path)
      })
    )
    // On shutdown, cut the connections still open (an upload in progress)
    // before the server waits for them to end: their requests are
    // interrupted, which removes what they had received.
    const cutConnections = Layer.scopedDiscard(Effect.addFinalizer(() => Effect.sync(() => server.closeAllConnections())))
    return Layer.mergeAll(layer({ ...options, uploadDir }), announce, cutConnections).pipe(
      Layer.provide(NodeHttpServer.layer(() => server, listen)),
      Layer.mapError((e) => {
        const code = errnoCode(e.cause)
        return new ListenFailed({ host: listen.host, port: listen.port, ...(code ? { code } : {}), reason: describeErrno(e.cause) })
      })
    )
  }))

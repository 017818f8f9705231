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
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { describeErrno, errnoCode } from "../../domain/errno.js"
import { ListenFailed } from "../../domain/errors.js"
import { Database } from "../db/Database.js"
import { makeClientWindow } from "./clientWindow.js"
import { MAX_CLIENTS_REMEMBERED, NodeKeys } from "./NodeKeys.js"
import { NodeSites, type SiteFile } from "./NodeSites.js"
import { type ReceivedUpload, receiveUpload, UploadFailed } from "./uploadReceiver.js"

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

const envelope = (data: unknown, status = 200) => HttpServerResponse.unsafeJson({ data }, { status })

// fazt's error envelope carries no `data` (internal/api/response.go, ErrorEnvelope).
const failure = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
  HttpServerResponse.unsafeJson({ error: { code, message } }, { status, headers })

const badRequest = (message: string) => failure(400, "BAD_REQUEST", message)

const noRoute = (request: HttpServerRequest.HttpServerRequest) =>
  failure(404, "NOT_FOUND", `No route for ${request.method} ${request.url.replace(/\?.*$/, "").replaceAll("%3B", ";")}`)


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
 * The stored path a decoded request path names, cleaned as Go's
 * filepath.Clean does for fazt's ServeVFS (empty and `.` segments dropped),
 * or undefined when it would climb out with `..`.
 */
const storedPathOf = (decoded: string): string | undefined => {
  const parts: Array<string> = []
  for (const part of decoded.split("/")) {
    if (part === "" || part === ".") continue
    if (part === "..") return undefined
    parts.push(part)
  }
  return parts.join("/")
}

/** Go's filepath.Ext: the final element's suffix from its last dot, or "". */
const extensionOf = (path: string): string => {
  const base = path.slice(path.lastIndexOf("/") + 1)
  const dot = base.lastIndexOf(".")
  return dot === -1 ? "" : base.slice(dot)
}

/** fazt's Cache-Control for a served file (internal/hosting/handler.go, ServeVFS). */
const cacheControlOf = (path: string): string =>
  path.endsWith(".html")
    ? "no-cache, must-revalidate"
    : path.startsWith("assets/") && path.slice(path.lastIndexOf("/") + 1).includes("-")
    ? "public, max-age=31536000, immutable"
    : "public, max-age=300"

/** Go's http.NotFound and http.Error answers: plain text. */
const plainText = (status: number, text: string, headers: Record<string, string> = {}) =>
  HttpServerResponse.text(`${text}\n`, { status, headers: { "x-content-type-options": "nosniff", ...headers } })

/** A storage fault of the node's own disk: answered 507 (fazt has no status of its own for it; its answer is a 500). */
const insufficientStorage = () =>
  failure(507, "INSUFFICIENT_STORAGE", "This node cannot store the request: its disk is full (or failing)")

/** A DatabaseError that means the disk is full or failing (src/services/db/Database.ts, describeFailure). */
const isStorageFault = (e: unknown): boolean =>
  typeof e === "object" && e !== null && (e as { _tag?: unknown })._tag === "DatabaseError" &&
  /disk is full|disk I\/O error/.test(String((e as { reason?: unknown }).reason))

/** fazt's app ids: `app_` and 4–32 of [0-9a-z] (internal/appid/appid.go). */
const APP_ID = /^app_[0-9a-z]{4,32}$/

/** An answer of the command gateway: always HTTP 200 (internal/handlers/cmd_gateway.go). */
const commandResult = (result: { readonly data: unknown } | { readonly error: string }) =>
  envelope("error" in result ? { success: false, error: result.error } : { success: true, data: result.data })

const ownAddress = (host: string | undefined) => {
  const port = /:(\d+)$/.exec(host ?? "")?.[1]
  return port === undefined ? "" : `:${port}`
}

/** A chunk removed while its file was being sent: the site was redeployed mid-answer. */
class ChunkGone extends Data.TaggedError("ChunkGone")<{ readonly path: string; readonly seq: number }> {}

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
    const deploys = makeClientWindow({
      limit: Math.max(1, options.deploysPerMinute),
      windowMs: 60_000,
      maxClients: MAX_CLIENTS_REMEMBERED
    })
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

    // The command gateway, as fazt's CLI uses it (`fazt @peer app list`):
    // internal/handlers/cmd_gateway.go. Every site here is one app whose only
    // alias is the site's name.
    const findApp = (args: ReadonlyArray<string>) =>
      Effect.gen(function* () {
        let identifier = args[0]!
        let byId = APP_ID.test(identifier)
        args.forEach((arg, i) => {
          if ((arg === "--alias" || arg === "--id") && i + 1 < args.length) {
            identifier = args[i + 1]!
            byId = arg === "--id"
          }
        })
        const list = yield* sites.list
        return list.find((s) => (byId ? s.id === identifier : s.name === identifier))
      })

    const appCommand = (args: ReadonlyArray<string>, host: string | undefined) =>
      Effect.gen(function* () {
        const [sub, ...rest] = args
        if (sub === undefined) return { error: "missing subcommand" }
        switch (sub) {
          case "list": {
            const list = [...(yield* sites.list)].sort((a, b) => b.updated_at.localeCompare(a.updated_at))
            if (rest.includes("--aliases")) {
              const aliases = list.map((s) => ({ subdomain: s.name, type: "proxy", targets: { app_id: s.id } }))
              return { data: aliases.length === 0 ? null : aliases }
            }
            // fazt answers null, not [], when there are no apps.
            const items = list.map((s) => ({ id: s.id, title: s.name, visibility: "public", aliases: [s.name] }))
            return { data: items.length === 0 ? null : items }
          }
          case "info": {
            if (rest.length < 1) return { error: "missing required argument" }
            const app = yield* findApp(rest)
            if (!app) return { error: "not found" }
            return {
              data: {
                id: app.id,
                title: app.name,
                visibility: "public",
                source: "deploy",
                file_count: app.file_count,
                size_bytes: app.size_bytes,
                created_at: app.created_at,
                updated_at: app.updated_at,
                aliases: [app.name],
                url: `http://${app.name}.localhost${ownAddress(host)}`
              }
            }
          }
          case "remove": {
            if (rest.length < 1) return { error: "missing required argument" }
            const problem = yield* databaseProblem
            if (problem !== undefined) return { error: `${problem}: nothing more can be stored; restart the node` }
            if (rest.includes("--alias") && !rest.includes("--id")) {
              return { error: "this node keeps exactly one alias per app, its name: remove the app instead" }
            }
            const app = yield* findApp(rest)
            if (!app || !(yield* sites.remove(app.name))) return { error: "not found" }
            return { data: { id: app.id, title: app.name, deleted: 1, message: "App removed" } }
          }
          case "link":
          case "unlink":
          case "reserve":
          case "fork":
          case "lineage":
            return { error: `'app ${sub}' is not supported by this node (fazt remote ${options.version})` }
          default:
            return { error: "unknown subcommand" }
        }
      })

    const serverCommand = (args: ReadonlyArray<string>) => {
      if (args[0] === undefined) return { error: "missing subcommand" }
      if (args[0] !== "info") return { error: "unknown subcommand" }
      // No file cache here: the VFS figures are honestly zero.
      return { data: { version: options.version, domain: "localhost", env: "development", vfs: { cached_files: 0, cache_size: 0 } } }
    }

    const command = Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      if (Number(request.headers["content-length"] ?? "0") > 1024 * 1024) {
        return failure(413, "PAYLOAD_TOO_LARGE", "Request payload exceeds maximum size of 1MB")
      }
      const text = yield* request.text.pipe(Effect.catchTag("RequestError", () => Effect.succeed(undefined)))
      let body: unknown
      try {
        body = text === undefined ? undefined : JSON.parse(text)
      } catch {
        body = undefined
      }
      // Go decodes into {command string, args []string}: anything else is a
      // 400. Its decoder matches keys without regard to case ("Command",
      // "ARGS"), a later key overriding an earlier one, ignores unknown keys,
      // and leaves a field at its zero value for null.
      if (typeof body !== "object" || body === null || Array.isArray(body)) return badRequest("invalid request body")
      let name = ""
      let args: ReadonlyArray<unknown> = []
      for (const [key, value] of Object.entries(body)) {
        const field = key.toLowerCase()
        if (field === "command") {
          if (value !== null && typeof value !== "string") return badRequest("invalid request body")
          if (value !== null) name = value
        } else if (field === "args") {
          if (value !== null && !(Array.isArray(value) && value.every((a) => typeof a === "string" || a === null))) {
            return badRequest("invalid request body")
          }
          args = value ?? []
        }
      }
      if (name === "") return badRequest("command is required")
      const argv = args.map((a) => (typeof a === "string" ? a : ""))
      if (name === "app") return commandResult(yield* appCommand(argv, request.headers["host"]))
      if (name === "server") return commandResult(serverCommand(argv))
      return commandResult({ error: "unknown command" })
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

    const deploy = Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const client = clientOf(request)
      const wait = options.deploysPerMinute > 0 ? deploys.retryAfter(client) : undefined
      if (wait !== undefined) {
        return yield* afterBody(request, failure(
          429,
          "RATE_LIMIT_EXCEEDED",
          `At most ${options.deploysPerMinute} deploys a minute from one client; retry in ${wait} s (the node's --deploys-per-minute raises the limit)`,
          { "retry-after": String(wait) }
        ))
      }
      // Only deploys that succeed count, as in fazt (RecordDeploy after the
      // deploy, internal/handlers/deploy.go); one in progress holds its place,
      // so concurrent uploads cannot all pass the check at once.
      const at = options.deploysPerMinute > 0 ? deploys.record(client) : undefined
      const release = Effect.sync(() => at !== undefined && deploys.cancel(client, at))
      const declared = Number(request.headers["content-length"] ?? "0")
      if (declared > options.maxUploadBytes) return yield* Effect.zipRight(release, tooLarge(request))
      return yield* Effect.gen(function* () {
        // The upload lands in a folder of its own under the node's upload
        // folder, removed when the request ends: answered, failed, or cut off
        // by the client (then the request is interrupted) or by shutdown.
        const dir = yield* Effect.acquireRelease(
          Effect.try({
            try: () => fs.mkdtempSync(nodePath.join(options.uploadDir ?? os.tmpdir(), "upload-")),
            catch: (e) => {
              const code = errnoCode(e)
              return new UploadFailed({ kind: code === "ENOSPC" || code === "EDQUOT" ? "no-space" : "io", reason: `cannot make a folder for the upload (${code ?? String(e)})` })
            }
          }),
          (d) => Effect.sync(() => fs.rmSync(d, { recursive: true, force: true }))
        )
        const receiving = receiveUpload(NodeHttpServerRequest.toIncomingMessage(request), dir, options.maxUploadBytes)
        const form = yield* Effect.async<ReceivedUpload, UploadFailed>((resume) => {
          receiving.done.then((upload) => resume(Effect.succeed(upload)), (e: UploadFailed) => resume(Effect.fail(e)))
          return Effect.sync(receiving.cancel)
        })
        const field = (name: string) => form.fields[name]
        const site = field("site_name")
        if (site === undefined || site === "") return badRequest("site_name is required")
        const file = form.file
        if (file === undefined) return badRequest("file is required")
        if (!file.name.toLowerCase().endsWith(".zip")) return badRequest("file must be a .zip archive")
        const s = yield* sites.deploy({
          site,
          spa: field("spa") === "true",
          zipPath: file.path,
          limits: { maxTotalBytes: options.maxUnpackedBytes, maxFileBytes: options.maxFileBytes, maxFiles: options.maxFiles }
        })
        const skipped = s.skipped.length === 0
          ? ""
          : ` (${s.skipped.length} unsafe ${s.skipped.length === 1 ? "entry" : "entries"} skipped: ${s.skipped.slice(0, 3).join("; ")}${s.skipped.length > 3 ? "; …" : ""})`
        return envelope({
          site: s.name,
          file_count: s.file_count,
          size_bytes: s.size_bytes,
          message: `Deployed ${s.file_count} files to ${s.name}${skipped}`
        })
      }).pipe(
        Effect.scoped,
        Effect.catchTags({
          UploadFailed: (e) =>
            e.kind === "too-large"
              ? tooLarge(request)
              : e.kind === "no-space"
              ? Effect.zipRight(Effect.logError(`POST /api/deploy: ${e.reason}`), afterBody(request, insufficientStorage()))
              : e.kind === "io"
              ? Effect.die(e)
              : afterBody(request, badRequest(`Cannot read the multipart form: ${e.reason}`)),
          DeployRejected: (e) => Effect.succeed(failure(e.status, e.status === 413 ? "PAYLOAD_TOO_LARGE" : "BAD_REQUEST", e.reason)),
          DatabaseError: (e) =>
            isStorageFault(e)
              ? Effect.as(Effect.logError(`POST /api/deploy: ${e.message}`), insufficientStorage())
              : Effect.fail(e)
        }),
        Effect.tap((response) => (response.status === 200 ? Effect.void : release)),
        Effect.onError(() => release)
      )
    })

    // Small files are sent whole; chunked ones one chunk (1 MiB) at a time, so
    // a large file is never held in memory. A chunk gone meanwhile (the site
    // was redeployed mid-answer) ends the answer short of its Content-Length:
    // the reader sees an error, never a mix of two versions.
    const sendFile = (file: SiteFile, headers: Record<string, string>) => {
      if (file.body._tag === "Whole") return HttpServerResponse.uint8Array(file.body.content, { contentType: file.mimeType, headers })
      const { deployId, path, chunks } = file.body
      const body = Stream.range(0, chunks - 1).pipe(
        Stream.mapEffect((seq) =>
          Effect.flatMap(sites.chunk(deployId, path, seq), Option.match({
            onNone: () => Effect.fail(new ChunkGone({ path, seq })),
            onSome: Effect.succeed
          }))
        )
      )
      return HttpServerResponse.stream(chunks === 0 ? Stream.empty : body, { contentType: file.mimeType, contentLength: file.size, headers })
    }

    // A site's file, as fazt's siteHandler and ServeVFS answer (cmd/server/main.go,
    // internal/hosting/handler.go): the site must exist (404); `private/` needs a
    // logged-in session, which this node never has (401); `/api/…` is for
    // serverless code, which it does not run (404); a trailing slash redirects
    // (301); then the file, a folder's index.html for a path without an
    // extension, and for an SPA index.html for one without an extension;
    // each with an ETag (304 when it matches) and fazt's Cache-Control.
    const serveSite = (site: string, url: URL, request: HttpServerRequest.HttpServerRequest) =>
      Effect.gen(function* () {
        let decoded: string
        try {
          decoded = decodeURIComponent(url.pathname)
        } catch {
          return HttpServerResponse.text("Bad Request: malformed percent-escape in the path\n", { status: 400 })
        }
        // The path as stored, cleaned: `//private/x` and `/./private/x` are
        // `private/x` here (fazt checks the path as written, then cleans it).
        const stored = storedPathOf(decoded)
        const target = stored === undefined || stored === "" ? "index.html" : stored
        const found = yield* sites.file(site, target)
        if (!found.exists) return HttpServerResponse.text("Site not found\n", { status: 404 })
        if (stored === "private" || stored?.startsWith("private/")) return plainText(401, "Unauthorized")
        if (decoded === "/api" || decoded.startsWith("/api/")) return plainText(404, "404 page not found")
        if (stored === undefined) return plainText(404, "404 page not found")
        if (decoded !== "/" && decoded.endsWith("/")) {
          // fazt redirects to the path less its slash; built from the cleaned
          // path, so `//evil.example/` cannot become a protocol-relative
          // `Location: //evil.example` that leaves the site.
          const location = `/${stored.split("/").map(encodeURIComponent).join("/")}${url.search}`
          return HttpServerResponse.empty({ status: 301, headers: { location } })
        }
        let file = found.file
        if (Option.isNone(file) && extensionOf(target) === "") file = (yield* sites.file(site, `${target}/index.html`)).file
        if (Option.isNone(file) && extensionOf(decoded) === "" && found.spa) file = (yield* sites.file(site, "index.html")).file
        if (Option.isNone(file)) return plainText(404, "404 page not found")
        const served = file.value
        const headers: Record<string, string> = {}
        if (served.hash !== undefined) {
          headers["etag"] = `"${served.hash}"`
          if ((request.headers["if-none-match"] ?? "").includes(served.hash)) {
            return HttpServerResponse.empty({ status: 304, headers })
          }
        }
        // Keyed on the file served (fazt keys it on the path asked, so an
        // SPA's index.html served for /dashboard is cached for 5 minutes).
        headers["cache-control"] = cacheControlOf(served.path)
        return sendFile(served, headers)
      })

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

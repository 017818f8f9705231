import * as http from "node:http"
import { loopbackServer } from "./scriptedPeer.js"

/**
 * A stand-in for a production fazt v0.29 node reached at `https://admin.<domain>`,
 * routing as fazt does (facts from fazt's source, no code):
 *
 * - cmd/server/main.go, host routing: on the admin host only a few `/api`
 *   paths take an API key; every other `/api` path goes through the admin
 *   middleware, which wants a browser session and answers
 *   `401 {"error":"Authentication required"}` whatever the key
 *   (internal/middleware/auth.go). A request whose Host is literally
 *   `localhost` takes the key everywhere.
 * - internal/handlers/cmd_gateway.go: `POST /api/cmd` answers 200 once
 *   authenticated, `{"data":{"success":true,"data":…}}` or
 *   `{"data":{"success":false,"error":"…"}}`; `data` is left out when empty.
 * - internal/api/response.go: `{"data":…}` / `{"data":null,"error":{code,message}}`.
 * - internal/handlers/upgrade_handler.go: `{success, message, current_version, new_version, action}`.
 *
 * The apps it knows are in memory; deploys add to them. Its list of API-key
 * paths is written out here on purpose, apart from PeerClient's: the stand-in
 * must not inherit a mistake from the code it tests.
 */
export interface FaztApp {
  id: string
  title: string
  visibility: string
  aliases: Array<string>
  tags?: Array<string>
}

export interface AdminHostOptions {
  readonly keys: ReadonlyArray<string>
  readonly apps?: ReadonlyArray<FaztApp>
  readonly version?: string
  /** What `/api/upgrade?check=true` offers; none means already the latest. */
  readonly latest?: string
  /** Make the gateway refuse every command with this text. */
  readonly commandError?: string
}

const API_KEY_PATHS = [
  /^\/api\/deploy$/,
  /^\/api\/users(\/|$)/,
  /^\/api\/aliases(\/|$)/,
  /^\/api\/apps\/[^/]+\/status$/,
  /^\/api\/system\/health$/,
  /^\/api\/system\/logs(\/|$)/,
  /^\/api\/sql$/,
  /^\/api\/upgrade$/,
  /^\/api\/cmd$/
]

const send = (res: http.ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json" })
  res.end(JSON.stringify(body) + "\n")
}
const ok = (res: http.ServerResponse, data: unknown) => send(res, 200, { data })
const fail = (res: http.ServerResponse, status: number, code: string, message: string) =>
  send(res, status, { data: null, error: { code, message } })

const readBody = (req: http.IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => resolve(Buffer.concat(chunks)))
    req.on("error", reject)
  })

export const faztAdminHost = async (options: AdminHostOptions) => {
  const version = options.version ?? "0.29.0"
  const apps: Array<FaztApp> = (options.apps ?? []).map((a) => ({ ...a, aliases: [...a.aliases] }))
  let nextId = 1

  const keyOf = (req: http.IncomingMessage): string | undefined => {
    const header = req.headers.authorization
    return header?.startsWith("Bearer ") ? header.slice("Bearer ".length) : undefined
  }

  const gateway = (command: string, args: ReadonlyArray<string>): { success: boolean; data?: unknown; error?: string } => {
    if (options.commandError) return { success: false, error: options.commandError }
    const [sub, ...rest] = args
    if (command === "server" && sub === "info") {
      return { success: true, data: { version, domain: "zyt.app", env: "production", vfs: { cached_files: 0, cache_size: 0 } } }
    }
    if (command !== "app" && command !== "server") return { success: false, error: "unknown command" }
    if (sub === undefined) return { success: false, error: "missing subcommand" }
    if (command === "server") return { success: false, error: "unknown subcommand" }
    const find = (ref: string | undefined) => apps.find((a) => a.id === ref || a.aliases.includes(ref ?? ""))
    switch (sub) {
      case "list":
        // Go's nil slice with `omitempty`: no `data` at all when there are none.
        return apps.length === 0
          ? { success: true }
          : { success: true, data: apps.map((a) => ({ id: a.id, title: a.title, visibility: a.visibility, ...(a.tags?.length ? { tags: a.tags } : {}), ...(a.aliases.length ? { aliases: a.aliases } : {}) })) }
      case "info": {
        if (rest[0] === undefined) return { success: false, error: "missing required argument" }
        const app = find(rest[0])
        return app ? { success: true, data: { ...app, url: `https://${app.aliases[0]}.zyt.app` } } : { success: false, error: "not found" }
      }
      case "remove": {
        if (rest[0] === undefined) return { success: false, error: "missing required argument" }
        const app = find(rest[0])
        if (!app) return { success: false, error: "not found" }
        apps.splice(apps.indexOf(app), 1)
        return { success: true, data: { id: app.id, title: app.title, deleted: 1, message: "App removed" } }
      }
      default:
        return { success: false, error: "unknown subcommand" }
    }
  }

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://admin.zyt.app")
    const path = url.pathname
    const body = await readBody(req)
    if (path === "/health") {
      res.writeHead(200, { "content-type": "text/plain" })
      return res.end("OK")
    }
    if (!path.startsWith("/api/")) {
      res.writeHead(404, { "content-type": "text/html" })
      return res.end("<!doctype html><title>admin</title>")
    }
    const host = (req.headers.host ?? "").replace(/:\d+$/, "")
    const keyPath = host === "localhost" || API_KEY_PATHS.some((rule) => rule.test(path))
    if (!keyPath) {
      // The admin middleware: a browser session or nothing, whatever the key.
      res.writeHead(401, { "content-type": "application/json" })
      return res.end(`{"error":"Authentication required"}`)
    }
    const key = keyOf(req)
    if (key === undefined) return fail(res, 401, "UNAUTHORIZED", "API key required")
    if (!options.keys.includes(key)) return fail(res, 401, "INVALID_API_KEY", "Invalid API key")

    if (path === "/api/system/health" && req.method === "GET") {
      return ok(res, {
        status: "healthy",
        uptime_seconds: 86_400,
        version,
        mode: "production",
        memory: { used_mb: 40, limit_mb: 1024 },
        database: { open_connections: 1, in_use: 0 },
        runtime: { goroutines: 12 }
      })
    }
    if (path === "/api/cmd" && req.method === "POST") {
      let request: { command?: unknown; args?: unknown }
      try {
        request = JSON.parse(body.toString("utf8"))
      } catch {
        return fail(res, 400, "BAD_REQUEST", "invalid request body")
      }
      if (typeof request.command !== "string" || request.command === "") return fail(res, 400, "BAD_REQUEST", "command is required")
      const args = Array.isArray(request.args) ? request.args.map(String) : []
      return ok(res, gateway(request.command, args))
    }
    if (path === "/api/upgrade" && req.method === "POST") {
      if (url.searchParams.get("check") === "true") {
        return ok(res, options.latest
          ? { success: true, message: `Update available: ${options.latest}`, current_version: version, new_version: options.latest, action: "check_only" }
          : { success: true, message: "Already running the latest version", current_version: version, new_version: version, action: "already_latest" })
      }
      return fail(res, 403, "FORBIDDEN", "upgrades are disabled on this test node")
    }
    if (path === "/api/deploy" && req.method === "POST") {
      const text = body.toString("latin1")
      const site = /name="site_name"\r\n\r\n([^\r]*)\r\n/.exec(text)?.[1]
      const file = /name="file"; filename="([^"]*)"\r\nContent-Type: [^\r]*\r\n\r\n/.exec(text)
      if (!site) return fail(res, 400, "BAD_REQUEST", "site_name is required")
      if (!file || !file[1]!.endsWith(".zip")) return fail(res, 400, "BAD_REQUEST", "file must be a .zip")
      const zipStart = file.index + file[0].length
      if (text.slice(zipStart, zipStart + 2) !== "PK") return fail(res, 400, "BAD_REQUEST", "invalid zip")
      let app = apps.find((a) => a.aliases.includes(site))
      if (!app) {
        app = { id: `app_${String(nextId++).padStart(8, "0")}`, title: site, visibility: "unlisted", aliases: [site] }
        apps.push(app)
      }
      return ok(res, { site, file_count: 1, size_bytes: body.length, message: "Deployment successful" })
    }
    return fail(res, 404, "NOT_FOUND", "not found")
  }

  const server = await loopbackServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) fail(res, 500, "INTERNAL_ERROR", "An unexpected error occurred")
    })
  })
  return { ...server, apps }
}

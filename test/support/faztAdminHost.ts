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
  /**
   * Answer the first N requests as fazt's global rate limiter does
   * (internal/middleware/ratelimit.go): 429, `Retry-After: 1`, and the plain
   * text of Go's http.Error.
   */
  readonly rateLimitFirst?: number
  /** `/api/upgrade` fails to reach the release server: 502 GITHUB_ERROR (internal/handlers/upgrade_handler.go). */
  readonly upgradeFails?: boolean
}

/** One request as it arrived, for comparing with what fazt's own CLI sends. */
export interface ArrivedRequest {
  readonly method: string
  readonly path: string
  readonly query: string
  readonly authorization: string | undefined
  readonly contentType: string | undefined
  readonly body: string
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
  // Sub-domains fazt keeps in its aliases table: a link (proxy) or a reservation.
  const reserved = new Set<string>()
  const forks = new Map<string, Array<string>>()
  const requests: Array<ArrivedRequest> = []
  let limited = options.rateLimitFirst ?? 0
  let nextId = 1

  const keyOf = (req: http.IncomingMessage): string | undefined => {
    const header = req.headers.authorization
    return header?.startsWith("Bearer ") ? header.slice("Bearer ".length) : undefined
  }

  /** `--name value` among gateway arguments, as the gateway reads it. */
  const flag = (args: ReadonlyArray<string>, name: string): string | undefined => {
    const at = args.indexOf(name)
    return at >= 0 && at + 1 < args.length ? args[at + 1] : undefined
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
        if (rest.includes("--aliases")) {
          const rows = [
            ...apps.flatMap((a) => a.aliases.map((subdomain) => ({ subdomain, type: "proxy", targets: { app_id: a.id } }))),
            ...[...reserved].map((subdomain) => ({ subdomain, type: "reserved" }))
          ].sort((x, y) => (x.subdomain < y.subdomain ? -1 : 1))
          return rows.length === 0 ? { success: true } : { success: true, data: rows }
        }
        // Go's nil slice with `omitempty`: no `data` at all when there are none.
        return apps.length === 0
          ? { success: true }
          : { success: true, data: apps.map((a) => ({ id: a.id, title: a.title, visibility: a.visibility, ...(a.tags?.length ? { tags: a.tags } : {}), ...(a.aliases.length ? { aliases: a.aliases } : {}) })) }
      case "info": {
        if (rest[0] === undefined) return { success: false, error: "missing required argument" }
        const app = find(flag(rest, "--alias") ?? flag(rest, "--id") ?? rest[0])
        return app ? { success: true, data: { ...app, url: `https://${app.aliases[0]}.zyt.app` } } : { success: false, error: "not found" }
      }
      case "remove": {
        if (rest[0] === undefined) return { success: false, error: "missing required argument" }
        const alias = flag(rest, "--alias")
        if (alias !== undefined && flag(rest, "--id") === undefined) {
          for (const a of apps) a.aliases = a.aliases.filter((x) => x !== alias)
          return { success: true, data: { alias, message: "Alias removed" } }
        }
        const app = find(flag(rest, "--id") ?? rest[0])
        if (!app) return { success: false, error: "not found" }
        apps.splice(apps.indexOf(app), 1)
        return { success: true, data: { id: app.id, title: app.title, deleted: 1, message: "App removed" } }
      }
      case "link": {
        const id = flag(rest, "--id")
        if (rest[0] === undefined || id === undefined) return { success: false, error: "missing required argument" }
        const app = apps.find((a) => a.id === id)
        if (!app) return { success: false, error: "not found" }
        for (const a of apps) a.aliases = a.aliases.filter((x) => x !== rest[0])
        app.aliases.push(rest[0])
        return { success: true, data: { subdomain: rest[0], app_id: id, url: `https://${rest[0]}.zyt.app`, message: "Alias created" } }
      }
      case "unlink":
      case "reserve": {
        if (rest[0] === undefined) return { success: false, error: "missing required argument" }
        for (const a of apps) a.aliases = a.aliases.filter((x) => x !== rest[0])
        if (sub === "reserve") reserved.add(rest[0])
        return { success: true, data: { subdomain: rest[0], message: sub === "reserve" ? "Subdomain reserved" : "Alias removed" } }
      }
      case "fork": {
        const source = find(flag(rest, "--alias") ?? flag(rest, "--id") ?? rest[0])
        if (!source) return { success: false, error: "not found" }
        const as = flag(rest, "--as")
        const id = `app_${String(nextId++).padStart(8, "0")}`
        apps.push({ id, title: source.title, visibility: "unlisted", aliases: as === undefined ? [] : [as] })
        forks.set(source.id, [...(forks.get(source.id) ?? []), id])
        return {
          success: true,
          data: { id, title: source.title, forked_from_id: source.id, original_id: source.id, message: "App forked", ...(as ? { alias: as, url: `https://${as}.zyt.app` } : {}) }
        }
      }
      case "lineage": {
        const app = find(flag(rest, "--alias") ?? flag(rest, "--id") ?? rest[0])
        if (!app) return { success: false, error: "not found" }
        const tree = (a: FaztApp): unknown => ({
          id: a.id,
          title: a.title,
          ...(a.aliases.length ? { aliases: a.aliases } : {}),
          forks: (forks.get(a.id) ?? []).map((f) => tree(apps.find((x) => x.id === f)!))
        })
        return { success: true, data: tree(app) }
      }
      default:
        return { success: false, error: "unknown subcommand" }
    }
  }

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://admin.zyt.app")
    const path = url.pathname
    const body = await readBody(req)
    requests.push({
      method: req.method ?? "",
      path,
      query: url.search,
      authorization: req.headers.authorization,
      contentType: req.headers["content-type"],
      body: body.toString("latin1")
    })
    if (limited > 0) {
      limited--
      res.writeHead(429, { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff", "retry-after": "1" })
      return res.end("Too Many Requests\n")
    }
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
    if (path === "/api/upgrade" && req.method === "POST" && options.upgradeFails) {
      return fail(res, 502, "GITHUB_ERROR", "Failed to check latest release: dial tcp: lookup api.github.com: no such host")
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
      // "Smart Domain Handling" (internal/handlers/deploy.go): the node's own domain is stripped.
      const typed = /name="site_name"\r\n\r\n([^\r]*)\r\n/.exec(text)?.[1]
      const site = typed !== undefined && typed.toLowerCase().endsWith(".zyt.app") ? typed.slice(0, -".zyt.app".length) : typed
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
  return { ...server, apps, requests }
}

// The node's router in this process (must-show 4 of issue 15): the API-key
// middleware, host dispatch before the router, and a 500 that tells the
// client nothing internal. Real SQLite file, real HTTP on 127.0.0.1.
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as path from "node:path"
import { Database } from "../../src/services/db/Database.js"
import { NodeKeys } from "../../src/services/node/NodeKeys.js"
import { handMadeZip } from "../support/zip.js"
import { nodeInProcess, tempFolder, testOptions } from "./harness.js"

interface Answer {
  readonly status: number
  readonly text: string
  readonly json: any
}

const send = (request: HttpClientRequest.HttpClientRequest) =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const response = yield* client.execute(request)
    const text = yield* response.text
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    return { status: response.status, text, json } as Answer
  }).pipe(Effect.scoped)

const withKey = (token: string) => HttpClientRequest.bearerToken(token)

const deploySite = (token: string, site: string, files: ReadonlyArray<{ name: string; content: string }>) => {
  const form = new FormData()
  form.set("site_name", site)
  form.set("file", new Blob([handMadeZip(files)], { type: "application/zip" }), `${site}.zip`)
  return send(HttpClientRequest.post("/api/deploy").pipe(withKey(token), HttpClientRequest.bodyFormData(form)))
}

const dbFile = () => path.join(tempFolder(), "data.db")

describe("the node's API-key middleware", () => {
  it.scopedLive("no key → 401 UNAUTHORIZED, a wrong key → 401 INVALID_API_KEY, a good key passes; public GET /health needs none", () =>
    Effect.gen(function* () {
      const { token } = yield* (yield* NodeKeys).create("test")
      const health = HttpClientRequest.get("/api/system/health")

      const none = yield* send(health)
      expect(none.status).toBe(401)
      expect(none.json).toEqual({ error: { code: "UNAUTHORIZED", message: "API key required (Authorization: Bearer <token>)" } })
      const notBearer = yield* send(health.pipe(HttpClientRequest.setHeader("authorization", `Basic ${token}`)))
      expect(notBearer.json.error.code).toBe("UNAUTHORIZED")

      const wrong = yield* send(health.pipe(withKey(`${token}x`)))
      expect(wrong.status).toBe(401)
      expect(wrong.json).toEqual({ error: { code: "INVALID_API_KEY", message: "Invalid or expired API key" } })

      const good = yield* send(health.pipe(withKey(token)))
      expect(good.status).toBe(200)
      expect(good.json.data).toMatchObject({ status: "healthy", version: "0.0.0-test" })

      const publicHealth = yield* send(HttpClientRequest.get("/health"))
      expect(publicHealth).toMatchObject({ status: 200, text: "OK" })

      // Every admin route sits behind the key; an unknown path is a 404 before any key.
      for (
        const request of [
          HttpClientRequest.get("/api/apps"),
          HttpClientRequest.post("/api/cmd").pipe(HttpClientRequest.bodyUnsafeJson({ command: "app", args: ["list"] })),
          HttpClientRequest.post("/api/upgrade"),
          HttpClientRequest.post("/api/deploy"),
          HttpClientRequest.del("/api/apps/s")
        ]
      ) {
        const answer = yield* send(request)
        expect([request.method, request.url, answer.status, answer.json?.error?.code]).toEqual([
          request.method,
          request.url,
          401,
          "UNAUTHORIZED"
        ])
      }
      // Any /api path asks for the key first, as fazt's auth middleware wraps its mux.
      expect((yield* send(HttpClientRequest.get("/api/nope"))).status).toBe(401)
      const unknown = yield* send(HttpClientRequest.get("/api/nope").pipe(withKey(token)))
      expect(unknown.status).toBe(404)
      expect(unknown.json).toEqual({ error: { code: "NOT_FOUND", message: "No route for GET /api/nope" } })
      // With the key, the routes answer as fazt's do.
      const list = yield* send(
        HttpClientRequest.post("/api/cmd").pipe(withKey(token), HttpClientRequest.bodyUnsafeJson({ command: "app", args: ["list"] }))
      )
      expect(list).toMatchObject({ status: 200, json: { data: { success: true, data: null } } })
      const check = yield* send(HttpClientRequest.post("/api/upgrade?check=true").pipe(withKey(token)))
      expect(check.json.data).toMatchObject({ action: "already_latest", new_version: "0.0.0-test" })
      const force = yield* send(HttpClientRequest.post("/api/upgrade?force=true").pipe(withKey(token)))
      expect(force.status).toBe(501)
    }).pipe(Effect.provide(nodeInProcess(dbFile()))))

  it.scopedLive("paths match as fazt's mux does: a trailing slash is dropped, case and doubled slashes are not folded", () =>
    Effect.gen(function* () {
      const { token } = yield* (yield* NodeKeys).create("test")
      expect((yield* send(HttpClientRequest.get("/health/"))).text).toBe("OK")
      expect((yield* send(HttpClientRequest.head("/health"))).status).toBe(200)
      expect((yield* send(HttpClientRequest.get("/api/system/health/").pipe(withKey(token)))).status).toBe(200)
      expect((yield* send(HttpClientRequest.get("/HEALTH"))).status).toBe(404)
      expect((yield* send(HttpClientRequest.get("/api//system/health").pipe(withKey(token)))).status).toBe(404)
      expect((yield* send(HttpClientRequest.get("/api/apps;x").pipe(withKey(token)))).json.error.message).toBe(
        "No route for GET /api/apps;x"
      )
      // A path known for another method: 405 with Allow, as Go's ServeMux answers.
      const wrongMethod = yield* send(HttpClientRequest.del("/api/apps").pipe(withKey(token)))
      expect([wrongMethod.status, wrongMethod.text]).toEqual([405, "Method Not Allowed\n"])
    }).pipe(Effect.provide(nodeInProcess(dbFile()))))
})

describe("the node's host dispatch, before the router", () => {
  it.scopedLive("<site>.localhost serves the site; admin.localhost and any other host are the API", () =>
    Effect.gen(function* () {
      const { token } = yield* (yield* NodeKeys).create("test")
      const deployed = yield* deploySite(token, "s", [{ name: "index.html", content: "<h1>s</h1>" }, {
        name: "api/system/health",
        content: "a file, not the API"
      }])
      expect(deployed).toMatchObject({ status: 200, json: { data: { site: "s", file_count: 2 } } })

      const atHost = (host: string, url: string) => HttpClientRequest.get(url).pipe(HttpClientRequest.setHeader("host", host))
      expect(yield* send(atHost("s.localhost:8080", "/"))).toMatchObject({ status: 200, text: "<h1>s</h1>" })
      expect(yield* send(atHost("S.LOCALHOST", "/"))).toMatchObject({ status: 200, text: "<h1>s</h1>" })
      // On a site's host, /api/… is for serverless code (fazt's siteHandler): 404
      // without it, never the node's API nor a stored file; no key is asked for.
      expect(yield* send(atHost("s.localhost", "/api/system/health"))).toMatchObject({ status: 404, text: "404 page not found\n" })
      expect(yield* send(atHost("s.localhost", "/health"))).toMatchObject({ status: 404, text: "404 page not found\n" })
      expect(yield* send(atHost("other.localhost", "/"))).toMatchObject({ status: 404, text: "Site not found\n" })
      expect((yield* send(atHost("s.localhost", "/a%ZZb"))).status).toBe(400)

      // admin.localhost, a bare IP and any other name are the API.
      for (const host of ["admin.localhost:8080", "127.0.0.1", "example.com"]) {
        const answer = yield* send(atHost(host, "/api/system/health").pipe(withKey(token)))
        expect([host, answer.status, answer.json?.data?.status]).toEqual([host, 200, "healthy"])
        expect((yield* send(atHost(host, "/"))).status).toBe(404)
      }
      const info = yield* send(
        HttpClientRequest.post("/api/cmd").pipe(
          withKey(token),
          HttpClientRequest.setHeader("host", "admin.localhost:4321"),
          HttpClientRequest.bodyUnsafeJson({ command: "app", args: ["info", "s"] })
        )
      )
      expect(info.json.data.data.url).toBe("http://s.localhost:4321")

      // DELETE /api/apps/<name>: a malformed escape is a 400, then the app goes, then it is not found.
      expect((yield* send(HttpClientRequest.del("/api/apps/%ZZ").pipe(withKey(token)))).status).toBe(400)
      const removed = yield* send(HttpClientRequest.del("/api/apps/s").pipe(withKey(token)))
      expect(removed).toMatchObject({ status: 200, json: { data: { name: "s" } } })
      expect((yield* send(HttpClientRequest.del("/api/apps/s").pipe(withKey(token)))).json).toEqual({
        error: { code: "NOT_FOUND", message: "App 's' not found" }
      })
      expect((yield* send(atHost("s.localhost", "/"))).status).toBe(404)
    }).pipe(Effect.provide(nodeInProcess(dbFile()))))
})

describe("a 500 from the node", () => {
  const logged: Array<string> = []
  const capturingLogger = Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ message }) => {
      logged.push((Array.isArray(message) ? message : [message]).map(String).join(" "))
    })
  )

  it.scopedLive("reveals nothing internal: fazt's fixed INTERNAL_ERROR to the client, the path and SQLite's message to the log", () =>
    Effect.gen(function* () {
      const { token } = yield* (yield* NodeKeys).create("test")
      expect((yield* deploySite(token, "s", [{ name: "index.html", content: "s" }])).status).toBe(200)
      const db = yield* Database
      // The database fails under the running node: its sites table is gone.
      yield* db.use(db.sql`DROP TABLE fazt_remote_sites`)
      logged.length = 0

      const fixed = { error: { code: "INTERNAL_ERROR", message: "An unexpected error occurred" } }
      const visitor = yield* send(HttpClientRequest.get("/").pipe(HttpClientRequest.setHeader("host", "s.localhost")))
      const admin = yield* send(HttpClientRequest.get("/api/apps").pipe(withKey(token)))
      for (const answer of [visitor, admin]) {
        expect(answer.status).toBe(500)
        expect(answer.json).toEqual(fixed)
        expect(answer.text).not.toContain(db.path)
        expect(answer.text).not.toContain(path.basename(path.dirname(db.path)))
        expect(answer.text).not.toMatch(/no such table|fazt_remote|sqlite/i)
      }
      // The operator still learns what went wrong, once per request.
      const failures = logged.filter((line) => line.includes("failed"))
      expect(failures).toHaveLength(2)
      expect(failures[0]).toContain("GET /")
      expect(failures[1]).toContain("GET /api/apps")
      for (const line of failures) {
        expect(line).toContain(db.path)
        expect(line).toContain("no such table: fazt_remote_sites")
      }
      // Public health still tells a load balancer the truth without detail.
      expect((yield* send(HttpClientRequest.get("/health"))).text).toBe("OK")
    }).pipe(Effect.provide(nodeInProcess(dbFile(), testOptions()).pipe(Layer.provide(capturingLogger)))))
})

// fazt v0.29's own integration tests (cmd/server/main_integration_{auth,
// deploy,routing,security,adversarial}_test.go in fazt-sh/fazt), ported as
// black-box checks against our `fazt server start`: each `it` names the Go
// test it comes from. fazt's tests set up sessions, users and aliases in its
// database; this node has API keys instead of sessions and one site per name
// instead of aliases, so a session case becomes the same case with an API
// key where the node has the concept, and is listed as not applicable in
// docs/CONFORMANCE.md where it has not (roles, OAuth, invites, analytics…).
// `<site>.testdomain.com` is `<site>.localhost` here, `admin.testdomain.com`
// is `admin.localhost`, and `localhost` is the API on both.
import { createHash } from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runFazt } from "../support/cli.js"
import { deployFiles, deployZip, getOnSite, nodeWithKey, raw, request, statusOf, writeTo as write } from "../support/nodeHttp.js"
import { query } from "../support/sqlite.js"
import { handMadeZip } from "../support/zip.js"

type Node = Awaited<ReturnType<typeof nodeWithKey>>

const cleanups: Array<() => Promise<unknown>> = []
afterAll(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

/** A fresh node (its own wrong-key counts), stopped after the file. */
const freshNode = (args: ReadonlyArray<string> = ["--deploys-per-minute", "0"]) => nodeWithKey(cleanups, args)

const apiGet = (n: Node, path: string, options: { host?: string; token?: string; headers?: Record<string, string> } = {}) =>
  request(n.node.port, { path, host: options.host ?? "localhost", ...(options.token !== undefined ? { token: options.token } : {}), ...(options.headers ? { headers: options.headers } : {}) })

/** Another program's write to the node's database (sqlite3 at a shell). */

// A protected endpoint: fazt's tests use GET /api/system/config (sessions);
// this node's protected GET is /api/system/health.
const PROTECTED = "/api/system/health"

describe("main_integration_auth_test.go", () => {
  let n: Node
  beforeAll(async () => {
    n = await freshNode()
  })

  it("TestLoginToAPIAccess — a valid credential (API key) reaches a protected endpoint", async () => {
    expect((await apiGet(n, PROTECTED, { token: n.token })).status).toBe(200)
  })

  it("TestLoginToAPIAccess_InvalidSession — an invalid credential → 401", async () => {
    expect((await apiGet(n, PROTECTED, { token: "invalid-session-id" })).status).toBe(401)
  })

  it("TestLoginToAPIAccess_NoSession — no credential → 401", async () => {
    expect((await apiGet(n, PROTECTED)).status).toBe(401)
  })

  it("TestAuthBypassEndpoints — /track and /pixel.gif on the admin host do not ask for a credential", async () => {
    for (const path of ["/track", "/pixel.gif"]) {
      expect((await apiGet(n, path, { host: "admin.localhost" })).status, path).not.toBe(401)
    }
  })

  it("TestAuthMe_Unauthorized — /api/auth/me without a credential → 401 (TestAuthMe itself: no sessions, not applicable)", async () => {
    expect((await apiGet(n, "/api/auth/me")).status).toBe(401)
  })

  it("TestSessionPersistence — one credential works across requests", async () => {
    for (let i = 0; i < 3; i++) expect((await apiGet(n, PROTECTED, { token: n.token })).status).toBe(200)
  })

  it("TestConcurrentSessions — several credentials work independently (roles: not applicable)", async () => {
    const more = await Promise.all([1, 2].map(async (i) =>
      (await runFazt(["server", "create-key", "--name", `k${i}`, "--db", n.db], { home: n.home })).stdout.trim()))
    for (const token of [n.token, ...more]) {
      expect((await apiGet(n, PROTECTED, { host: "admin.localhost", token })).status).toBe(200)
    }
  })
})

describe("main_integration_deploy_test.go", () => {
  let n: Node
  const files = {
    "index.html": `<!DOCTYPE html><html><head><title>Deploy Test</title></head><body><h1>Hello Deploy</h1></body></html>`,
    "css/style.css": `body { color: red; font-size: 16px; }`,
    "js/app.js": `console.log("deploy test");`,
    "assets/main-abc123.js": `var x = "hashed asset content";`,
    "about/index.html": `<!DOCTYPE html><html><body><h1>About Page</h1></body></html>`,
    "manifest.json": `{"name":"deploy-test"}`
  }
  let deployed: Awaited<ReturnType<typeof deployFiles>>
  beforeAll(async () => {
    n = await freshNode()
    deployed = await deployFiles(n.node.url, n.token, "deploy-test", files)
  })
  const get = (path: string, headers: Record<string, string> = {}) => getOnSite(n.node.port, "deploy-test", path, headers)

  it("TestDeployToServing — the deploy result: 6 files, the site, a positive size", () => {
    expect(deployed.status).toBe(200)
    expect(deployed.body.data).toMatchObject({ site: "deploy-test", file_count: 6 })
    expect(deployed.body.data!.size_bytes as number).toBeGreaterThan(0)
  })

  it("TestDeployToServing/files stored with correct hashes (SHA-256 of each file)", () => {
    const rows = query<{ path: string; hash: string }>(
      n.db,
      "SELECT f.path AS path, f.hash AS hash FROM fazt_remote_files f JOIN fazt_remote_sites s ON s.deploy_id = f.deploy_id WHERE s.name = 'deploy-test'"
    )
    expect(rows).toHaveLength(6)
    const css = rows.find((r) => r.path === "css/style.css")!
    expect(css.hash).toBe(createHash("sha256").update(files["css/style.css"]).digest("hex"))
  })

  it("TestDeployToServing/serve index.html at root: text/html, no-cache, an ETag", async () => {
    const a = await get("/")
    expect(a.status).toBe(200)
    expect(a.body).toContain("Hello Deploy")
    expect(a.headers["content-type"]).toContain("text/html")
    expect(a.headers["cache-control"]).toContain("no-cache")
    expect(a.headers["etag"]).toBeTruthy()
  })

  it("TestDeployToServing/serve CSS with correct MIME and caching (max-age=300)", async () => {
    const a = await get("/css/style.css")
    expect(a.status).toBe(200)
    expect(a.body).toContain("color: red")
    expect(a.headers["content-type"]).toContain("text/css")
    expect(a.headers["cache-control"]).toContain("max-age=300")
  })

  it("TestDeployToServing/serve JS with correct MIME", async () => {
    const a = await get("/js/app.js")
    expect(a.status).toBe(200)
    expect(a.body).toContain(`console.log("deploy test")`)
    expect(a.headers["content-type"]).toMatch(/^(application|text)\/javascript/)
  })

  it("TestDeployToServing/serve hashed asset with immutable cache", async () => {
    const a = await get("/assets/main-abc123.js")
    expect(a.status).toBe(200)
    expect(a.body).toContain("hashed asset content")
    expect(a.headers["cache-control"]).toContain("immutable")
    expect(a.headers["cache-control"]).toContain("max-age=31536000")
  })

  it("TestDeployToServing/directory index fallback serves about/index.html", async () => {
    const a = await get("/about")
    expect(a.status).toBe(200)
    expect(a.body).toContain("About Page")
  })

  it("TestDeployToServing/ETag enables 304 Not Modified", async () => {
    const etag = (await get("/css/style.css")).headers["etag"]!
    expect(etag).toBeTruthy()
    const again = await get("/css/style.css", { "if-none-match": etag })
    expect(again.status).toBe(304)
    expect(again.body).toBe("")
  })

  it("TestDeployToServing/non-existent file returns 404", async () => {
    expect((await get("/does-not-exist.txt")).status).toBe(404)
  })

  it("TestDeployToServing/redeploy cleans old files and serves new content", async () => {
    const v2 = await deployFiles(n.node.url, n.token, "deploy-test", {
      "index.html": `<!DOCTYPE html><html><body><h1>Version Two</h1></body></html>`,
      "manifest.json": `{"name":"deploy-test"}`
    })
    expect(v2.body.data).toMatchObject({ file_count: 2 })
    expect((await get("/css/style.css")).status).toBe(404)
    expect((await get("/")).body).toContain("Version Two")
  })
})

describe("main_integration_deploy_test.go: TestAliasToAppResolution", () => {
  let n: Node
  beforeAll(async () => {
    n = await freshNode()
    const site = (title: string) => `<html><body><h1>${title}</h1></body></html>`
    expect((await deployFiles(n.node.url, n.token, "alpha", {
      "index.html": site("Alpha Site"),
      "manifest.json": `{"name":"alpha"}`,
      "css/alpha.css": "body { color: blue; }",
      "about/index.html": "<!DOCTYPE html><html><body>Alpha About</body></html>",
      "private/secret.txt": "top secret data"
    })).status).toBe(200)
    expect((await deployFiles(n.node.url, n.token, "beta", {
      "index.html": site("Beta Site"),
      "manifest.json": `{"name":"beta"}`,
      "css/beta.css": "body { color: green; }"
    })).status).toBe(200)
    expect((await deployFiles(n.node.url, n.token, "spa-app", {
      "index.html": `<!DOCTYPE html><html><body><div id="app">SPA Root</div></body></html>`,
      "manifest.json": `{"name":"spa-app"}`,
      "css/style.css": "body { margin: 0; }"
    }, { spa: "true" })).status).toBe(200)
  })

  it("multiple subdomains serve isolated content", async () => {
    expect((await getOnSite(n.node.port, "alpha", "/")).body).toContain("Alpha Site")
    expect((await getOnSite(n.node.port, "beta", "/")).body).toContain("Beta Site")
    const css = await getOnSite(n.node.port, "alpha", "/css/alpha.css")
    expect([css.status, css.body]).toEqual([200, "body { color: blue; }"])
    expect((await getOnSite(n.node.port, "beta", "/css/alpha.css")).status).toBe(404)
  })

  it("trailing slash redirects to non-trailing path (301, Location /about)", async () => {
    const a = await getOnSite(n.node.port, "alpha", "/about/")
    expect(a.status).toBe(301)
    expect(a.headers["location"]).toBe("/about")
  })

  it("SPA fallback serves index.html for route-like paths only", async () => {
    for (const path of ["/dashboard", "/settings/profile"]) {
      const a = await getOnSite(n.node.port, "spa-app", path)
      expect([path, a.status]).toEqual([path, 200])
      expect(a.body).toContain("SPA Root")
    }
    const css = await getOnSite(n.node.port, "spa-app", "/css/style.css")
    expect([css.status, css.body]).toEqual([200, "body { margin: 0; }"])
    expect((await getOnSite(n.node.port, "spa-app", "/missing.js")).status).toBe(404)
  })

  it("private files require authentication: 401 without a session (this node has none, so always)", async () => {
    for (const path of ["/private/secret.txt", "/private", "/private/", "//private/secret.txt", "/./private/secret.txt", "/private%2Fsecret.txt"]) {
      const a = await getOnSite(n.node.port, "alpha", path)
      expect([path, a.status]).toEqual([path, 401])
      expect(a.body).not.toContain("top secret")
    }
    // An API key is no session: still 401.
    const keyed = await request(n.node.port, { path: "/private/secret.txt", host: "alpha.localhost", token: n.token })
    expect(keyed.status).toBe(401)
  })

  it("API path without serverless returns 404", async () => {
    expect((await getOnSite(n.node.port, "alpha", "/api/data")).status).toBe(404)
  })
})

describe("main_integration_routing_test.go", () => {
  let n: Node
  beforeAll(async () => {
    n = await freshNode()
    expect((await deployFiles(n.node.url, n.token, "blog", { "index.html": "<h1>My App</h1>" })).status).toBe(200)
    expect((await deployFiles(n.node.url, n.token, "myapi", { "index.html": "<h1>Test App</h1>" })).status).toBe(200)
  })

  it("TestHostRoutingFlow — admin host and localhost: with a credential 200, without 401 (roles: not applicable)", async () => {
    for (const host of ["admin.localhost", "localhost"]) {
      expect([host, (await apiGet(n, PROTECTED, { host, token: n.token })).status]).toEqual([host, 200])
      expect([host, (await apiGet(n, PROTECTED, { host })).status]).toEqual([host, 401])
    }
  })

  it("TestSubdomainAppServing — a site is served on its subdomain", async () => {
    const a = await getOnSite(n.node.port, "blog", "/")
    expect(a.status).toBe(200)
    expect(a.body).toContain("My App")
  })

  it("TestSubdomainAppServing_NotFound — an unknown subdomain → 404", async () => {
    expect((await getOnSite(n.node.port, "nonexistent", "/")).status).toBe(404)
  })

  it("TestSubdomainAppServing_RootDomain — root.<domain> and the bare domain answer no 2xx other than 200", async () => {
    for (const host of ["root.localhost", "localhost"]) {
      const status = (await request(n.node.port, { path: "/", host })).status
      expect(status === 200 || status >= 300, `${host}: ${status}`).toBe(true)
    }
  })

  it("TestSubdomainAppServing_Reserved — a reserved name serves nothing (404)", async () => {
    // This node reserves names instead of aliases (src/domain/siteName.ts).
    expect((await getOnSite(n.node.port, "www", "/")).status).toBe(404)
    const refused = await deployFiles(n.node.url, n.token, "www", { "index.html": "x" })
    expect(refused.status).toBe(400)
  })

  it("TestLocalhostSpecialCase — localhost is the API: keyed 200, unkeyed 401, / is 404", async () => {
    expect((await apiGet(n, PROTECTED, { token: n.token })).status).toBe(200)
    expect((await apiGet(n, PROTECTED)).status).toBe(401)
    expect((await apiGet(n, "/", { token: n.token })).status).toBe(404)
  })

  it("TestRoutingAuthBypassEndpoints — /track, /pixel.gif, /r/test, /webhook/test ask for no credential", async () => {
    for (const path of ["/track", "/pixel.gif", "/r/test", "/webhook/test"]) {
      expect([path, (await apiGet(n, path, { host: "admin.localhost" })).status]).not.toEqual([path, 401])
    }
  })

  it("TestMiddlewareOrder — the key check comes before the handler", async () => {
    expect((await apiGet(n, PROTECTED)).status).toBe(401)
  })

  it("TestPathPrecedence — /api/* on the admin host is the API (401 without a key), even when a site 'myapi' exists", async () => {
    const a = await apiGet(n, "/api/stats", { host: "admin.localhost" })
    expect(a.status).toBe(401)
    expect(a.body).not.toContain("Test App")
  })
})

describe("main_integration_security_test.go (sessions → API keys)", () => {
  const invalid = (token: string) => ({ authorization: `Bearer ${token}` })

  it("TestAuthBypass_InvalidSessionToken — empty, unknown, short, long, traversal, XSS, SQL → 401", async () => {
    const n = await freshNode()
    for (const token of ["", "invalid-token", "x", "a".repeat(1000), "../../../etc/passwd", "<script>alert('xss')</script>", "'; DROP TABLE api_keys--"]) {
      const a = await apiGet(n, PROTECTED, { headers: invalid(token) })
      expect([token.slice(0, 20), a.status]).toEqual([token.slice(0, 20), 401])
    }
  })

  it("TestAuthBypass_TamperedSessionToken — the valid key appended, prepended, truncated, upper-cased, substituted → 401", async () => {
    const n = await freshNode()
    const t = n.token
    for (const tampered of [`${t}x`, `x${t}`, t.slice(0, -1), t.toUpperCase(), t.replaceAll("_", "-")]) {
      expect([tampered, (await apiGet(n, PROTECTED, { token: tampered })).status]).toEqual([tampered, 401])
    }
    expect((await apiGet(n, PROTECTED, { token: t })).status).toBe(200)
  })

  it("TestAuthBypass_TokenReplayAfterLogout — a key deleted from the database stops working at once", async () => {
    const n = await freshNode()
    expect((await apiGet(n, PROTECTED, { token: n.token })).status).toBe(200)
    write(n.db, "DELETE FROM api_keys")
    expect((await apiGet(n, PROTECTED, { token: n.token })).status).toBe(401)
  })

  it("TestAuthBypass_MissingCookie — no credential → 401", async () => {
    const n = await freshNode()
    expect((await apiGet(n, PROTECTED)).status).toBe(401)
  })

  it("TestAuthBypass_ConcurrentSessionInvalidation — invalidated between two requests → 200 then 401", async () => {
    const n = await freshNode()
    expect((await apiGet(n, PROTECTED, { token: n.token })).status).toBe(200)
    write(n.db, "DELETE FROM api_keys WHERE name = 'test'")
    expect((await apiGet(n, PROTECTED, { token: n.token })).status).toBe(401)
  })

  it("TestAuthBypass_SessionHijacking_IPChange — a key is not bound to an address (X-Forwarded-For changes nothing)", async () => {
    const n = await freshNode()
    expect((await apiGet(n, PROTECTED, { token: n.token, headers: { "x-forwarded-for": "1.2.3.4" } })).status).toBe(200)
  })

  it("TestAuthBypass_MultipleInvalidAttempts — 10 invalid keys, each 401", async () => {
    const n = await freshNode()
    for (let i = 0; i < 10; i++) expect((await apiGet(n, PROTECTED, { token: `invalid-token-${i}` })).status).toBe(401)
  })

  it("TestAuthBypass_SQLInjectionInSessionToken — never a 500, always 401", async () => {
    const n = await freshNode()
    for (const token of ["' OR '1'='1", "'; DROP TABLE api_keys--", "' UNION SELECT * FROM api_keys--", "admin'--"]) {
      expect([token, (await apiGet(n, PROTECTED, { token })).status]).toEqual([token, 401])
    }
    expect((await apiGet(n, PROTECTED, { token: n.token })).status).toBe(200)
  })
})

describe("main_integration_adversarial_test.go", () => {
  it("TestAdversarial_SessionFixationViaCookieInjection — a planted credential first, the valid one second: no access; the valid one alone works", async () => {
    const n = await freshNode()
    const answer = await raw(
      n.node.port,
      `GET ${PROTECTED} HTTP/1.1\r\nHost: admin.localhost\r\nAuthorization: Bearer attacker-planted-invalid-token\r\nAuthorization: Bearer ${n.token}\r\nConnection: close\r\n\r\n`
    )
    expect(statusOf(answer)).not.toBe(200)
    expect((await apiGet(n, PROTECTED, { host: "admin.localhost", token: n.token })).status).toBe(200)
  })

  it("TestAdversarial_ConcurrentAuthAndInvalidation — 5 workers × 20 requests while the key is deleted: only 200s and 401s", async () => {
    const n = await freshNode()
    const seen: Array<number> = []
    const worker = async (w: number) => {
      for (let j = 0; j < 20; j++) {
        seen.push((await apiGet(n, PROTECTED, { host: "admin.localhost", token: n.token })).status)
        // The key goes while the workers are at it: after the first worker's third answer.
        if (w === 0 && j === 2) write(n.db, "DELETE FROM api_keys")
      }
    }
    await Promise.all(Array.from({ length: 5 }, (_, w) => worker(w)))
    expect(seen).toHaveLength(100)
    expect(seen.filter((s) => s !== 200 && s !== 401)).toEqual([])
    expect(seen.at(-1)).toBe(401)
  })

  it("TestAdversarial_RateLimitBypassViaIPSpoofing — after the wrong-key limit, spoofed X-Forwarded-For addresses stay limited (fazt trusts the header; this node does not)", async () => {
    const n = await freshNode()
    const statuses: Array<number> = []
    for (let i = 0; i < 21; i++) statuses.push((await apiGet(n, PROTECTED, { token: `fzt_wrong_${i}` })).status)
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true)
    expect(statuses[20]).toBe(429)
    for (let i = 0; i < 20; i++) {
      const spoofed = await apiGet(n, PROTECTED, { token: `fzt_wrong_spoofed_${i}`, headers: { "x-forwarded-for": `10.0.${i >> 8}.${i & 255}` } })
      expect(spoofed.status).toBe(429)
    }
  })

  it("TestAdversarial_HostHeaderAdminBypass — no host variation reaches the API without a key", async () => {
    const n = await freshNode()
    const hosts = ["ADMIN.localhost", "Admin.localhost", "admin.localhost.evil.com", "xadmin.localhost", "admin.localhost.", "admin..localhost", "admin.localhost\x00evil", "\u0430dmin.localhost"]
    for (const host of hosts) {
      const answer = await raw(n.node.port, Buffer.from(`GET ${PROTECTED} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, "utf8"))
      expect([JSON.stringify(host), statusOf(answer)]).not.toEqual([JSON.stringify(host), 200])
      expect(statusOf(answer), JSON.stringify(host)).toBeGreaterThan(0)
    }
  })

  it("TestAdversarial_PathConfusionAuthMiddleware — traversal, case, doubled and encoded slashes, NUL, ';' never reach the API without a key", async () => {
    const n = await freshNode()
    const paths = [
      "/auth/../api/system/health",
      "/static/../api/system/health",
      "/api/login/../system/health",
      "/STATIC/../../api/system/health",
      "/Auth/../api/system/health",
      "/API/system/health",
      "//api/system/health",
      "/api%2fsystem%2fhealth",
      "/api/system/health%00.html",
      "/api/system/health;.html"
    ]
    for (const path of paths) {
      const answer = await raw(n.node.port, `GET ${path} HTTP/1.1\r\nHost: admin.localhost\r\nConnection: close\r\n\r\n`)
      expect([path, statusOf(answer)]).not.toEqual([path, 200])
      expect(statusOf(answer), path).toBeGreaterThan(0)
    }
  })

  it("TestAdversarial_DeletedUserOrphanedSession — the key's row deleted: 200 before, 401 after", async () => {
    const n = await freshNode()
    expect((await apiGet(n, PROTECTED, { host: "admin.localhost", token: n.token })).status).toBe(200)
    write(n.db, "DELETE FROM api_keys WHERE name = 'test'")
    expect(query(n.db, "SELECT count(*) AS n FROM api_keys")).toEqual([{ n: 0 }])
    expect((await apiGet(n, PROTECTED, { host: "admin.localhost", token: n.token })).status).toBe(401)
  })

  // fazt's sessions are 32 random bytes in base64url (≥ 20 distinct characters
  // expected); its API keys, like this node's, are 32 random bytes in hex:
  // all 16 hex digits expected instead.
  it("TestAdversarial_SessionTokenEntropy — 50 keys: no collisions, ≥ 40 characters, 256 random bits in hex", async () => {
    const n = await freshNode()
    const tokens: Array<string> = []
    for (let batch = 0; batch < 10; batch++) {
      tokens.push(...await Promise.all(Array.from({ length: 5 }, async (_, i) =>
        (await runFazt(["server", "create-key", "--name", `e${batch}-${i}`, "--db", n.db], { home: n.home })).stdout.trim())))
    }
    expect(new Set(tokens).size).toBe(50)
    expect(new Set(tokens.map((t) => createHash("sha256").update(t).digest("hex"))).size).toBe(50)
    for (const t of tokens) expect(t).toMatch(/^fzt_[0-9a-f]{64}$/)
    expect(new Set(tokens.map((t) => t.slice(4)).join("")).size).toBe(16)
  })
})

// fazt's handlers behind these routes (internal/handlers/deploy.go,
// cmd_gateway.go) and its deploy (internal/hosting/deploy.go), as the same
// integration tests exercise them.
describe("fazt's deploy and command gateway handlers", () => {
  let n: Node
  beforeAll(async () => {
    n = await freshNode()
  })
  const post = (path: string, headers: Record<string, string>, body: string | Buffer) =>
    request(n.node.port, { method: "POST", path, token: n.token, headers, body })

  it("a deploy body that is not multipart, or has no boundary → 400 (never a 500), nothing stored", async () => {
    const cases: Array<Record<string, string>> = [
      { "content-type": "application/json" },
      { "content-type": "multipart/form-data" },
      { "content-type": "text/plain; boundary=x" },
      {}
    ]
    for (const headers of cases) {
      const a = await post("/api/deploy", headers, `{"site_name":"x"}`)
      expect([headers["content-type"], a.status]).toEqual([headers["content-type"], 400])
      expect(JSON.parse(a.body).error.code).toBe("BAD_REQUEST")
    }
    expect(query(n.db, "SELECT count(*) AS n FROM fazt_remote_deploys")).toEqual([{ n: 0 }])
  })

  it("GET /api/deploy → 400 'Method not allowed' (fazt's DeployHandler); GET /api/cmd → 405 with Allow: POST", async () => {
    const deploy = await request(n.node.port, { path: "/api/deploy", token: n.token })
    expect([deploy.status, JSON.parse(deploy.body).error.message]).toEqual([400, "Method not allowed"])
    const cmd = await request(n.node.port, { path: "/api/cmd", token: n.token })
    expect([cmd.status, cmd.headers["allow"], cmd.body]).toEqual([405, "POST", "Method Not Allowed\n"])
    // Without a key, the key check comes first.
    expect((await request(n.node.port, { path: "/api/cmd" })).status).toBe(401)
  })

  it("/api/cmd matches JSON keys without regard to case, as Go's decoder does", async () => {
    for (const body of [{ Command: "server", ARGS: ["info"] }, { COMMAND: "server", Args: ["info"] }, { command: "server", args: ["info"], extra: 1 }]) {
      const a = await post("/api/cmd", { "content-type": "application/json" }, JSON.stringify(body))
      expect([body, a.status]).toEqual([body, 200])
      expect(JSON.parse(a.body).data).toMatchObject({ success: true, data: { domain: "localhost" } })
    }
    // null is Go's zero value: no command.
    const none = await post("/api/cmd", { "content-type": "application/json" }, `{"command":null}`)
    expect([none.status, JSON.parse(none.body).error.message]).toEqual([400, "command is required"])
  })

  it("a zip with a ../ entry: that entry is skipped (as fazt does), the rest deployed; nothing outside the site", async () => {
    const zip = handMadeZip([
      { name: "index.html", content: "kept" },
      { name: "../escape.txt", content: "x" },
      { name: "a/../../escape2.txt", content: "x" },
      { name: "/etc/passwd", content: "x" },
      { name: "a\\..\\b.txt", content: "x" },
      { name: "a/../b.txt", content: "cleaned" }
    ])
    const a = await deployZip(n.node.url, n.token, "skips", zip)
    expect(a.status).toBe(200)
    expect(a.body.data).toMatchObject({ file_count: 2, size_bytes: 4 + 7 })
    expect(a.body.data!.message).toContain("4 unsafe entries skipped")
    expect(query(n.db, "SELECT path FROM fazt_remote_files ORDER BY path")).toEqual([{ path: "b.txt" }, { path: "index.html" }])
    expect((await getOnSite(n.node.port, "skips", "/b.txt")).body).toBe("cleaned")
  })

  it("an empty zip is accepted (an empty site), as fazt does", async () => {
    const a = await deployZip(n.node.url, n.token, "empty", handMadeZip([]))
    expect(a.status).toBe(200)
    expect(a.body.data).toMatchObject({ site: "empty", file_count: 0, size_bytes: 0 })
    expect((await getOnSite(n.node.port, "empty", "/")).status).toBe(404)
    expect((await getOnSite(n.node.port, "nosuch", "/")).body).toBe("Site not found\n")
  })

  it("the deploy limit counts only deploys that succeeded (fazt's RecordDeploy after the deploy)", async () => {
    const limited = await freshNode(["--deploys-per-minute", "2"])
    const bad = handMadeZip([{ name: "index.html", content: "x" }])
    for (let i = 0; i < 5; i++) {
      const refused = await deployZip(limited.node.url, limited.token, "Bad_Name", bad)
      expect(refused.status).toBe(400)
    }
    const statuses: Array<number> = []
    for (let i = 0; i < 3; i++) statuses.push((await deployFiles(limited.node.url, limited.token, "ok", { "index.html": `v${i}` })).status)
    expect(statuses).toEqual([200, 200, 429])
  })
})

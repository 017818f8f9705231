import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { clientDb, FIXTURE_DB, FIXTURE_KEY, homeWithPeer, type RunResult, runFazt, tempHome } from "../support/cli.js"
import { startNode } from "../support/node.js"
import { closedPort, hang, HEALTHY, json, raw, scriptedPeer } from "../support/scriptedPeer.js"
import { query } from "../support/sqlite.js"

const TOKEN = "fzt_networktoken_0123456789abcdef"
const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

const lastState = (home: string, name: string) =>
  query<{ last_status: string | null; last_seen_at: string | null; last_version: string | null }>(
    clientDb(home),
    "SELECT last_status, last_seen_at, last_version FROM peers WHERE name = ?",
    name
  )[0]!

const noSecrets = (r: RunResult, token = TOKEN) => {
  expect(r.stdout).not.toContain(token)
  expect(r.stderr).not.toContain(token)
  expect(r.stderr).not.toMatch(/\n\s+at /)
}

describe("against the project's own node", () => {
  it("status, apps and upgrade --check work with a key from a real fazt database", async () => {
    const home = tempHome()
    const db = path.join(home, "node.db")
    fs.copyFileSync(FIXTURE_DB, db)
    const node = await startNode({ db, home })
    cleanups.push(() => node.stop())
    const client = await homeWithPeer(node.url, FIXTURE_KEY)

    const status = await runFazt(["remote", "status", "--json"], { home: client })
    expect(status.code).toBe(0)
    const report = JSON.parse(status.stdout).data
    expect(report).toMatchObject({ name: "p", status: "healthy", version: "0.1.0", error: null })
    expect(report.uptime_seconds).toBeGreaterThanOrEqual(0)
    expect(lastState(client, "p")).toMatchObject({ last_status: "healthy", last_version: "0.1.0" })

    const human = await runFazt(["remote", "status"], { home: client })
    expect(human.stdout).toMatch(/p\s+http:\/\/127\.0\.0\.1:\d+\s+healthy\s+0\.1\.0/)

    const apps = await runFazt(["remote", "apps", "p", "--json"], { home: client })
    expect(apps.code).toBe(0)
    expect(JSON.parse(apps.stdout)).toEqual({ data: [] })
    const empty = await runFazt(["remote", "apps"], { home: client })
    expect(empty.stderr).toContain("fazt remote deploy <dir> p")

    const check = await runFazt(["remote", "upgrade", "--check", "--json"], { home: client })
    expect(check.code).toBe(0)
    // No release channel: already_latest with new_version = current, never check_only (issue 10).
    expect(JSON.parse(check.stdout).data).toMatchObject({ peer: "p", current_version: "0.1.0", new_version: "0.1.0", action: "already_latest" })

    const real = await runFazt(["remote", "upgrade", "--force"], { home: client })
    expect(real.code).toBe(7)
    expect(real.stderr).toContain("NOT_IMPLEMENTED")

    for (const r of [status, human, apps, empty, check, real]) noSecrets(r, FIXTURE_KEY)
  })

  it("refuses a wrong key with exit 6 and a key made by create-key works", async () => {
    const home = tempHome()
    const db = path.join(home, "node.db")
    const created = await runFazt(["server", "create-key", "--name", "ci", "--db", db], { home })
    expect(created.code).toBe(0)
    const token = created.stdout.trim()
    expect(token).toMatch(/^fzt_[0-9a-f]{64}$/)
    expect(fs.statSync(db).mode & 0o777).toBe(0o600)
    const node = await startNode({ db, home })
    cleanups.push(() => node.stop())

    const good = await homeWithPeer(node.url, token)
    expect((await runFazt(["remote", "status"], { home: good })).code).toBe(0)
    const bad = await homeWithPeer(node.url, "fzt_not_the_right_key_at_all_000")
    const r = await runFazt(["remote", "status"], { home: bad })
    expect(r.code).toBe(6)
    expect(r.stderr).toContain("INVALID_API_KEY")
    expect(lastState(bad, "p").last_status).toBe("unauthorized")
  })
})

describe("against misbehaving peers", () => {
  it("refused port → exit 5, last_status unreachable", async () => {
    const port = await closedPort()
    const home = await homeWithPeer(`http://127.0.0.1:${port}`, TOKEN)
    const r = await runFazt(["remote", "status", "--retries", "1"], { home })
    expect(r.code).toBe(5)
    expect(r.stderr).toContain("connection refused")
    noSecrets(r)
    expect(lastState(home, "p")).toMatchObject({ last_status: "unreachable", last_seen_at: null })
  })

  it("no answer → exit 5 within the timeout, not retried", async () => {
    const peer = await scriptedPeer([hang])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, TOKEN)
    const started = Date.now()
    const r = await runFazt(["remote", "status", "--timeout", "1s"], { home })
    const elapsed = Date.now() - started
    expect(r.code).toBe(5)
    expect(r.stderr).toContain("no complete answer within 1s")
    expect(elapsed).toBeLessThan(4_000)
    expect(peer.seen).toHaveLength(1)
    expect(lastState(home, "p").last_status).toBe("unreachable")
  })

  it("a body that trickles past the timeout → exit 5", async () => {
    const peer = await scriptedPeer([(_req, res) => {
      res.writeHead(200, { "content-type": "application/json" })
      res.write("{\"data\":")
      const t = setInterval(() => res.write(" "), 100)
      res.on("close", () => clearInterval(t))
    }])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, TOKEN)
    const r = await runFazt(["remote", "status", "--timeout", "800ms"], { home })
    expect(r.code).toBe(5)
  })

  it("401 → exit 6 without retry", async () => {
    const peer = await scriptedPeer([json(401, { data: null, error: { code: "UNAUTHORIZED", message: "Invalid API key" } })])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, TOKEN)
    const r = await runFazt(["remote", "status"], { home })
    expect(r.code).toBe(6)
    expect(r.stderr).toContain("UNAUTHORIZED")
    expect(peer.seen).toHaveLength(1)
    expect(peer.seen[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`)
    noSecrets(r)
    expect(lastState(home, "p").last_status).toBe("unauthorized")
  })

  it("403 and 404 are not retried either", async () => {
    for (const status of [403, 404, 400]) {
      const peer = await scriptedPeer([json(status, { error: { code: "NOPE", message: "no" } })])
      cleanups.push(peer.close)
      const home = await homeWithPeer(peer.url, TOKEN)
      const r = await runFazt(["remote", "status"], { home })
      expect(r.code).toBe(status === 403 ? 6 : 7)
      expect(peer.seen).toHaveLength(1)
    }
  })

  it("HTML 502 forever → exit 7 naming the status, no HTML dump, retries then stops", async () => {
    const page = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
    const peer = await scriptedPeer([raw(502, page, { "content-type": "text/html" })])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, TOKEN)
    const r = await runFazt(["remote", "status", "--retries", "2"], { home })
    expect(r.code).toBe(7)
    expect(r.stderr).toContain("HTTP 502")
    expect(r.stderr).toContain("HTML page")
    expect(r.stderr).not.toContain("<html")
    expect(peer.seen).toHaveLength(3)
    expect(lastState(home, "p").last_status).toBe("error")
  })

  it("502, 503, then 200 → success on the third attempt", async () => {
    const peer = await scriptedPeer([raw(502, "bad gateway"), json(503, { error: { code: "UNAVAILABLE", message: "busy" } }), json(200, HEALTHY)])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, TOKEN)
    const r = await runFazt(["remote", "status", "--json"], { home })
    expect(r.code).toBe(0)
    expect(peer.seen).toHaveLength(3)
    expect(JSON.parse(r.stdout).data).toMatchObject({ status: "healthy", version: "0.29.0", uptime_seconds: 345_661 })
    expect(lastState(home, "p")).toMatchObject({ last_status: "healthy", last_version: "0.29.0" })
    const human = await runFazt(["remote", "status"], { home })
    expect(human.stdout).toContain("4d 0h 1m")
  })

  it("429 with Retry-After: 2 → waits at least 2 s, then succeeds", async () => {
    const times: Array<number> = []
    const peer = await scriptedPeer([
      (req, res) => {
        times.push(Date.now())
        json(429, { error: { code: "RATE_LIMIT_EXCEEDED", message: "slow down" } }, { "retry-after": "2" })(req, res)
      },
      (req, res) => {
        times.push(Date.now())
        json(200, HEALTHY)(req, res)
      }
    ])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, TOKEN)
    const r = await runFazt(["remote", "status"], { home })
    expect(r.code).toBe(0)
    expect(times).toHaveLength(2)
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(2_000)
    expect(lastState(home, "p")).toMatchObject({ last_status: "healthy", last_version: "0.29.0" })
  })

  it("429 that never ends → exit 7 after the retries", async () => {
    const peer = await scriptedPeer([json(429, { error: { code: "RATE_LIMIT_EXCEEDED", message: "slow down" } }, { "retry-after": "0" })])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, TOKEN)
    const r = await runFazt(["remote", "status", "--retries", "2"], { home })
    expect(r.code).toBe(7)
    expect(r.stderr).toContain("RATE_LIMIT_EXCEEDED")
    expect(peer.seen).toHaveLength(3)
    // A node that rate-limits is answering as designed: seen, its health unchanged.
    expect(lastState(home, "p").last_status).toBeNull()
    expect(lastState(home, "p").last_seen_at).not.toBeNull()
  })

  it("truncated JSON and JSON of the wrong shape → exit 7", async () => {
    for (const reply of [
      raw(200, "{\"data\": {\"status\": \"heal", { "content-type": "application/json" }),
      json(200, { data: { uptime_seconds: "soon" } }),
      json(200, { status: "healthy" }),
      json(200, [1, 2, 3])
    ]) {
      const peer = await scriptedPeer([reply])
      cleanups.push(peer.close)
      const home = await homeWithPeer(peer.url, TOKEN)
      const r = await runFazt(["remote", "status"], { home })
      expect(r.code).toBe(7)
      expect(r.stderr.trim().split("\n")).toHaveLength(1)
      expect(lastState(home, "p").last_status).toBe("error")
    }
  })

  it("upgrade answered 503 → exactly one request", async () => {
    const peer = await scriptedPeer([json(503, { error: { code: "UNAVAILABLE", message: "restarting" } })])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, TOKEN)
    const r = await runFazt(["remote", "upgrade"], { home })
    expect(r.code).toBe(7)
    expect(peer.seen).toHaveLength(1)
    expect(peer.seen[0]!.method).toBe("POST")
    // The node answered in its own words: the upgrade failed, the node's health is unchanged (docs/BOOKKEEPING.md).
    expect(lastState(home, "p").last_status).toBeNull()
  })

  it("a redirect to another port never receives the token", async () => {
    const other = await scriptedPeer([json(200, HEALTHY)])
    cleanups.push(other.close)
    const peer = await scriptedPeer([raw(302, "", { location: `${other.url}/api/system/health` })])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, TOKEN)
    const r = await runFazt(["remote", "status"], { home })
    expect(r.code).toBe(0)
    expect(peer.seen[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`)
    expect(other.seen).toHaveLength(1)
    expect(other.seen[0]!.headers.authorization).toBeUndefined()
    expect(lastState(home, "p")).toMatchObject({ last_status: "healthy", last_version: "0.29.0" })
  })

  it("apps falls back to GET /api/apps on a node without the gateway: v0.10+ titles, old names, null lists, unknown fields", async () => {
    const lists = [
      json(200, { data: null }),
      json(200, {
        data: [
          { id: "app_1", title: "blog", visibility: "public", source: "deploy", file_count: 3, size_bytes: 2048, created_at: "2026-01-01 10:00:00", updated_at: "2026-01-02 10:00:00", tags: ["x"], extra: 1 },
          { name: "old-site", manifest: { spa: true }, file_count: 1, size_bytes: 10 }
        ]
      })
    ]
    let listed = 0
    // fazt before v0.10: no /api/cmd, so Go's mux answers its plain-text 404.
    const peer = await scriptedPeer([(req, res) =>
      req.url === "/api/cmd" ? raw(404, "404 page not found\n", { "content-type": "text/plain" })(req, res) : lists[listed++]!(req, res)
    ])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, TOKEN)
    const empty = await runFazt(["remote", "apps", "--json"], { home })
    expect(JSON.parse(empty.stdout)).toEqual({ data: [] })
    const r = await runFazt(["remote", "apps", "--json"], { home })
    expect(r.code).toBe(0)
    const apps = JSON.parse(r.stdout).data
    expect(apps.map((a: { title: string }) => a.title)).toEqual(["blog", "old-site"])
    expect(apps[0]).toMatchObject({ id: "app_1", file_count: 3, tags: ["x"], aliases: [] })
    expect(peer.seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      "POST /api/cmd", "GET /api/apps?all=true", "POST /api/cmd", "GET /api/apps?all=true"
    ])
    // A missing route is the node's design, not ill health.
    expect(lastState(home, "p").last_status).toBe("healthy")
  })

  it("refuses to send a token over plain http to a host that is not loopback, unless --insecure", async () => {
    const home = tempHome()
    const add = await runFazt(["remote", "add", "far", "http://192.0.2.10:8080", "--token", TOKEN], { home })
    expect(add.code).toBe(0)
    expect(add.stderr).toContain("warning: http://192.0.2.10:8080 is plain http")
    const r = await runFazt(["remote", "status", "far"], { home })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("--insecure")
    noSecrets(r)
  })
})

describe("status --all", () => {
  it("asks every peer, one row each, and exits non-zero when one is down", async () => {
    const healthy = await scriptedPeer([json(200, HEALTHY)])
    cleanups.push(healthy.close)
    const dead = await closedPort()
    const home = tempHome()
    for (let i = 0; i < 5; i++) await runFazt(["remote", "add", `ok-${i}`, healthy.url, "--token", TOKEN], { home })
    await runFazt(["remote", "add", "dead", `http://127.0.0.1:${dead}`, "--token", TOKEN], { home })
    const r = await runFazt(["remote", "status", "--all", "--json", "--retries", "0"], { home })
    expect(r.code).toBe(5)
    const rows = JSON.parse(r.stdout).data
    expect(rows).toHaveLength(6)
    expect(rows.filter((x: { status: string }) => x.status === "healthy")).toHaveLength(5)
    expect(rows.find((x: { name: string }) => x.name === "dead")).toMatchObject({ status: "unreachable", error: { code: "PEER_UNREACHABLE" } })
    noSecrets(r)
    const states = query<{ name: string; last_status: string }>(clientDb(home), "SELECT name, last_status FROM peers ORDER BY name")
    expect(states.map((s) => s.last_status)).toEqual(["unreachable", "healthy", "healthy", "healthy", "healthy", "healthy"])
  })

  it("more peers than descriptors: every peer answered, none refused for EMFILE (no idle kept-alive socket holds one past the cap)", async () => {
    // 150 peers, each its own server, under a limit of 96 descriptors: 32 asked at once (fleetConcurrency.ts).
    // A connection kept alive after each answer would hold its descriptor, and the 70th peer would fail.
    const peers = await Promise.all(Array.from({ length: 150 }, () => scriptedPeer([json(200, HEALTHY)])))
    for (const p of peers) cleanups.push(p.close)
    const home = tempHome()
    expect((await runFazt(["remote", "add", "p-000", peers[0]!.url, "--token", TOKEN], { home })).code).toBe(0)
    const Sqlite = (await import("better-sqlite3")).default
    const db = new Sqlite(clientDb(home))
    const insert = db.prepare("INSERT INTO peers (name, url, token) VALUES (?, ?, ?)")
    for (let i = 1; i < peers.length; i++) insert.run(`p-${String(i).padStart(3, "0")}`, peers[i]!.url, TOKEN)
    db.close()
    const r = await runFazt(["remote", "status", "--all", "--json", "--retries", "0"], { home, shellPrefix: "ulimit -n 96;" })
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    const rows = JSON.parse(r.stdout).data as Array<{ name: string; status: string }>
    expect(rows.map((x) => x.status)).toEqual(peers.map(() => "healthy"))
    expect(peers.map((p) => p.seen.length)).toEqual(peers.map(() => 1))
    const states = query<{ last_status: string }>(clientDb(home), "SELECT last_status FROM peers")
    expect(states.every((x) => x.last_status === "healthy")).toBe(true)
  }, 30_000)

  it("with no peers says how to add one and exits 0", async () => {
    const home = tempHome()
    const r = await runFazt(["remote", "status", "--all"], { home })
    expect(r.code).toBe(0)
    expect(r.stderr).toContain("fazt remote add")
  })

  it("several peers and no default: status without a name → exit 3 naming 'fazt remote default'", async () => {
    const home = tempHome()
    await runFazt(["remote", "add", "a", "https://a.example"], { home })
    await runFazt(["remote", "add", "b", "https://b.example"], { home })
    const Sqlite = (await import("better-sqlite3")).default
    const db = new Sqlite(clientDb(home))
    db.prepare("UPDATE peers SET is_default = 0").run()
    db.close()
    const r = await runFazt(["remote", "status"], { home })
    expect(r.code).toBe(3)
    expect(r.stderr).toContain("fazt remote default <name>")
  })
})

import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import Sqlite from "better-sqlite3"
import { afterEach, describe, expect, it } from "vitest"
import { clientDb, FIXTURE_DB, homeWithPeer, type RunResult, runFazt, tempHome } from "../support/cli.js"
import { faztAdminHost } from "../support/faztAdminHost.js"
import { json, raw, scriptedPeer } from "../support/scriptedPeer.js"
import { holdWriteLock } from "../support/lock.js"
import { query } from "../support/sqlite.js"

// Against a stand-in that routes as fazt v0.29's admin host does
// (test/support/faztAdminHost.ts names the fazt files each rule comes from).

const KEY = "fzt_adminhost_0123456789abcdef0123456789abcdef"
const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

const lastStatus = (home: string, name = "p") =>
  query<{ last_status: string | null }>(clientDb(home), "SELECT last_status FROM peers WHERE name = ?", name)[0]!.last_status

const clean = (r: RunResult) => {
  expect(r.stdout + r.stderr).not.toContain(KEY)
  expect(r.stderr).not.toMatch(/\n\s+at /)
}

const adminHost = async (options: Partial<Parameters<typeof faztAdminHost>[0]> = {}) => {
  const host = await faztAdminHost({
    keys: [KEY],
    apps: [{ id: "app_7f3a9c1d", title: "Blog", visibility: "public", aliases: ["blog", "www-blog"], tags: ["site"] }],
    ...options
  })
  cleanups.push(host.close)
  return host
}

describe("a production fazt node (admin host)", () => {
  it("status, apps, upgrade --check and deploy succeed with a key, and the peer stays healthy", async () => {
    const host = await adminHost({ latest: "0.30.0" })
    const home = await homeWithPeer(host.url, KEY)

    const status = await runFazt(["remote", "status", "--json"], { home })
    expect(status.code).toBe(0)
    expect(JSON.parse(status.stdout).data).toMatchObject({ status: "healthy", version: "0.29.0" })

    const apps = await runFazt(["remote", "apps", "--json"], { home })
    expect(apps.code).toBe(0)
    expect(JSON.parse(apps.stdout).data).toEqual([{
      id: "app_7f3a9c1d",
      title: "Blog",
      visibility: "public",
      aliases: ["blog", "www-blog"],
      tags: ["site"],
      forked_from: null,
      source: null,
      file_count: null,
      size_bytes: null,
      updated_at: null
    }])
    expect(lastStatus(home)).toBe("healthy")

    const table = await runFazt(["remote", "apps"], { home })
    expect(table.code).toBe(0)
    expect(table.stdout.split("\n")[0]).toMatch(/^ID\s+TITLE\s+VISIBILITY\s+ALIASES$/)
    expect(table.stdout).toMatch(/app_7f3a9c1d\s+Blog\s+public\s+blog, www-blog/)

    const check = await runFazt(["remote", "upgrade", "--check", "--json"], { home })
    expect(check.code).toBe(0)
    expect(JSON.parse(check.stdout).data).toMatchObject({ action: "check_only", current_version: "0.29.0", new_version: "0.30.0" })

    const site = path.join(home, "my-site")
    fs.mkdirSync(site)
    fs.writeFileSync(path.join(site, "index.html"), "<h1>hi</h1>")
    const deploy = await runFazt(["remote", "deploy", site, "--json"], { home })
    expect(deploy.code).toBe(0)
    expect(JSON.parse(deploy.stdout).data).toMatchObject({ site: "my-site" })
    const after = JSON.parse((await runFazt(["remote", "apps", "--json"], { home })).stdout).data
    expect(after.map((a: { aliases: Array<string> }) => a.aliases)).toEqual([["blog", "www-blog"], ["my-site"]])

    expect(lastStatus(home)).toBe("healthy")
    // Every call went to a path where fazt's admin host takes an API key.
    expect([...new Set(host.seen.map((s) => `${s.method} ${s.url.split("?")[0]}`))].sort()).toEqual([
      "GET /api/system/health",
      "POST /api/cmd",
      "POST /api/deploy",
      "POST /api/upgrade"
    ])
    expect(host.seen.every((s) => s.headers.authorization === `Bearer ${KEY}`)).toBe(true)
    for (const r of [status, apps, table, check, deploy]) clean(r)
  })

  it("an empty node: the gateway leaves `data` out, apps prints [] and says what to do next", async () => {
    const host = await adminHost({ apps: [] })
    const home = await homeWithPeer(host.url, KEY)
    const r = await runFazt(["remote", "apps", "--json"], { home })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({ data: [] })
    const human = await runFazt(["remote", "apps"], { home })
    expect(human.stdout).toBe("")
    expect(human.stderr).toContain("fazt remote deploy <dir> p")
  })

  it("the gateway's success:false → exit 7 with the node's words; the peer stays healthy", async () => {
    const host = await adminHost({ commandError: "database not initialized" })
    const home = await homeWithPeer(host.url, KEY)
    expect((await runFazt(["remote", "status"], { home })).code).toBe(0)
    const r = await runFazt(["remote", "apps"], { home })
    expect(r.code).toBe(7)
    expect(r.stdout).toBe("")
    expect(r.stderr.trim()).toBe("error: peer 'p' answered HTTP 200 COMMAND_FAILED: database not initialized")
    const j = await runFazt(["remote", "apps", "--json"], { home })
    expect(j.code).toBe(7)
    expect(JSON.parse(j.stderr).error).toMatchObject({ code: "PEER_API_ERROR", details: { code: "COMMAND_FAILED", reason: "database not initialized" } })
    expect(host.seen.filter((s) => s.url === "/api/cmd")).toHaveLength(2)
    expect(lastStatus(home)).toBe("healthy")
    clean(r)
  })

  it("a wrong key → exit 6 with the node's code, and the peer is marked unauthorized", async () => {
    const host = await adminHost()
    const home = await homeWithPeer(host.url, "fzt_not_the_key_0000000000000000")
    const r = await runFazt(["remote", "apps"], { home })
    expect(r.code).toBe(6)
    expect(r.stderr).toContain("INVALID_API_KEY")
    expect(lastStatus(home)).toBe("unauthorized")
  })
})

describe("the result beats the bookkeeping", () => {
  it("a call that worked is printed and exits 0 when its state cannot be recorded (database locked)", async () => {
    const host = await adminHost()
    const home = await homeWithPeer(host.url, KEY)
    const lock = await holdWriteLock(clientDb(home), 30_000)
    cleanups.push(lock.release)
    const r = await runFazt(["remote", "apps", "--json"], { home })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).data[0]).toMatchObject({ id: "app_7f3a9c1d" })
    expect(r.stderr.trim().split("\n")).toHaveLength(1)
    expect(JSON.parse(r.stderr)).toEqual({ warning: expect.stringContaining("could not record the state of 'p'") })
    const human = await runFazt(["remote", "status"], { home })
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/healthy\s+0\.29\.0/)
    expect(human.stderr).toMatch(/^warning: could not record the state of 'p': .*lock/)
    await lock.release()
    expect(lastStatus(home)).toBeNull()
  }, 40_000)

  it("a fleet on a locked database waits for the lock once, not once per peer: every row printed, one warning", async () => {
    const host = await adminHost()
    const home = await homeWithPeer(host.url, KEY)
    for (const name of ["q", "r", "s"]) {
      expect((await runFazt(["remote", "add", name, host.url, "--token", KEY], { home })).code).toBe(0)
    }
    const lock = await holdWriteLock(clientDb(home), 30_000)
    cleanups.push(lock.release)
    const r = await runFazt(["remote", "status", "--all", "--json"], { home })
    expect(r.code).toBe(0)
    const rows = JSON.parse(r.stdout).data as Array<{ name: string; status: string }>
    expect(rows.map((row) => [row.name, row.status])).toEqual([["p", "healthy"], ["q", "healthy"], ["r", "healthy"], ["s", "healthy"]])
    const warnings = r.stderr.trim().split("\n")
    expect(warnings).toHaveLength(1)
    // The fleet's answers are recorded in one transaction: one wait, one warning naming how many.
    expect(JSON.parse(warnings[0]!)).toEqual({ warning: expect.stringMatching(/could not record the state of 4 peers: .*lock/) })
    await lock.release()
    expect(lastStatus(home)).toBeNull()
  }, 40_000)
})

describe("fazt's bare-string error shape", () => {
  it("a 401 from the admin middleware on a session-only path: the node's words, exit 6, not marked unauthorized", async () => {
    // A node without the gateway whose /api/apps sits behind the cookie-only middleware.
    const peer = await scriptedPeer([(req, res) => {
      if (req.url === "/api/system/health") return json(200, { data: { status: "healthy", version: "0.9.0" } })(req, res)
      if (req.url === "/api/cmd") return raw(404, "404 page not found\n", { "content-type": "text/plain" })(req, res)
      return raw(401, `{"error":"Authentication required"}`, { "content-type": "application/json" })(req, res)
    }])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, KEY)
    expect((await runFazt(["remote", "status"], { home })).code).toBe(0)
    const r = await runFazt(["remote", "apps"], { home })
    expect(r.code).toBe(6)
    expect(r.stderr).toContain(`"Authentication required" to GET /api/apps`)
    expect(r.stderr).toContain("browser session")
    expect(r.stderr).not.toMatch(/garbage|not the fazt API|HTML|set-token/)
    expect(lastStatus(home)).toBe("healthy")
    const j = await runFazt(["remote", "apps", "--json"], { home })
    expect(JSON.parse(j.stderr).error.details).toMatchObject({ status: 401, scope: "session", reason: "Authentication required" })
    clean(r)
  })

  it("a bare-string 401 on a path that takes a key (older fazt) is the key's fault: marked unauthorized", async () => {
    const peer = await scriptedPeer([raw(401, `{"error":"Authentication required"}`, { "content-type": "application/json" })])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, KEY)
    const r = await runFazt(["remote", "status"], { home })
    expect(r.code).toBe(6)
    expect(r.stderr).toContain("Authentication required")
    expect(r.stderr).toContain("set-token")
    expect(lastStatus(home)).toBe("unauthorized")
  })

  it("a bare-string 403 (role required) → exit 6 with the node's words", async () => {
    const peer = await scriptedPeer([json(403, { error: "Admin or owner role required", user_role: "viewer" })])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, KEY)
    const r = await runFazt(["remote", "upgrade", "--check"], { home })
    expect(r.code).toBe(6)
    expect(r.stderr).toContain("Admin or owner role required")
  })

  it("a bare-string error with another status → exit 7 naming the node's words", async () => {
    const peer = await scriptedPeer([json(400, { error: "something the node disliked" })])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, KEY)
    const r = await runFazt(["remote", "status", "--retries", "0"], { home })
    expect(r.code).toBe(7)
    expect(r.stderr).toContain("HTTP 400 HTTP_400: something the node disliked")
  })
})

describe("a peer stored by fazt with token ''", () => {
  it("sends no Authorization header, and show says none", async () => {
    const host = await adminHost()
    const home = tempHome()
    expect((await runFazt(["remote", "add", "p", host.url], { home })).code).toBe(0)
    const db = new Sqlite(clientDb(home))
    db.prepare("UPDATE peers SET token = '' WHERE name = 'p'").run()
    db.close()
    const r = await runFazt(["remote", "status"], { home })
    expect(host.seen).toHaveLength(1)
    expect(host.seen[0]!.headers.authorization).toBeUndefined()
    expect(r.code).toBe(6)
    expect(r.stderr).toContain("API key required")
    const show = await runFazt(["remote", "show", "p", "--json"], { home })
    expect(JSON.parse(show.stdout).data.token).toBeNull()
    expect((await runFazt(["remote", "show", "p"], { home })).stdout).toMatch(/Token:\s+none/)
  })
})

describe("the peers table's DDL", () => {
  const peersSchema = (file: string) =>
    query<{ type: string; name: string; sql: string }>(file, "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'peers' AND sql IS NOT NULL ORDER BY type, name")

  it("is fazt's own 009_peers.sql text: a file we create has the schema of one fazt created", async () => {
    const home = tempHome()
    expect((await runFazt(["remote", "add", "x", "https://x.example", "--token", KEY], { home })).code).toBe(0)
    const ours = peersSchema(clientDb(home))
    expect(ours.map((s) => s.name)).toEqual(["idx_peers_default", "idx_peers_name", "peers"])
    expect(ours).toEqual(peersSchema(FIXTURE_DB))
    let sqlite3 = true
    try {
      execFileSync("sqlite3", ["-version"])
    } catch {
      sqlite3 = false
    }
    if (sqlite3) {
      const dump = (file: string) => execFileSync("sqlite3", ["-readonly", file, ".schema peers"], { encoding: "utf8" })
      expect(dump(clientDb(home))).toBe(dump(FIXTURE_DB))
    }
  })
})

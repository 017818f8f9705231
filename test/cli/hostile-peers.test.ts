import { Chunk, Duration, Effect, Schedule } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { clientDb, homeWithPeer, type RunResult, runFazt, tempHome } from "../support/cli.js"
import { rawPeer } from "../support/rawPeer.js"
import { closedPort, HEALTHY, json, raw, scriptedPeer } from "../support/scriptedPeer.js"
import { query } from "../support/sqlite.js"
import { retryPolicy } from "../../src/services/client/HttpTransport.js"

// Peers that lie, and how long we wait for them (issue 11, client side).

const TOKEN = "fzt_hostiletoken_0123456789abcdef"
const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

const ESC = "\x1b"

/** One line on stderr, no stack, no token, no raw escape sequence. */
const oneCleanLine = (r: RunResult) => {
  expect(r.stderr.trim().split("\n")).toHaveLength(1)
  expect(r.stderr).not.toMatch(/\n\s+at /)
  expect(r.stderr).not.toContain(TOKEN)
  expect(r.stdout).not.toContain(TOKEN)
  expect(r.stderr).not.toContain("internal error")
}

const redirectTo = (location: string) => raw(302, "", { location })

describe("a peer that lies about where to go", () => {
  for (const [label, location] of [
    ["a non-http(s) scheme", "ftp://127.0.0.1/x"],
    ["a javascript: URL", "javascript:alert(1)"],
    ["an unparsable URL", "http://[::1"],
    ["a host with a space", "http://exa mple.com/"]
  ] as const) {
    it(`a redirect to ${label} → exit 7 naming the redirect, not an internal error`, async () => {
      const peer = await scriptedPeer([redirectTo(location)])
      cleanups.push(peer.close)
      const home = await homeWithPeer(peer.url, TOKEN)
      const r = await runFazt(["remote", "status"], { home })
      expect(r.code).toBe(7)
      expect(r.stderr).toMatch(/^error: peer 'p' answered HTTP 302 with a redirect to /)
      oneCleanLine(r)
      expect(peer.seen).toHaveLength(1)
    })
  }

  it("more than 5 redirects → exit 7, not 5", async () => {
    const peer = await scriptedPeer([(req, res) => {
      res.writeHead(302, { location: `/loop${(req.url ?? "").length}` })
      res.end()
    }])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, TOKEN)
    const r = await runFazt(["remote", "status"], { home })
    expect(r.code).toBe(7)
    expect(r.stderr).toContain("more than 5 redirects")
    oneCleanLine(r)
    expect(peer.seen).toHaveLength(6)
  })

  it("status --all with one poisoned peer among healthy ones prints every healthy row and exits 7", async () => {
    const healthy = await scriptedPeer([json(200, HEALTHY)])
    const poisoned = await scriptedPeer([redirectTo("gopher://127.0.0.1/")])
    cleanups.push(healthy.close, poisoned.close)
    const dead = await closedPort()
    const home = tempHome()
    for (let i = 0; i < 4; i++) await runFazt(["remote", "add", `ok-${i}`, healthy.url, "--token", TOKEN], { home })
    await runFazt(["remote", "add", "poisoned", poisoned.url, "--token", TOKEN], { home })
    const human = await runFazt(["remote", "status", "--all", "--retries", "0"], { home })
    expect(human.code).toBe(7)
    for (let i = 0; i < 4; i++) expect(human.stdout).toMatch(new RegExp(`ok-${i}\\s+http://127\\.0\\.0\\.1:\\d+\\s+healthy\\s+0\\.29\\.0`))
    expect(human.stdout).toMatch(/poisoned\s+\S+\s+error/)
    expect(human.stderr).toContain("redirect to a gopher: URL")

    const asJson = await runFazt(["remote", "status", "--all", "--json", "--retries", "0"], { home })
    expect(asJson.code).toBe(7)
    const rows = JSON.parse(asJson.stdout).data as Array<{ name: string; status: string; error: { code: string } | null }>
    expect(rows.map((r) => r.status)).toEqual(["healthy", "healthy", "healthy", "healthy", "error"])
    expect(rows[4]!.error!.code).toBe("PEER_PROTOCOL_ERROR")

    // With a dead peer too, the first failure's code wins and every row is still printed.
    await runFazt(["remote", "add", "a-dead", `http://127.0.0.1:${dead}`, "--token", TOKEN], { home })
    const mixed = await runFazt(["remote", "status", "--all", "--json", "--retries", "0"], { home })
    expect(JSON.parse(mixed.stdout).data).toHaveLength(6)
    expect(mixed.code).toBe(5)
  })
})

describe("a peer that answers malformed HTTP", () => {
  it("headers larger than Node accepts → exit 7, not retried", async () => {
    const peer = await rawPeer(() => `HTTP/1.1 200 OK\r\nX-Junk: ${"a".repeat(40_000)}\r\nContent-Length: 2\r\n\r\n{}`)
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, TOKEN)
    const r = await runFazt(["remote", "status"], { home })
    expect(r.code).toBe(7)
    expect(r.stderr).toContain("headers larger than")
    oneCleanLine(r)
    expect(peer.connections()).toBe(1)
  })

  for (const [label, header] of [
    ["a Content-Length that is not a number", "Content-Length: abc"],
    ["two Content-Lengths that disagree", "Content-Length: 2\r\nContent-Length: 5"],
    ["a negative Content-Length", "Content-Length: -1"]
  ] as const) {
    it(`${label} → exit 7, not retried`, async () => {
      const peer = await rawPeer(() => `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n${header}\r\n\r\n{}`)
      cleanups.push(peer.close)
      const home = await homeWithPeer(peer.url, TOKEN)
      const r = await runFazt(["remote", "status"], { home })
      expect(r.code).toBe(7)
      expect(r.stderr).toContain("invalid Content-Length")
      oneCleanLine(r)
      expect(peer.connections()).toBe(1)
    })
  }

  it("a status line that is not HTTP → exit 7", async () => {
    const peer = await rawPeer(() => "SSH-2.0-OpenSSH_9.6\r\n\r\n")
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, TOKEN)
    const r = await runFazt(["remote", "status"], { home })
    expect(r.code).toBe(7)
    expect(r.stderr).toContain("malformed HTTP")
    oneCleanLine(r)
  })
})

describe("what a peer says is printed safely", () => {
  it("our token echoed in an error's message and details is masked, human and --json", async () => {
    const echo = { error: { code: "BAD_KEY", message: `key ${TOKEN} is revoked`, details: { key: TOKEN, again: [`x${TOKEN}x`] } } }
    const peer = await scriptedPeer([json(400, echo)])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, TOKEN)
    for (const args of [["remote", "status"], ["remote", "status", "--json"], ["remote", "status", "--all", "--json"], ["remote", "apps"]]) {
      const r = await runFazt(args, { home })
      expect(r.code).toBe(7)
      expect(r.stdout + r.stderr).not.toContain(TOKEN)
      expect(r.stdout + r.stderr).toContain("fzt_…def")
    }
  })

  it("our token echoed in a redirect's Location and in an upgrade's message is masked", async () => {
    const redirect = await scriptedPeer([raw(302, "", { location: `mailto:x?t=${TOKEN}` })])
    const upgrade = await scriptedPeer([json(200, { data: { success: true, message: `ok ${TOKEN}`, current_version: "0.29.0", action: "already_latest" } })])
    cleanups.push(redirect.close, upgrade.close)
    const r1 = await runFazt(["remote", "status"], { home: await homeWithPeer(redirect.url, TOKEN) })
    expect(r1.code).toBe(7)
    expect(r1.stderr).not.toContain(TOKEN)
    const r2 = await runFazt(["remote", "upgrade", "--json"], { home: await homeWithPeer(upgrade.url, TOKEN) })
    expect(r2.code).toBe(0)
    expect(JSON.parse(r2.stdout).data.message).toBe("ok fzt_…def")
  })

  it("escape sequences in version, titles, names and messages are escaped for people, faithful in --json", async () => {
    const evilVersion = `0.29.0${ESC}]0;owned${"\x07"}${ESC}[2J`
    const evilTitle = `blog${ESC}[31m\r\nfake line\u202e`
    const health = { data: { ...HEALTHY.data, version: evilVersion } }
    // fazt's command gateway answers `app list` with {success, data} inside the envelope.
    const apps = { data: { success: true, data: [{ id: "a1", title: evilTitle, visibility: "public\x9b1m", aliases: [`al${ESC}[5m`] }] } }
    const error = { error: { code: `X${ESC}[1m`, message: `bad${ESC}[8mhidden` } }
    const peer = await scriptedPeer([(req, res) => {
      const body = req.url!.startsWith("/api/system/health") ? health : req.url!.startsWith("/api/cmd") ? apps : error
      res.writeHead(req.url!.startsWith("/api/upgrade") ? 400 : 200, { "content-type": "application/json" })
      res.end(JSON.stringify(body))
    }])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, TOKEN)
    const status = await runFazt(["remote", "status"], { home })
    expect(status.code).toBe(0)
    expect(status.stdout).not.toContain(ESC)
    expect(status.stdout).toContain("0.29.0\\x1b]0;owned\\x07\\x1b[2J")
    const list = await runFazt(["remote"], { home })
    expect(list.stdout).not.toContain(ESC)
    expect(list.stdout).toContain("\\x1b]0;owned")

    const appsHuman = await runFazt(["remote", "apps"], { home })
    expect(appsHuman.code).toBe(0)
    expect(appsHuman.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/)
    expect(appsHuman.stdout.trim().split("\n")).toHaveLength(2)
    expect(appsHuman.stdout).toContain("blog\\x1b[31m\\r\\nfake line\\u202e")
    expect(appsHuman.stdout).toContain("al\\x1b[5m")
    const appsJson = await runFazt(["remote", "apps", "--json"], { home })
    expect(appsJson.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/)
    expect(JSON.parse(appsJson.stdout).data[0]).toMatchObject({ title: evilTitle, visibility: "public\x9b1m", aliases: [`al${ESC}[5m`] })
    const statusJson = await runFazt(["remote", "status", "--json"], { home })
    expect(JSON.parse(statusJson.stdout).data.version).toBe(evilVersion)

    const upgrade = await runFazt(["remote", "upgrade"], { home })
    expect(upgrade.code).toBe(7)
    expect(upgrade.stderr).not.toContain(ESC)
    expect(upgrade.stderr).toContain("[8mhidden")
    const upgradeJson = await runFazt(["remote", "upgrade", "--json"], { home })
    expect(upgradeJson.stderr).not.toContain(ESC)
    expect(JSON.parse(upgradeJson.stderr).error.message).toContain("[8mhidden")
  })

  it("an uptime of 1e400 and other absurd numbers print sanely", async () => {
    const absurd = `{"data":{"status":"healthy","uptime_seconds":1e400,"version":"0.29.0","memory":{"used_mb":-1e400,"limit_mb":1e999}}}`
    const peer = await scriptedPeer([raw(200, absurd, { "content-type": "application/json" })])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, TOKEN)
    const r = await runFazt(["remote", "status"], { home })
    expect(r.code).toBe(0)
    expect(r.stdout).not.toMatch(/NaN|Infinity/)
    expect(r.stdout).toMatch(/healthy\s+0\.29\.0\s+\?\s+\? of \?/)
    const j = await runFazt(["remote", "status", "--json"], { home })
    expect(JSON.parse(j.stdout).data.uptime_seconds).toBeNull()
    const all = await runFazt(["remote", "status", "--all"], { home })
    expect(all.code).toBe(0)
    expect(all.stdout).not.toMatch(/NaN|Infinity/)
  })
})

describe("bounded waiting", () => {
  it("--retries has a maximum of 10: above it exit 2 before any request", async () => {
    const peer = await scriptedPeer([json(200, HEALTHY)])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, TOKEN)
    for (const n of ["11", "1000"]) {
      const r = await runFazt(["remote", "status", "--retries", n], { home })
      expect(r.code).toBe(2)
      expect(r.stderr).toContain("expected 0 to 10")
    }
    expect(peer.seen).toHaveLength(0)
    expect((await runFazt(["remote", "status", "--retries", "10"], { home })).code).toBe(0)
  })

  it("backoff between attempts never exceeds 10 s, and at most 10 retries happen", async () => {
    const failure = { kind: "refused", reason: "connection refused", _tag: "AttemptFailed" } as never
    for (const retries of [10, 50]) {
      const delays = await Effect.runPromise(
        Schedule.run(Schedule.delays(retryPolicy({ retries, backoff: "250 millis" }, "transient")), 0, Array(60).fill(failure))
      )
      // The schedule's last output is its end (a delay of 0), not a wait.
      const ms = Chunk.toReadonlyArray(delays).map(Duration.toMillis).slice(0, -1)
      expect(ms).toHaveLength(10)
      expect(Math.max(...ms)).toBeLessThanOrEqual(10_000)
      expect(ms.slice(-4).every((d) => d === 10_000)).toBe(true)
    }
  })

  it("a Retry-After longer than 30 s is not waited for: exit 7 naming the wait, one request", async () => {
    const peer = await scriptedPeer([json(429, { error: { code: "RATE_LIMIT_EXCEEDED", message: "slow down" } }, { "retry-after": "3600" })])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, TOKEN)
    const r = await runFazt(["remote", "status"], { home })
    expect(r.code).toBe(7)
    expect(r.stderr).toContain("RATE_LIMIT_EXCEEDED")
    expect(r.stderr).toContain("slow down")
    expect(r.stderr).toContain("asked to wait 60 min (Retry-After: 3600), longer than the 30 s fazt waits")
    oneCleanLine(r)
    expect(peer.seen).toHaveLength(1)
    const d = await runFazt(["remote", "status", "--json"], { home })
    expect(JSON.parse(d.stderr).error.code).toBe("PEER_API_ERROR")
  })

  it("a 503 whose Retry-After is an HTTP date a day away is not waited for either", async () => {
    const tomorrow = new Date(Date.now() + 86_400_000).toUTCString()
    const peer = await scriptedPeer([raw(503, "<html>down</html>", { "retry-after": tomorrow, "content-type": "text/html" })])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, TOKEN)
    const r = await runFazt(["remote", "status"], { home })
    expect(r.code).toBe(7)
    expect(r.stderr).toMatch(/asked to wait 2[34] h/)
    expect(peer.seen).toHaveLength(1)
  })

  it("a token stored by another tool that HTTP cannot carry → exit 2 naming set-token, nothing sent", async () => {
    const peer = await scriptedPeer([json(200, HEALTHY)])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, TOKEN)
    const Sqlite = (await import("better-sqlite3")).default
    const db = new Sqlite(clientDb(home))
    db.prepare("UPDATE peers SET token = ?").run("fzt_abc\r\nX-Injected: 1")
    db.close()
    const r = await runFazt(["remote", "status"], { home })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("fazt remote set-token p")
    expect(peer.seen).toHaveLength(0)
    expect(query<{ n: number }>(clientDb(home), "SELECT count(*) AS n FROM peers")[0]!.n).toBe(1)
  })
})

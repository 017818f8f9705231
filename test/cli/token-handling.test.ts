import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as https from "node:https"
import type * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { clientDb, homeWithPeer, runFazt, tempHome } from "../support/cli.js"
import { HEALTHY } from "../support/scriptedPeer.js"
import { query } from "../support/sqlite.js"
import Sqlite from "better-sqlite3"

// Issue 22: a token is never shown or moved quietly.

const TOKEN = "fzt_REAL0123456789abcdef0123456789ab"
const cleanups: Array<() => Promise<unknown> | void> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

describe("tokens on the command line and in errors", () => {
  it("--token warns once (suggesting --token-stdin / FAZT_TOKEN); --token-stdin and FAZT_TOKEN do not", async () => {
    const home = tempHome()
    const flag = await runFazt(["remote", "add", "a", "https://a.example", "--token", TOKEN], { home })
    expect(flag.code).toBe(0)
    expect(flag.stderr.split("\n").filter((l) => l.startsWith("warning:"))).toEqual([
      "warning: --token puts the key in your shell history and in 'ps' while fazt runs; prefer --token-stdin or FAZT_TOKEN"
    ])
    const json = await runFazt(["remote", "set-token", "a", "--token", TOKEN, "--json"], { home })
    expect(JSON.parse(json.stderr.trim().split("\n")[0]!)).toEqual({ warning: expect.stringContaining("--token-stdin") })
    const stdin = await runFazt(["remote", "add", "b", "https://b.example", "--token-stdin"], { home, stdin: TOKEN })
    expect(stdin.stderr).not.toContain("warning")
    const env = await runFazt(["remote", "add", "c", "https://c.example"], { home, env: { FAZT_TOKEN: TOKEN } })
    expect(env.stderr).not.toContain("warning")
  })

  it("a token typed where a URL or name belongs is never echoed whole, human or --json", async () => {
    const home = tempHome()
    const runs = [
      await runFazt(["remote", "add", "a", TOKEN, "--token", "x"], { home }),
      await runFazt(["remote", "add", "a", TOKEN, "--token", "x", "--json"], { home }),
      await runFazt(["remote", "add", TOKEN, "https://a.example"], { home }),
      await runFazt(["remote", "show", TOKEN], { home }),
      await runFazt(["remote", "show", TOKEN, "--json"], { home }),
      await runFazt(["remote", "add", "a", "0123456789abcdef0123456789abcdef01234567"], { home })
    ]
    for (const r of runs) {
      expect(r.code).not.toBe(0)
      expect(r.stderr).not.toContain(TOKEN.slice(4, 20))
      expect(r.stderr).not.toContain("0123456789abcdef0123456789abcdef01234567")
    }
    expect(runs[0]!.stderr).toContain("invalid URL 'fzt_…9ab'")
  })

  it("a URL password holding '/' is masked, human and --json; one stored by another tool is never listed", async () => {
    const home = tempHome()
    for (const args of [[], ["--json"]]) {
      const r = await runFazt(["remote", "add", "a", "https://user:pa/ss@host.example", ...args], { home })
      expect(r.code).toBe(2)
      expect(r.stderr).not.toContain("pa/ss")
      expect(r.stderr).toContain("https://***@host.example")
    }
    expect((await runFazt(["remote", "add", "a", "https://a.example"], { home })).code).toBe(0)
    const db = new Sqlite(clientDb(home))
    db.prepare("UPDATE peers SET url = 'https://user:s3cret@a.example'").run()
    db.close()
    for (const args of [["remote"], ["remote", "--json"], ["remote", "show", "a"], ["remote", "show", "a", "--json"]]) {
      const r = await runFazt(args, { home })
      expect(r.stdout + r.stderr).not.toContain("s3cret")
    }
  })
})

describe("set-url to another origin", () => {
  it("clears the token and says so; --keep-token keeps it; the same origin keeps it quietly", async () => {
    const home = tempHome()
    expect((await runFazt(["remote", "add", "p", "https://a.example", "--token-stdin"], { home, stdin: TOKEN })).code).toBe(0)
    const samePath = await runFazt(["remote", "set-url", "p", "https://a.example/admin"], { home })
    expect(samePath.code).toBe(0)
    expect(samePath.stderr).not.toContain("cleared")
    expect(query(clientDb(home), "SELECT token FROM peers")).toEqual([{ token: TOKEN }])

    const kept = await runFazt(["remote", "set-url", "p", "https://b.example", "--keep-token"], { home })
    expect(kept.code).toBe(0)
    expect(query(clientDb(home), "SELECT url, token FROM peers")).toEqual([{ url: "https://b.example", token: TOKEN }])

    const moved = await runFazt(["remote", "set-url", "p", "https://c.example:8443"], { home })
    expect(moved.code).toBe(0)
    expect(moved.stderr).toContain("warning: the token was cleared: it belonged to https://b.example, not https://c.example:8443")
    expect(query(clientDb(home), "SELECT url, token FROM peers")).toEqual([{ url: "https://c.example:8443", token: null }])
    const json = await runFazt(["remote", "show", "p", "--json"], { home })
    expect(JSON.parse(json.stdout).data.token).toBeNull()
  })
})

describe("certificate checks turned off", () => {
  it("NODE_TLS_REJECT_UNAUTHORIZED=0: each peer reached so says it (a JSON line under --json), not Node's generic line", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fazt-tls-"))
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"), "-days", "1", "-subj", "/CN=127.0.0.1"], { stdio: "ignore" })
    const server = https.createServer({ key: fs.readFileSync(path.join(dir, "key.pem")), cert: fs.readFileSync(path.join(dir, "cert.pem")) }, (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" })
      res.end(JSON.stringify(HEALTHY))
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    cleanups.push(() => new Promise((r) => { server.closeAllConnections(); server.close(() => r(undefined)) }))
    const port = (server.address() as net.AddressInfo).port
    const home = await homeWithPeer(`https://127.0.0.1:${port}`, TOKEN)
    const env = { NODE_TLS_REJECT_UNAUTHORIZED: "0" }
    const human = await runFazt(["remote", "status"], { home, env })
    expect(human.code).toBe(0)
    expect(human.stderr).toBe(`warning: peer 'p' (127.0.0.1:${port}) is reached without checking its TLS certificate (NODE_TLS_REJECT_UNAUTHORIZED=0): whoever is in between can read the token\n`)
    const json = await runFazt(["remote", "status", "--json"], { home, env })
    expect(json.code).toBe(0)
    const lines = json.stderr.trim().split("\n").map((l) => JSON.parse(l))
    expect(lines).toEqual([{ warning: expect.stringContaining("without checking its TLS certificate") }])
    // Checked as usual: no warning, the self-signed certificate refused.
    const checked = await runFazt(["remote", "status", "--retries", "0"], { home })
    expect(checked.code).toBe(5)
    expect(checked.stderr).not.toContain("without checking")
  })
})

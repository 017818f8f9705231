import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { clientDb, homeWithPeer, runFazt, tempHome } from "../support/cli.js"
import { getSite } from "../support/http.js"
import { nodeAndClient, startNode } from "../support/node.js"
import { spawn } from "node:child_process"
import { bin } from "../support/cli.js"
import { closedPort, HEALTHY, hang, json, type Reply, scriptedPeer } from "../support/scriptedPeer.js"
import { query } from "../support/sqlite.js"
import { until } from "../support/until.js"

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

describe("deploy says where the site lives", () => {
  it("prints http://<site>.localhost:<port>/ for the local node, and url under --json", async () => {
    const { node, client } = await nodeAndClient(cleanups)
    const dir = path.join(client, "hello")
    fs.mkdirSync(dir)
    fs.writeFileSync(path.join(dir, "index.html"), "<h1>hi</h1>")
    const url = `http://hello.localhost:${node.port}/`

    const human = await runFazt(["remote", "deploy", dir], { home: client })
    expect(human.code).toBe(0)
    expect(human.stdout.trim().split("\n")).toEqual([`Deployed hello to local: 1 file, 11 B`, url])

    const json = await runFazt(["remote", "deploy", dir, "--json"], { home: client })
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout).data.url).toBe(url)
    expect((await getSite(node.port, "hello", "/")).body.toString()).toBe("<h1>hi</h1>")
  })
})

describe("signals", () => {
  it("SIGTERM during a wait exits 143 (SIGINT stays 130), database consistent", async () => {
    const peer = await scriptedPeer([hang])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, "fzt_test_token")
    for (const [signal, code] of [["SIGTERM", 143], ["SIGINT", 130]] as const) {
      const seen = peer.seen.length
      let pid = 0
      const running = runFazt(["remote", "status"], { home, onSpawn: (p) => (pid = p) })
      await until("the peer has seen another request", () => peer.seen.length > seen)
      process.kill(pid, signal)
      const r = await running
      expect(r.code, signal).toBe(code)
      expect(r.stderr).not.toContain("error")
    }
    expect(query(clientDb(home), "PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }])
  })
})

/**
 * Runs the built CLI on a terminal: util-linux `script` gives it a pty for
 * stdin, stdout and stderr, and everything drawn arrives here as it is drawn.
 */
const onTerminal = (args: ReadonlyArray<string>, home: string, onOutput: (soFar: string) => void, before = "") =>
  new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`
    const command = [process.execPath, bin, ...args].map(quote).join(" ")
    const child = spawn("script", ["-q", "-e", "-c", before + command, "/dev/null"], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, TERM: "xterm", COLUMNS: "100" }
    })
    let output = ""
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      output += c
      onOutput(output)
    })
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, output }))
  })

describe("feedback while waiting", () => {
  it("on a terminal, a slow peer gets a live line naming it; the peer answers only once the line is seen", async () => {
    let answer: (() => void) | undefined
    let askedAt = 0
    const slow: Reply = (_req, res) => {
      askedAt = Date.now()
      answer = () => json(200, HEALTHY)(_req, res)
    }
    const peer = await scriptedPeer([slow])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, "fzt_test_token")
    let shownAfterMs = -1
    const r = await onTerminal(["remote", "status", "--timeout", "20s"], home, (soFar) => {
      if (shownAfterMs < 0 && answer !== undefined && soFar.includes(`Waiting for p (${peer.url})`)) {
        shownAfterMs = Date.now() - askedAt
        answer()
      }
    })
    expect(r.code).toBe(0)
    expect(r.output).toMatch(/\r\x1b\[2K[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Waiting for p \(http:\/\/127\.0\.0\.1:\d+\)…/)
    // The line is erased before the table is printed.
    expect(r.output).toMatch(/\r\x1b\[2KNAME +URL +STATUS/)
    console.log(`live line shown ${shownAfterMs} ms after the request reached the peer`)
    expect(shownAfterMs).toBeGreaterThanOrEqual(0)
  })

  it("--all on a terminal shows how many peers answered so far", async () => {
    let answer: (() => void) | undefined
    const slow: Reply = (req, res) => {
      answer = () => json(200, HEALTHY)(req, res)
    }
    const fast = await scriptedPeer([json(200, HEALTHY)])
    const lagging = await scriptedPeer([slow])
    cleanups.push(fast.close, lagging.close)
    const home = tempHome()
    for (const [name, url] of [["a", fast.url], ["b", fast.url], ["c", lagging.url]] as const) {
      await runFazt(["remote", "add", name, url, "--token", "fzt_t"], { home })
    }
    const r = await onTerminal(["remote", "status", "--all", "--timeout", "20s"], home, (soFar) => {
      if (answer !== undefined && soFar.includes("Waiting for peers: 2/3 done")) {
        answer()
        answer = undefined
      }
    })
    expect(r.code).toBe(0)
    expect(r.output).toContain("Waiting for peers: 2/3 done")
  })

  it("a 429 with Retry-After is announced on a terminal and off it; nothing animated off a terminal", async () => {
    const limited = json(429, { error: { code: "RATE_LIMIT_EXCEEDED", message: "slow down" } }, { "retry-after": "1" })
    // Each run meets one 429, then a healthy answer.
    const peer = await scriptedPeer([limited, json(200, HEALTHY), limited, json(200, HEALTHY), limited, json(200, HEALTHY)])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, "fzt_test_token")
    const tty = await onTerminal(["remote", "status"], home, () => {})
    expect(tty.code).toBe(0)
    expect(tty.output).toContain("p: HTTP 429, retrying in 1 s (1/3)")

    const piped = await runFazt(["remote", "status"], { home })
    expect(piped.code).toBe(0)
    expect(piped.stderr).toBe("p: HTTP 429, retrying in 1 s (1/3)\n")
    expect(piped.stderr).not.toContain("\x1b")

    const jsonRun = await runFazt(["remote", "status", "--json"], { home })
    expect(jsonRun.code).toBe(0)
    expect(JSON.parse(jsonRun.stderr)).toEqual({ retry: { peer: "p", reason: "HTTP 429", delay_ms: 1000, attempt: 1, retries: 3 } })
  })
})

describe("status --all for scripts", () => {
  it("exits with the lowest code among the failures whatever their order; --json: one stdout document, only JSON lines on stderr", async () => {
    const healthy = await scriptedPeer([json(200, HEALTHY)])
    const refusing = await scriptedPeer([json(401, { error: { code: "INVALID_API_KEY", message: "bad key" } })])
    const broken = await scriptedPeer([json(500, { error: { code: "INTERNAL", message: "boom" } })])
    for (const p of [healthy, refusing, broken]) cleanups.push(p.close)
    const dead = await closedPort()
    const home = tempHome()
    const add = (name: string, url: string) => runFazt(["remote", "add", name, url, "--token", "fzt_t"], { home })
    // Names put the worse failures last, so the order of rows cannot be what decides.
    await add("a-ok", healthy.url)
    await add("b-error", broken.url)
    await add("c-unauthorized", refusing.url)
    const mixed = await runFazt(["remote", "status", "--all", "--retries", "0"], { home })
    expect(mixed.code).toBe(6)
    expect(mixed.stdout).toMatch(/^NAME/)
    expect(mixed.stderr.trim().split("\n")).toHaveLength(2)
    await add("d-unreachable", `http://127.0.0.1:${dead}`)
    const all = await runFazt(["remote", "status", "--all", "--retries", "0", "--json"], { home })
    expect(all.code).toBe(5)
    const doc = JSON.parse(all.stdout)
    expect(all.stdout.trim().split("\n")).toHaveLength(1)
    expect(doc.data.map((r: { name: string; status: string }) => `${r.name}:${r.status}`)).toEqual([
      "a-ok:healthy", "b-error:error", "c-unauthorized:unauthorized", "d-unreachable:unreachable"
    ])
    const lines = all.stderr.trim().split("\n")
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow()
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0]!).error.code).toBe("PEER_UNREACHABLE")
  })
})

describe("small things", () => {
  it("add without a token warns; removing the default says what is left", async () => {
    const home = tempHome()
    const add = await runFazt(["remote", "add", "a", "https://a.example"], { home })
    expect(add.code).toBe(0)
    expect(add.stderr).toContain("warning: no token stored for 'a'")
    expect(add.stderr).toContain("fazt remote set-token a --token-stdin")
    const withToken = await runFazt(["remote", "add", "b", "https://b.example", "--token-stdin"], { home, stdin: "fzt_x" })
    expect(withToken.stderr).not.toContain("warning")
    await runFazt(["remote", "add", "c", "https://c.example", "--token-stdin"], { home, stdin: "fzt_x" })
    const removed = await runFazt(["remote", "rm", "a"], { home })
    expect(removed.code).toBe(0)
    expect(removed.stderr).toContain("Removed peer 'a' (it was the default)")
    expect(removed.stderr).toContain("No default peer is left: choose one with 'fazt remote default <name>'")
    expect(query(clientDb(home), "SELECT count(*) AS n FROM peers WHERE is_default = 1")).toEqual([{ n: 0 }])
    await runFazt(["remote", "default", "b"], { home })
    const last = await runFazt(["remote", "remove", "b"], { home })
    expect(last.stderr).toContain("'c' is the only peer left, so it is the default")
  })

  it("server start without keys says so and how to make one, and prints the URL to add; upgrade --check is a sentence", async () => {
    const home = tempHome()
    const db = path.join(home, "node.db")
    const node = await startNode({ db, home })
    cleanups.push(() => node.stop())
    await until("the node has printed its hint", () => node.stderr().includes("fazt remote add local"))
    expect(node.stderr()).toContain("This node has no API keys yet")
    expect(node.stderr()).toContain(`fazt server create-key --name laptop | fazt remote add local ${node.url} --token-stdin`)
    const token = (await runFazt(["server", "create-key", "--name", "t", "--db", db], { home })).stdout.trim()
    const client = await homeWithPeer(node.url, token)
    const check = await runFazt(["remote", "upgrade", "--check"], { home: client })
    expect(check.code).toBe(0)
    // The node has no release channel: already_latest, never check_only (issue 10).
    expect(check.stdout).toMatch(/^p runs fazt \S+; nothing was checked: this node runs fazt remote \S+ and has no release channel to check\n$/)
    expect(check.stdout).not.toContain("?")
  })
})

describe("tables", () => {
  it("fit a terminal's width with …, and print full values when piped or with --json", async () => {
    const home = tempHome()
    const long = "https://admin.a-rather-long-domain-name-for-a-fazt-node.example.com"
    await runFazt(["remote", "add", "zyt", long, "--token", "fzt_t"], { home })
    const tty = await onTerminal(["remote"], home, () => {}, "stty cols 60; ")
    expect(tty.code).toBe(0)
    const lines = tty.output.split(/\r?\n/).filter((l) => l.includes("zyt") || l.includes("NAME"))
    expect(lines.length).toBeGreaterThanOrEqual(2)
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(60)
    expect(tty.output).toContain("…")
    const piped = await runFazt(["remote"], { home })
    expect(piped.stdout).toContain(long)
    expect(JSON.parse((await runFazt(["remote", "--json"], { home })).stdout).data[0].url).toBe(long)
  })
})

describe("a deploy over the node's upload limit", () => {
  it("is 'too large', exit 7, after one attempt (the node's early 413 wins over the reset that follows)", async () => {
    const home = tempHome()
    const db = path.join(home, "node.db")
    const token = (await runFazt(["server", "create-key", "--name", "big", "--db", db], { home })).stdout.trim()
    const node = await startNode({ db, home, args: ["--max-upload", "1MB"] })
    cleanups.push(() => node.stop())
    const client = await homeWithPeer(node.url, token)
    const dir = path.join(client, "big")
    fs.mkdirSync(dir)
    // Random bytes are stored, not deflated: the upload is about 8 MB.
    fs.writeFileSync(path.join(dir, "blob.bin"), randomBytes(8 * 1024 * 1024))
    const r = await runFazt(["remote", "deploy", dir], { home: client })
    expect(r.code).toBe(7)
    expect(r.stderr).toContain("HTTP 413 PAYLOAD_TOO_LARGE")
    expect(r.stderr).toContain("too large")
    // The limit as it was given (issue 24), not 1048576 bytes.
    expect(r.stderr).toContain("limit of 1 MB (its --max-upload)")
    expect(r.stderr).not.toContain("retrying")
    expect(r.stderr).not.toContain("unreachable")
    // Health is what STATUS shows: a refused deploy does not make the peer look broken.
    expect(query(clientDb(client), "SELECT last_status FROM peers")).not.toEqual([{ last_status: "unreachable" }])
  })
})

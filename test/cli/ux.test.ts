import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { clientDb, homeWithPeer, runFazt, tempHome } from "../support/cli.js"
import { getSite } from "../support/http.js"
import { startNode } from "../support/node.js"
import { spawn } from "node:child_process"
import { bin } from "../support/cli.js"
import { HEALTHY, hang, json, type Reply, scriptedPeer } from "../support/scriptedPeer.js"
import { query } from "../support/sqlite.js"

const until = async (ready: () => boolean) => {
  for (let i = 0; i < 1000 && !ready(); i++) await new Promise((r) => setTimeout(r, 10))
  expect(ready()).toBe(true)
}

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

/** A node with one key, and a client HOME whose only peer `local` is that node. */
const nodeAndClient = async () => {
  const home = tempHome()
  const db = path.join(home, "node.db")
  const token = (await runFazt(["server", "create-key", "--name", "ux", "--db", db], { home })).stdout.trim()
  const node = await startNode({ db, home })
  cleanups.push(() => node.stop())
  const client = tempHome()
  await runFazt(["remote", "add", "local", node.url, "--token-stdin"], { home: client, stdin: token })
  return { node, client }
}

describe("deploy says where the site lives", () => {
  it("prints http://<site>.localhost:<port>/ for the local node, and url under --json", async () => {
    const { node, client } = await nodeAndClient()
    const dir = path.join(client, "hello")
    fs.mkdirSync(dir)
    fs.writeFileSync(path.join(dir, "index.html"), "<h1>hi</h1>")
    const url = `http://hello.localhost:${node.port}/`

    const human = await runFazt(["remote", "deploy", dir], { home: client })
    expect(human.code).toBe(0)
    expect(human.stdout.trim().split("\n")).toEqual([`Deployed hello to local: 1 files, 11 B`, url])

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
      await until(() => peer.seen.length > seen)
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
const onTerminal = (args: ReadonlyArray<string>, home: string, onOutput: (soFar: string) => void) =>
  new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`
    const command = [process.execPath, bin, ...args].map(quote).join(" ")
    const child = spawn("script", ["-q", "-e", "-c", command, "/dev/null"], {
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

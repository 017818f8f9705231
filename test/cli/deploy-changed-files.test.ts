import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import type * as http from "node:http"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { homeWithPeer, runFazt } from "../support/cli.js"
import { loopbackServer } from "../support/scriptedPeer.js"

// Issue 22: a deploy sends only the folder's files as they were scanned. Between
// a 503 and its retry, the test's peer swaps a file; the retry rebuilds the zip
// and must refuse what it opens when it is not what the scan saw.

const TOKEN = "fzt_changed_files_0123456789abcdef"
const SECRET = "THE-SECRET-THAT-MUST-NOT-SHIP"
const cleanups: Array<() => Promise<unknown> | void> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

const DEPLOYED = { data: { site: "site", file_count: 2, size_bytes: 10, message: "Deployment successful" } }

/**
 * A peer that answers the first deploy 503 (Retry-After: 1) after calling
 * `swap`, and every later one 200; it keeps every body it was sent.
 */
const swappingPeer = async (swap: () => void) => {
  const bodies: Array<Buffer> = []
  let count = 0
  const server = await loopbackServer((req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Array<Buffer> = []
    const n = count++
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("error", () => {})
    const finish = () => {
      bodies.push(Buffer.concat(chunks))
      if (n === 0) {
        swap()
        res.writeHead(503, { "content-type": "application/json", "retry-after": "1" })
        res.end(JSON.stringify({ error: { code: "UNAVAILABLE", message: "busy" } }))
      } else {
        res.writeHead(200, { "content-type": "application/json" })
        res.end(JSON.stringify(DEPLOYED))
      }
    }
    req.on("end", finish)
    req.on("aborted", () => bodies.push(Buffer.concat(chunks)))
  })
  cleanups.push(server.close)
  return { ...server, bodies }
}

const site = (home: string, files: Record<string, string | Buffer>) => {
  const dir = path.join(home, "site")
  fs.mkdirSync(dir)
  for (const [rel, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, rel), content)
  fs.writeFileSync(path.join(home, "secret.txt"), SECRET)
  return dir
}

describe("a file changed between the scan and the retried upload", () => {
  it("swapped for a symlink to ../secret.txt → exit 2 naming it ('file changed as we read it'); the secret is never sent", async () => {
    let dir = ""
    const peer = await swappingPeer(() => {
      fs.rmSync(path.join(dir, "page.html"))
      fs.symlinkSync(path.join(dir, "..", "secret.txt"), path.join(dir, "page.html"))
    })
    const home = await homeWithPeer(peer.url, TOKEN)
    dir = site(home, { "index.html": "<h1>hi</h1>", "page.html": "plain page, stored not deflated" })
    const r = await runFazt(["remote", "deploy", dir], { home, killAfterMs: 20_000 })
    expect(r.signal).toBeNull()
    expect(r.stderr).toContain("page.html")
    expect(r.stderr).toContain("file changed as we read it")
    expect(r.code).toBe(2)
    expect(peer.bodies.length).toBeGreaterThanOrEqual(1)
    for (const body of peer.bodies) expect(body.includes(SECRET)).toBe(false)
  })

  it("swapped for a FIFO → exit 2 at once, never a blocked open() that ignores --timeout and Ctrl-C", async () => {
    let dir = ""
    const peer = await swappingPeer(() => {
      fs.rmSync(path.join(dir, "page.html"))
      execFileSync("mkfifo", [path.join(dir, "page.html")])
    })
    const home = await homeWithPeer(peer.url, TOKEN)
    dir = site(home, { "index.html": "<h1>hi</h1>", "page.html": "page" })
    const r = await runFazt(["remote", "deploy", dir, "--timeout", "5s"], { home, killAfterMs: 20_000 })
    expect(r.signal).toBeNull()
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("cannot zip page.html: file changed as we read it: it is no longer a regular file")
  })

  it("truncated from 20 MB to 1 MB → exit 2 naming it, never uploaded short with exit 0", async () => {
    let dir = ""
    const peer = await swappingPeer(() => fs.truncateSync(path.join(dir, "big.bin"), 1024 * 1024))
    const home = await homeWithPeer(peer.url, TOKEN)
    dir = site(home, { "index.html": "<h1>hi</h1>", "big.bin": Buffer.alloc(20 * 1024 * 1024, 0x61) })
    const r = await runFazt(["remote", "deploy", dir], { home, killAfterMs: 30_000 })
    expect(r.stderr).toContain("cannot zip big.bin: file changed as we read it: it shrank from 20971520 to 1048576 bytes")
    expect(r.code).toBe(2)
  })

  it("replaced by another file of the same size (a rename over it) → exit 2 naming it", async () => {
    let dir = ""
    const peer = await swappingPeer(() => {
      fs.writeFileSync(path.join(dir, "other"), "page")
      fs.renameSync(path.join(dir, "other"), path.join(dir, "page.html"))
    })
    const home = await homeWithPeer(peer.url, TOKEN)
    dir = site(home, { "index.html": "<h1>hi</h1>", "page.html": "page" })
    const r = await runFazt(["remote", "deploy", dir], { home, killAfterMs: 20_000 })
    expect(r.stderr).toContain("cannot zip page.html: file changed as we read it: it was replaced by another file")
    expect(r.code).toBe(2)
  })

  it("Ctrl-C while the retry waits, after the file became a FIFO → exit 130 at once", async () => {
    let dir = ""
    let swapped = false
    const peer = await swappingPeer(() => {
      fs.rmSync(path.join(dir, "page.html"))
      execFileSync("mkfifo", [path.join(dir, "page.html")])
      swapped = true
    })
    const home = await homeWithPeer(peer.url, TOKEN)
    dir = site(home, { "index.html": "<h1>hi</h1>", "page.html": "page" })
    let pid = 0
    const running = runFazt(["remote", "deploy", dir], { home, killAfterMs: 20_000, onSpawn: (p) => (pid = p) })
    for (let i = 0; i < 1000 && !swapped; i++) await new Promise((r) => setTimeout(r, 10))
    process.kill(pid, "SIGINT")
    const r = await running
    expect(r.signal).toBeNull()
    expect(r.code).toBe(130)
  })
})

import Sqlite from "better-sqlite3"
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { bin, clientDb, runFazt, tempHome } from "../support/cli.js"

// The CLI writes its output by file descriptor (src/commands/stdio.ts), not
// through process.stdout: these are the cases where that could lose or
// reorder bytes, or turn a gone reader into a failure.

/** A HOME with `count` peers, written straight into the table (adding 2,000 through the CLI would take minutes). */
const homeWithPeers = async (count: number): Promise<string> => {
  const home = tempHome()
  const added = await runFazt(["remote", "add", "first", "https://first.example"], { home })
  expect(added.code).toBe(0)
  const db = new Sqlite(clientDb(home))
  const insert = db.prepare("INSERT INTO peers (name, url, description) VALUES (?, ?, ?)")
  db.transaction(() => {
    for (let i = 0; i < count; i++) insert.run(`peer-${String(i).padStart(5, "0")}`, `https://peer-${i}.example`, "x".repeat(40))
  })()
  db.close()
  return home
}

const env = (home: string) => ({ PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home })

describe("output by file descriptor", () => {
  it("a listing far larger than a pipe holds, to a slow reader, after something made the pipe non-blocking: every byte arrives, in order, exit 0", async () => {
    const home = await homeWithPeers(2000)
    const expected = spawnSync(process.execPath, [bin, "remote", "--json"], { env: env(home), encoding: "utf8" })
    expect(expected.status).toBe(0)
    expect(expected.stdout.length).toBeGreaterThan(256 * 1024)

    // Creating Node's process.stdout for a pipe (any code that touches it
    // does) makes the pipe non-blocking: a write the pipe cannot take then
    // fails with EAGAIN instead of waiting, and the rest must still arrive.
    const preload = path.join(home, "touch-stdout.cjs")
    fs.writeFileSync(preload, "process.stdout\n")
    const fifo = path.join(home, "out.fifo")
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0)
    const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
    const writer = fs.openSync(fifo, fs.constants.O_WRONLY)
    const child = spawn(process.execPath, [bin, "remote", "--json"], {
      env: { ...env(home), NODE_OPTIONS: `--require ${preload}` },
      stdio: ["ignore", writer, "pipe"]
    })
    fs.closeSync(writer)
    let stderr = ""
    child.stderr!.setEncoding("utf8").on("data", (c) => (stderr += c))
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))

    // Drain 16 KiB every 5 ms until the CLI has exited and the pipe is empty.
    const chunks: Array<Buffer> = []
    let code: number | null | undefined
    void exited.then((c) => (code = c))
    for (;;) {
      const buffer = Buffer.alloc(16 * 1024)
      let n = 0
      try {
        n = fs.readSync(reader, buffer)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e
      }
      if (n > 0) chunks.push(buffer.subarray(0, n))
      else if (code !== undefined) break
      await new Promise((r) => setTimeout(r, 5))
    }
    fs.closeSync(reader)
    expect(code).toBe(0)
    expect(stderr).toBe("")
    expect(Buffer.concat(chunks).toString("utf8")).toBe(expected.stdout)
  }, 60_000)

  it("a reader that has gone (EPIPE): exit 0, no stack trace, nothing on stderr", async () => {
    const home = await homeWithPeers(2000)
    const child = spawn(process.execPath, [bin, "remote"], { env: env(home), stdio: ["ignore", "pipe", "pipe"] })
    let stderr = ""
    child.stderr.setEncoding("utf8").on("data", (c) => (stderr += c))
    // The read end is closed before the CLI writes, as `fazt remote | true` does.
    child.stdout.destroy()
    const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)))
    expect(code).toBe(0)
    expect(stderr).toBe("")
  }, 60_000)
})

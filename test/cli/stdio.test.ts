import Sqlite from "better-sqlite3"
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as http from "node:http"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { bin, clientDb, homeWithPeer, runFazt, tempHome } from "../support/cli.js"
import { closedPort, HEALTHY, loopbackServer } from "../support/scriptedPeer.js"

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
    const r = await intoFifo(home, ["remote", "--json"], { env: { NODE_OPTIONS: `--require ${preload}` } })
    expect(r.code).toBe(0)
    expect(r.stderr).toBe("")
    expect(r.stdout).toBe(expected.stdout)
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

/** Whether a process sleeps in the kernel (Linux) in a write that waits for a full pipe (`pipe_write`, `anon_pipe_write`). */
const waitsOnPipe = (pid: number): boolean => /pipe_write$/.test(waitChannel(pid))
const waitChannel = (pid: number): string => {
  try {
    return fs.readFileSync(`/proc/${pid}/wchan`, "utf8")
  } catch {
    return ""
  }
}

/**
 * Runs the CLI with stdout into a FIFO that the test reads only when `read`
 * says so; returns every byte it wrote and its exit code.
 */
const intoFifo = async (
  home: string,
  args: ReadonlyArray<string>,
  options: { readonly env?: Record<string, string>; readonly whileRunning?: (pid: number) => Promise<void> }
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> => {
  const fifo = path.join(home, `out-${Math.random().toString(36).slice(2)}.fifo`)
  expect(spawnSync("mkfifo", [fifo]).status).toBe(0)
  const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
  const writer = fs.openSync(fifo, fs.constants.O_WRONLY)
  const child = spawn(process.execPath, [bin, ...args], { env: { ...env(home), ...options.env }, stdio: ["ignore", writer, "pipe"] })
  fs.closeSync(writer)
  let stderr = ""
  child.stderr!.setEncoding("utf8").on("data", (c) => (stderr += c))
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined
  const exited = new Promise<void>((resolve) => child.on("close", (code, signal) => resolve(void (exit = { code, signal }))))
  await options.whileRunning?.(child.pid!)
  // Drain 16 KiB every 5 ms until the CLI has exited and the pipe is empty.
  const chunks: Array<Buffer> = []
  for (;;) {
    const buffer = Buffer.alloc(16 * 1024)
    let n = 0
    try {
      n = fs.readSync(reader, buffer)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e
    }
    if (n > 0) chunks.push(buffer.subarray(0, n))
    else if (exit !== undefined) break
    await new Promise((r) => setTimeout(r, 5))
  }
  await exited
  fs.closeSync(reader)
  return { ...exit!, stdout: Buffer.concat(chunks).toString("utf8"), stderr }
}

describe("output by file descriptor: exit codes", () => {
  it("a failing command's output, far larger than a pipe holds, into a pipe made non-blocking and read slowly: arrives whole, with the command's exit code", async () => {
    const home = await homeWithPeers(2000)
    // Stored URLs no command can use: `status --all` asks nobody, reports every peer and exits 2.
    const db = new Sqlite(clientDb(home))
    db.prepare("UPDATE peers SET url = 'ftp://' || name").run()
    db.close()
    const preload = path.join(home, "touch-stdout.cjs")
    fs.writeFileSync(preload, "process.stdout\n")
    const r = await intoFifo(home, ["remote", "status", "--all", "--json"], { env: { NODE_OPTIONS: `--require ${preload}` } })
    expect(r.code).toBe(2)
    expect(r.stdout.length).toBeGreaterThan(256 * 1024)
    const document = JSON.parse(r.stdout) as { data: Array<{ name: string }> }
    expect(document.data).toHaveLength(2001)
    expect(r.stderr).toContain('"code":"INVALID_PEER_URL"')
  }, 60_000)

  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    it(`${signal} while a write waits for a full pipe: exit ${code} once the write is done, not 0`, async () => {
      const home = await homeWithPeers(2000)
      const r = await intoFifo(home, ["remote", "--json"], {
        whileRunning: async (pid) => {
          for (let i = 0; i < 3000 && !waitsOnPipe(pid); i++) await new Promise((r) => setTimeout(r, 10))
          expect(waitChannel(pid)).toMatch(/pipe_write$/)
          process.kill(pid, signal)
        }
      })
      expect(r.signal).toBeNull()
      expect(r.code).toBe(code)
      expect(r.stderr).toBe("")
    }, 60_000)
  }
})

// util-linux's `script` runs a command on a pseudo-terminal: the only way to see the live line.
const hasScript = spawnSync("script", ["--version"]).status === 0
const quote = (word: string) => `'${word.replace(/'/g, "'\\''")}'`

describe.skipIf(!hasScript)("on a terminal", () => {
  it("a log line written while the live line shows goes above it, never after its text", async () => {
    // Answers after 1.5 s: the live line shows from 0.3 s, and the '← 200' debug line is logged under it.
    const peer = await loopbackServer((req, res) => {
      req.resume()
      setTimeout(() => {
        res.writeHead(200, { "content-type": "application/json" })
        res.end(JSON.stringify(HEALTHY))
      }, 1500)
    })
    try {
      const home = await homeWithPeer(peer.url, `fzt_${"a".repeat(64)}`)
      const command = [process.execPath, bin, "--log-level", "debug", "remote", "status", "p"].map(quote).join(" ")
      const child = spawn("script", ["-qec", command, "/dev/null"], { env: env(home), stdio: ["ignore", "pipe", "pipe"] })
      let transcript = ""
      child.stdout!.setEncoding("utf8").on("data", (c) => (transcript += c))
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve))
      expect(code).toBe(0)
      expect(transcript).toContain("Waiting for p")
      expect(transcript).toContain("DEBUG ← 200")
      // What a terminal shows on one line: text between line feeds and the live line's erasures.
      const lines = transcript.split(/\r\x1b\[2K|\r?\n/)
      expect(lines.filter((line) => line.includes("Waiting for") && line.includes("DEBUG"))).toEqual([])
    } finally {
      await peer.close()
    }
  }, 60_000)
})

describe("a node's output", () => {
  it("a node whose stderr reader has stalled (the pipe full before it starts) still answers; its lines arrive once read", async () => {
    const home = tempHome()
    const port = await closedPort()
    const fifo = path.join(home, "log.fifo")
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0)
    const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
    // Fill the pipe, as a log reader that stopped reading leaves it.
    const filler = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)
    let filled = 0
    try {
      for (;;) filled += fs.writeSync(filler, Buffer.alloc(4096, "x"))
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e
    }
    fs.closeSync(filler)
    expect(filled).toBeGreaterThan(0)
    const writer = fs.openSync(fifo, fs.constants.O_WRONLY)
    const child = spawn(process.execPath, [bin, "server", "start", "--port", String(port), "--db", path.join(home, "node.db")], {
      env: env(home),
      cwd: home,
      stdio: ["ignore", "ignore", writer]
    })
    fs.closeSync(writer)
    const exited = new Promise<void>((resolve) => child.on("close", () => resolve()))
    try {
      const ask = () =>
        new Promise<number | undefined>((resolve) => {
          const request = http.get({ host: "127.0.0.1", port, path: "/api/system/health", timeout: 2000 }, (res) => {
            res.resume()
            resolve(res.statusCode)
          })
          request.on("timeout", () => request.destroy())
          request.on("error", () => resolve(undefined))
        })
      let status: number | undefined
      for (let i = 0; i < 15 && status === undefined; i++) {
        status = await ask()
        if (status === undefined) await new Promise((r) => setTimeout(r, 200))
      }
      expect(status).toBeTypeOf("number")
      // Reading the pipe lets the queued lines out.
      let text = ""
      for (let i = 0; i < 500 && !text.includes("listening on"); i++) {
        const buffer = Buffer.alloc(64 * 1024)
        try {
          text += buffer.subarray(0, fs.readSync(reader, buffer)).toString("utf8")
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e
          await new Promise((r) => setTimeout(r, 10))
        }
      }
      expect(text).toContain(`fazt node`)
      expect(text).toContain(`listening on http://127.0.0.1:${port}`)
    } finally {
      // SIGKILL: a node stuck in a write would not hear SIGTERM.
      child.kill("SIGKILL")
      await exited
      fs.closeSync(reader)
    }
  }, 60_000)
})

// Shared helpers for the benchmarks: loopback servers, timing, peak RSS.
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as http from "node:http"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export const root = fileURLToPath(new URL("../", import.meta.url))
export const bin = path.join(root, "bin", "fazt.cjs")

export const tempDir = (prefix) => fs.mkdtempSync(path.join(os.tmpdir(), `fazt-bench-${prefix}-`))

/** A fazt-like health endpoint on 127.0.0.1 that answers after `delayMs`. */
export const slowPeer = async (delayMs) => {
  const server = http.createServer((req, res) => {
    req.resume()
    setTimeout(() => {
      res.writeHead(200, { "content-type": "application/json" })
      res.end(JSON.stringify({ data: { status: "healthy", uptime_seconds: 100, version: "0.29.0", memory: { used_mb: 10, limit_mb: 100 } } }))
    }, delayMs)
  })
  await new Promise((r) => server.listen(0, "127.0.0.1", r))
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r) }) }
}

/**
 * Runs a command, returning wall time in ms, exit code, and (from
 * /usr/bin/time when present) peak RSS in KiB and CPU time (user + sys) in ms:
 * the figure a loaded machine disturbs least.
 */
export const timed = (command, args, options = {}) =>
  new Promise((resolve, reject) => {
    const useTime = fs.existsSync("/usr/bin/time")
    const started = process.hrtime.bigint()
    const child = spawn(useTime ? "/usr/bin/time" : command, useTime ? ["-f", "%M %U %S", command, ...args] : args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    let stdout = ""
    child.stdout.on("data", (c) => (stdout += c))
    child.stderr.on("data", (c) => (stderr += c))
    child.on("error", reject)
    child.on("close", (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      const lines = stderr.trim().split("\n")
      const [rss, user, sys] = useTime ? lines[lines.length - 1].split(" ").map(Number) : []
      const rssKiB = useTime ? rss : NaN
      const cpuMs = useTime ? (user + sys) * 1000 : NaN
      resolve({ ms, code, rssKiB, cpuMs, stdout, stderr })
    })
  })

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

export const fazt = (args, home, extraEnv = {}) =>
  timed(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH, HOME: home, ...extraEnv } })

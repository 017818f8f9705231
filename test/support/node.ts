import { type ChildProcess, spawn } from "node:child_process"
import { bin } from "./cli.js"

export interface RunningNode {
  readonly url: string
  readonly port: number
  readonly process: ChildProcess
  readonly stderr: () => string
  readonly stop: (signal?: NodeJS.Signals) => Promise<number | null>
}

/** Starts the project's own `fazt server start` on a free loopback port. */
export const startNode = (options: {
  readonly db: string
  readonly home: string
  readonly args?: ReadonlyArray<string>
  readonly env?: Record<string, string>
}): Promise<RunningNode> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [bin, "server", "start", "--port", "0", "--db", options.db, ...(options.args ?? [])],
      { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: options.home, ...options.env }, cwd: options.home }
    )
    let stderr = ""
    const timer = setTimeout(() => reject(new Error(`node did not start: ${stderr}`)), 15_000)
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      stderr += c
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr)
      if (m) {
        clearTimeout(timer)
        const port = Number(m[1])
        resolve({
          url: `http://127.0.0.1:${port}`,
          port,
          process: child,
          stderr: () => stderr,
          stop: (signal = "SIGTERM") =>
            new Promise((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done(child.exitCode)
              child.once("exit", (code) => done(code))
              child.kill(signal)
            })
        })
      }
    })
    child.on("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`node exited with ${code}: ${stderr}`))
    })
  })

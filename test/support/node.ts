import { type ChildProcess, spawn } from "node:child_process"
import * as path from "node:path"
import { bin, runFazt, tempHome } from "./cli.js"

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

/**
 * A node with one API key made by `create-key`, and a client HOME whose only
 * (so default) peer `local` is that node. `cleanups` gets the node's stop.
 */
export const nodeAndClient = async (
  cleanups: Array<() => Promise<unknown>>,
  nodeArgs: ReadonlyArray<string> = []
) => {
  const home = tempHome()
  const db = path.join(home, "node.db")
  const token = (await runFazt(["server", "create-key", "--name", "test", "--db", db], { home })).stdout.trim()
  const node = await startNode({ db, home, args: nodeArgs })
  cleanups.push(() => node.stop())
  const client = tempHome()
  await runFazt(["remote", "add", "local", node.url, "--token-stdin"], { home: client, stdin: token })
  return { home, db, token, node, client }
}

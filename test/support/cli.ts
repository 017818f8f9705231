import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export const root = fileURLToPath(new URL("../../", import.meta.url))
export const bin = path.join(root, "bin", "fazt.cjs")
// A real fazt v0.29.0 data.db and an old-style ~/.fazt/config.json, kept here so a clone tests on its own.
export const fixtures = path.join(root, "test", "fixtures")
export const FIXTURE_DB = path.join(fixtures, "fazt-v0.29.0-data.db")
export const FIXTURE_CONFIG = path.join(fixtures, "legacy-config.json")
export const FIXTURE_KEY = "fzt_fixture_laptop_3b1f0c9e5d7a4b2c8e6f1a0d9c7b5e3f"

export interface RunResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** A throwaway HOME with nothing in it. */
export const tempHome = (): string => fs.mkdtempSync(path.join(os.tmpdir(), "fazt-home-"))

export interface RunOptions {
  readonly home: string
  readonly env?: Record<string, string | undefined>
  readonly stdin?: string
  readonly cwd?: string
  /** Kill the process after this many ms (SIGKILL). */
  readonly killAfterMs?: number
  /** Shell commands run before exec'ing the CLI (e.g. `ulimit -f 40;`). */
  readonly shellPrefix?: string
  /** Run as this user and group (the tests run as root; a read-only file needs someone else). */
  readonly uid?: number
  /** Called with the child's pid once it runs. */
  readonly onSpawn?: (pid: number) => void
}

/**
 * Where the launcher keeps its code caches during the tests (bin/fazt.cjs):
 * one folder for every run, as one user's ~/.cache would be, so that a
 * throwaway HOME neither compiles the bundle afresh nor gains a .cache folder.
 */
export const TEST_CODE_CACHE = path.join(os.tmpdir(), "fazt-test-code-cache")

/** Runs the built CLI as a user would, with only HOME/PATH (and the shared code cache) from this process. */
export const runFazt = (args: ReadonlyArray<string>, options: RunOptions): Promise<RunResult> =>
  new Promise((resolve, reject) => {
    const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: options.home, XDG_CACHE_HOME: TEST_CODE_CACHE }
    for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env[k] = v
    const as = options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }
    const child = options.shellPrefix === undefined
      ? spawn(process.execPath, [bin, ...args], { env, cwd: options.cwd ?? options.home, ...as })
      : spawn("sh", ["-c", `${options.shellPrefix} exec "$0" "$@"`, process.execPath, bin, ...args], { env, cwd: options.cwd ?? options.home, ...as })
    if (child.pid !== undefined) options.onSpawn?.(child.pid)

    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (c) => (stdout += c))
    child.stderr.setEncoding("utf8").on("data", (c) => (stderr += c))
    child.on("error", reject)
    // A CLI that stops reading early (a refused flood on stdin) must not fail the test with EPIPE.
    child.stdin.on("error", () => {})
    if (options.stdin !== undefined) child.stdin.end(options.stdin)
    else child.stdin.end()
    const timer = options.killAfterMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), options.killAfterMs)
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })

/** The client database for a HOME: fazt v0.29's own ~/.fazt/data.db. */
export const clientDb = (home: string) => path.join(home, ".fazt", "data.db")

/** A throwaway HOME whose only peer, `p`, is at `url` with `token` (given on stdin). */
export const homeWithPeer = async (url: string, token: string): Promise<string> => {
  const home = tempHome()
  const r = await runFazt(["remote", "add", "p", url, "--token-stdin"], { home, stdin: token })
  if (r.code !== 0) throw new Error(`could not add the peer: ${r.stderr}`)
  return home
}

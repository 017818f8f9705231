import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { BuildFailed, InvalidFolder } from "../../domain/errors.js"
import { BUILD_OUTPUTS, type BuildOptions, type BuildOutcome, type BuildPlan, type PackageManagerName, SiteBuild } from "./SiteBuild.js"

// The build step of fazt v0.29's `app deploy` (internal/build/build.go and
// pkgmgr.go): a `build` script in package.json; the package manager its lock
// file names, else the first on PATH (bun, pnpm, yarn, npm); `install` when
// node_modules is missing; `run build`; the first of dist/, build/, out/,
// .output/ holding an index.html or manifest.json. With no package manager,
// an output already built ships.

const MANAGERS: ReadonlyArray<{ readonly name: PackageManagerName; readonly lockFiles: ReadonlyArray<string> }> = [
  // fazt looks for bun.lockb only; bun.lock is bun's text lock file since 1.2.
  { name: "bun", lockFiles: ["bun.lockb", "bun.lock"] },
  { name: "pnpm", lockFiles: ["pnpm-lock.yaml"] },
  { name: "yarn", lockFiles: ["yarn.lock"] },
  { name: "npm", lockFiles: ["package-lock.json"] }
]

/** Lines kept for a failure's message; the whole output (up to `KEPT_LINES`) is the command's to show. */
const LAST_LINES = 20
const LONGEST_LINE = 2000

const isFile = (p: string) => {
  try {
    return fs.statSync(p).isFile()
  } catch {
    return false
  }
}

/** The `build` script of `folder/package.json`, or null (no file, not JSON, no script). */
const buildScript = (folder: string): string | null => {
  let text: string
  try {
    text = fs.readFileSync(path.join(folder, "package.json"), "utf8")
  } catch {
    return null
  }
  try {
    const scripts = (JSON.parse(text) as { scripts?: unknown }).scripts
    if (typeof scripts !== "object" || scripts === null) return null
    const build = (scripts as Record<string, unknown>)["build"]
    return typeof build === "string" ? build : build === undefined ? null : String(build)
  } catch {
    return null
  }
}

/** As `exec.LookPath`: the first executable file named `name` in a PATH entry. */
const lookPath = (name: string, searchPath: string): string | undefined => {
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir === "") continue
    const candidate = path.join(dir, name)
    try {
      fs.accessSync(candidate, fs.constants.X_OK)
      if (fs.statSync(candidate).isFile()) return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

/** The first of dist/, build/, out/, .output/ holding an index.html or manifest.json. */
export const findBuildOutput = (folder: string): string | null => {
  for (const name of BUILD_OUTPUTS) {
    const dir = path.join(folder, name)
    if (isFile(path.join(dir, "index.html")) || isFile(path.join(dir, "manifest.json"))) return name
  }
  return null
}

const noOutputReason = `none of ${BUILD_OUTPUTS.map((d) => `${d}/`).join(", ")} holds an index.html or manifest.json`

/** `sh: 1: vite: not found`, `sh: vite: command not found`: the tool a script lacked. */
const missingToolIn = (lines: ReadonlyArray<string>): string | undefined => {
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /(?:^|\s)([\w@./+-]+): (?:command )?not found\s*$/.exec(lines[i]!)
    if (m) return path.basename(m[1]!)
  }
  return undefined
}

interface Ran {
  readonly code: number | null
  readonly signal: string | null
  readonly last: ReadonlyArray<string>
}

/** Runs `binary args` in `cwd`, its output line by line to `onLine`; the whole process group stopped on interruption. */
const runCommand = (binary: string, args: ReadonlyArray<string>, cwd: string, env: Record<string, string>, onLine: (line: string) => void) =>
  Effect.async<Ran, Error>((resume) => {
    const child = spawn(binary, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, so an interruption stops the script's children too.
      detached: true
    })
    const last: Array<string> = []
    const line = (text: string) => {
      const cut = text.length > LONGEST_LINE ? `${text.slice(0, LONGEST_LINE)}…` : text
      last.push(cut)
      if (last.length > LAST_LINES) last.shift()
      try {
        onLine(cut)
      } catch {
        // a display that fails must not fail the build
      }
    }
    const splitter = () => {
      let pending = ""
      return {
        data: (chunk: string) => {
          pending += chunk
          const parts = pending.split("\n")
          pending = parts.pop()!
          for (const p of parts) line(p.replace(/\r$/, "").replace(/^.*\r/, ""))
        },
        end: () => {
          if (pending !== "") line(pending.replace(/^.*\r/, ""))
          pending = ""
        }
      }
    }
    const out = splitter()
    const err = splitter()
    child.stdout!.setEncoding("utf8").on("data", out.data).on("end", out.end)
    child.stderr!.setEncoding("utf8").on("data", err.data).on("end", err.end)
    child.on("error", (e) => resume(Effect.fail(e)))
    child.on("close", (code, signal) => resume(Effect.succeed({ code, signal, last: [...last] })))
    return Effect.sync(() => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
      try {
        process.kill(-child.pid, "SIGTERM")
      } catch {
        child.kill("SIGTERM")
      }
    })
  })

export const make: Effect.Effect<SiteBuild.Service> = Effect.gen(function* () {
  const searchPath = yield* Config.string("PATH").pipe(Config.withDefault(""), Effect.orDie)

  const plan: SiteBuild.Service["plan"] = (dir, options) =>
    Effect.gen(function* () {
      const folder = path.resolve(dir)
      const stat = yield* Effect.try({
        try: () => fs.statSync(folder),
        catch: () => new InvalidFolder({ folder: dir, problem: "missing" })
      })
      if (!stat.isDirectory()) return yield* new InvalidFolder({ folder: dir, problem: "not-a-folder" })
      const script = buildScript(folder)
      const base = { folder, script, packageManager: null, lockFile: null, install: false, output: null, notes: [] }
      if (options?.noBuild === true) return { ...base, method: "skipped" } satisfies BuildPlan
      if (script === null) return { ...base, method: "source" } satisfies BuildPlan
      const notes: Array<string> = []
      let chosen: { name: PackageManagerName; lockFile: string | null } | undefined
      for (const m of MANAGERS) {
        const lock = m.lockFiles.find((f) => isFile(path.join(folder, f)))
        if (lock === undefined) continue
        if (lookPath(m.name, searchPath) !== undefined) {
          chosen = { name: m.name, lockFile: lock }
          break
        }
        notes.push(`${lock} names ${m.name}, which is not on PATH`)
      }
      if (chosen === undefined) {
        const first = MANAGERS.find((m) => lookPath(m.name, searchPath) !== undefined)
        if (first !== undefined) chosen = { name: first.name, lockFile: null }
      }
      if (chosen === undefined) {
        const output = findBuildOutput(folder)
        if (output === null) {
          return yield* new BuildFailed({
            folder: dir,
            step: "tool",
            missing: "npm",
            last_lines: [],
            reason: `its package.json has a build script, but none of npm, pnpm, yarn, bun is on PATH and no earlier build is there (${noOutputReason})`
          })
        }
        notes.push(`no package manager on PATH (npm, pnpm, yarn, bun): shipping the earlier build in ${output}/`)
        return { ...base, method: "existing", output, notes } satisfies BuildPlan
      }
      if (notes.length > 0) notes[notes.length - 1] += `: building with ${chosen.name}`
      const install = !fs.existsSync(path.join(folder, "node_modules"))
      return { ...base, method: "build", packageManager: chosen.name, lockFile: chosen.lockFile, install, notes } satisfies BuildPlan
    })

  const run: SiteBuild.Service["run"] = (plan, options: BuildOptions = {}) =>
    Effect.gen(function* () {
      const started = Date.now()
      if (plan.method === "source" || plan.method === "skipped") {
        return { plan, deployFolder: plan.folder, output: null, installed: false, ms: 0 } satisfies BuildOutcome
      }
      if (plan.method === "existing") {
        return { plan, deployFolder: path.join(plan.folder, plan.output!), output: plan.output, installed: false, ms: 0 } satisfies BuildOutcome
      }
      const pm = plan.packageManager!
      const binary = lookPath(pm, searchPath)
      const shown = path.basename(plan.folder)
      if (binary === undefined) {
        return yield* new BuildFailed({ folder: shown, step: "tool", missing: pm, last_lines: [], reason: `${pm} is not on PATH` })
      }
      const env: Record<string, string> = options.spa === true ? { VITE_SPA_ROUTING: "true" } : {}
      const onLine = options.onLine ?? (() => {})
      const step = (which: "install" | "build", args: ReadonlyArray<string>) =>
        Effect.gen(function* () {
          const command = `${pm} ${args.join(" ")}`
          options.onStep?.(command)
          const ran = yield* runCommand(binary, args, plan.folder, env, onLine).pipe(
            Effect.mapError((e) =>
              new BuildFailed({ folder: shown, step: which, command, missing: pm, last_lines: [], reason: `${command} could not start: ${e.message}` })
            )
          )
          if (ran.code === 0) return
          const missing = ran.code === 127 ? missingToolIn(ran.last) : undefined
          const ended = ran.code === null ? `was stopped by ${ran.signal}` : `exited with code ${ran.code}`
          return yield* new BuildFailed({
            folder: shown,
            step: which,
            command,
            exit_code: ran.code,
            signal: ran.signal,
            ...(missing === undefined ? {} : { missing }),
            last_lines: ran.last,
            reason: `${command} ${ended}${missing === undefined ? "" : ` (${missing} is not installed: it is not on PATH nor in node_modules/.bin)`}`
          })
        })
      if (plan.install) yield* step("install", ["install"])
      yield* step("build", ["run", "build"])
      const output = findBuildOutput(plan.folder)
      if (output === null) {
        return yield* new BuildFailed({
          folder: shown,
          step: "output",
          command: `${pm} run build`,
          exit_code: 0,
          last_lines: [],
          reason: `${pm} run build succeeded but ${noOutputReason}`
        })
      }
      return { plan, deployFolder: path.join(plan.folder, output), output, installed: plan.install, ms: Date.now() - started } satisfies BuildOutcome
    })

  return { plan, run }
})

export const layer: Layer.Layer<SiteBuild> = Layer.effect(SiteBuild, make)

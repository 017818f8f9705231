// `npm run check:upgrade [-- --no-tests]`: would the newest effect 3.x,
// @effect/cli (with the @effect packages released alongside it) and esbuild
// still build and pass? It tries them in a scratch copy of this checkout (this
// one is left alone), runs each guard in turn, and reports the first that
// trips: the install (peer ranges), the type check, the build (a start-up
// patch that no longer fits is named, see docs/BUILD.md), the test suite.
// Slow (a full suite run: ~10 minutes); not part of CI. Run it under
// `flock /tmp/fazt-heavy.lock` on a shared machine.
import { spawnSync } from "node:child_process"
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"

const root = new URL("..", import.meta.url).pathname
const withTests = !process.argv.includes("--no-tests")
const keep = process.argv.includes("--keep")

// What is tried: effect's newest 3.x; the newest of each @effect package we use; esbuild's newest.
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
const ours = { ...pkg.dependencies, ...pkg.devDependencies }
const family = Object.keys(ours).filter((name) => name.startsWith("@effect/") && name !== "@effect/language-service")
const npmView = (...args) => {
  const r = spawnSync("npm", ["view", ...args, "--json"], { encoding: "utf8" })
  if (r.status !== 0) throw new Error(`npm view ${args.join(" ")}: ${r.stderr}`)
  return JSON.parse(r.stdout || "null")
}
const parts = (v) => v.split(".").map(Number)
const newer = (a, b) => {
  const [x, y] = [parts(a), parts(b)]
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i]
  return 0
}
/** Whether a caret range (`^3.19.0`, the only kind the @effect packages use) admits `version`. */
const admits = (range, version) => {
  const m = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(range ?? "")
  return m !== null && parts(version)[0] === Number(m[1]) && newer(version, `${m[1]}.${m[2]}.${m[3]}`) >= 0
}
/** The newest release of `name` whose peer range for effect admits `effect` (the newest may be for effect 4). */
const newestFor = (name, effect) => {
  const releases = npmView(name, "versions").filter((v) => /^\d+\.\d+\.\d+$/.test(v)).sort(newer).reverse()
  for (const v of releases.slice(0, 40)) if (admits(npmView(`${name}@${v}`, "peerDependencies")?.effect, effect)) return v
  throw new Error(`no release of ${name} among its newest 40 takes effect ${effect}`)
}
const effect3 = [].concat(npmView("effect@3", "version")).sort(newer).at(-1)
const wanted = [`effect@${effect3}`, ...family.map((name) => `${name}@${newestFor(name, effect3)}`), "esbuild@latest"]

const scratch = mkdtempSync(join(tmpdir(), "fazt-upgrade-"))
const skip = new Set(["node_modules/.cache", "dist", ".git", ".ci/nodes", "bench/.work"])
cpSync(root, scratch, { recursive: true, verbatimSymlinks: true, filter: (src) => !skip.has(relative(root, src)) && !/^dist\.(next|old)-/.test(relative(root, src)) })

const step = (label, command, args) => {
  process.stdout.write(`== ${label}: ${command} ${args.join(" ")}\n`)
  const r = spawnSync(command, args, { cwd: scratch, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 })
  const output = `${r.stdout ?? ""}${r.stderr ?? ""}`
  return { ok: r.status === 0, output }
}
const version = (name) => {
  try {
    return JSON.parse(readFileSync(join(scratch, "node_modules", name, "package.json"), "utf8")).version
  } catch {
    return "?"
  }
}

let tripped
// 1. The install: node_modules was copied (better-sqlite3 stays built); npm changes only these packages.
const install = step("install", "npm", ["install", "--no-audit", "--no-fund", "--save-exact", ...wanted])
if (!install.ok) tripped = { guard: "install (the packages' peer ranges do not agree)", detail: install.output.split("\n").filter((l) => /ERESOLVE|peer|Could not resolve|Conflicting/.test(l)).slice(0, 12).join("\n") }

console.log("\nversions tried:")
for (const name of ["effect", ...family, "esbuild"]) console.log(`  ${name.padEnd(26)} ${String(ours[name]).padEnd(10)} → ${version(name)}`)
console.log("")

if (!tripped) {
  const typecheck = step("type check", "npm", ["run", "typecheck"])
  if (!typecheck.ok) tripped = { guard: "type check (an API we use changed)", detail: typecheck.output.split("\n").filter((l) => /error TS/.test(l)).slice(0, 20).join("\n") }
}
if (!tripped) {
  const build = step("build", "npm", ["run", "build"])
  if (!build.ok) {
    const patch = /start-up patch "([\w-]+)"[^\n]*/.exec(build.output)
    tripped = patch
      ? { guard: `build: the start-up patch "${patch[1]}" (docs/BUILD.md, section "${patch[1]}")`, detail: patch[0] }
      : { guard: "build (scripts/build.mjs, docs/BUILD.md)", detail: build.output.split("\n").slice(-20).join("\n") }
  }
}
if (!tripped && withTests) {
  const tests = step("test suite", "npx", ["vitest", "run", "--reporter=dot"])
  if (!tests.ok) {
    const failed = [...new Set([...tests.output.matchAll(/FAIL\s+(test\/\S+)/g)].map((m) => m[1]))]
    tripped = { guard: `tests: ${failed.length} file(s) failed (test/cli/help*.test.ts and src/commands/spec.ts read @effect/cli's internals)`, detail: failed.join("\n") || tests.output.split("\n").slice(-30).join("\n") }
  }
}

if (tripped) {
  console.log(`TRIPPED: ${tripped.guard}\n${tripped.detail}\n`)
} else {
  console.log(`every guard held${withTests ? "" : " (tests not run: --no-tests)"}: these versions can be taken (npm install --save-exact ${wanted.join(" ")}).\n`)
}
if (keep) console.log(`the scratch copy stays in ${scratch}`)
else rmSync(scratch, { recursive: true, force: true })
process.exit(tripped ? 1 : 0)

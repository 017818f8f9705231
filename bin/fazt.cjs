#!/usr/bin/env node
"use strict"
// Launcher: runs the bundled CLI (dist/fazt.cjs and the fazt-<hash>.cjs chunks
// it requires, built by `npm run build`, see scripts/bundle-cli.mjs) through
// vm.Script with V8's code cache, which saves most of the time Node would
// spend compiling the bundle on every start (Node 20 has no built-in compile
// cache). A chunk is read only when a command first needs it. It is CommonJS
// because Node's ESM loader alone would add ~20 ms to every start.
//
// The code caches are not shipped: a cache is only good for the V8 that made
// it, with the flags it ran with. Each is made on the first run that needs it,
// in the user's cache folder ($XDG_CACHE_HOME, or ~/.cache), under a folder
// named for this build (dist/fazt.id), the Node version and its flags, so a
// read-only install, or one shared by several Node versions, starts at full
// speed from its second run on. A cache V8 rejects is rewritten after the
// run; a cache folder that cannot be written is simply not used (docs/BUILD.md).
const { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = require("node:fs")
const Module = require("node:module")
const { isAbsolute, join } = require("node:path")
const { Script } = require("node:vm")

// A start allocates ~10 MB that mostly lives on (modules, code, layers): let the
// young generation grow 8× instead of 2× at a scavenge, so a listing scavenges
// three times instead of six. (Set before any script is compiled: the flag is
// part of what a code cache must match, and every run sets it alike.)
const OUR_FLAGS = "--semi-space-growth-factor=8"
require("node:v8").setFlagsFromString(OUR_FLAGS)

const dist = join(__dirname, "..", "dist")
// A checkout that was never built has no bundle: say what to run, not a stack trace.
if (!require("node:fs").existsSync(join(dist, "fazt.cjs"))) {
  process.stderr.write(`error: fazt is not built yet (${join(dist, "fazt.cjs")} is missing): run 'npm run build' in ${join(__dirname, "..")}\n`)
  process.exit(1)
}
const nodeRequire = Module.createRequire(join(dist, "fazt.cjs"))
const chunks = new Map()
const staleCaches = []
// What the bundle's files see as `require`: chunks by their relative name, everything else from dist/.
const bundleRequire = Object.assign((id) => (id.startsWith("./fazt") ? load(id.slice(2)) : nodeRequire(id)), {
  resolve: nodeRequire.resolve,
  cache: nodeRequire.cache
})

/** FNV-1a of `text`, in base 36: short and with no module to load. */
const fnv = (text) => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0
  return h.toString(36)
}

// Where this build's caches live for this Node: …/fazt-remote/<build>-<node>-<arch>-<flags>.
const cacheRoot = (() => {
  const xdg = process.env.XDG_CACHE_HOME
  if (xdg && isAbsolute(xdg)) return join(xdg, "fazt-remote")
  const home = process.env.HOME || require("node:os").homedir()
  return home ? join(home, ".cache", "fazt-remote") : undefined
})()
let buildId
try {
  buildId = readFileSync(join(dist, "fazt.id"), "latin1").trim()
} catch {
  // A dist/ built by hand without its id: keyed by when its entry was written.
  buildId = `m${statSync(join(dist, "fazt.cjs")).mtimeMs.toString(36)}`
}
const flags = `${OUR_FLAGS} ${process.execArgv.join(" ")} ${process.env.NODE_OPTIONS ?? ""}`
const cacheDir = cacheRoot && join(cacheRoot, `${buildId}-${process.version}-${process.arch}-${fnv(flags)}`)

function load(name) {
  const loaded = chunks.get(name)
  if (loaded !== undefined) return loaded.exports
  const file = join(dist, name)
  const cacheFile = cacheDir && join(cacheDir, `${name}.cache`)
  let cachedData
  try {
    cachedData = cacheFile && readFileSync(cacheFile)
  } catch {
    cachedData = undefined
  }
  // esbuild writes pure ASCII (it escapes the rest), so latin1 reads it without UTF-8 decoding.
  const script = new Script(Module.wrap(readFileSync(file, "latin1")), { filename: file, cachedData })
  if (cacheFile && (cachedData === undefined || script.cachedDataRejected)) staleCaches.push({ script, cacheFile })
  const module_ = { exports: {} }
  chunks.set(name, module_)
  script.runInThisContext()(module_.exports, bundleRequire, module_, file, dist)
  return module_.exports
}

/** Folders of other builds (or Nodes) not written to for 30 days go when a new one is made. */
const prune = () => {
  const month = Date.now() - 30 * 24 * 3600 * 1000
  for (const name of readdirSync(cacheRoot)) {
    const folder = join(cacheRoot, name)
    try {
      if (folder !== cacheDir && statSync(folder).mtimeMs < month) rmSync(folder, { recursive: true, force: true })
    } catch {
      // Gone already (another run pruned it), or not ours to remove.
    }
  }
}

process.once("exit", () => {
  if (staleCaches.length === 0) return
  try {
    if (mkdirSync(cacheDir, { recursive: true, mode: 0o700 }) !== undefined) prune()
    for (const { script, cacheFile } of staleCaches) {
      const temp = `${cacheFile}.${process.pid}`
      writeFileSync(temp, script.createCachedData())
      renameSync(temp, cacheFile)
    }
  } catch {
    // No cache folder that can be written: the next run compiles again.
  }
})

load("fazt.cjs")

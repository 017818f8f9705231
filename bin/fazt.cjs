#!/usr/bin/env node
"use strict"
// Launcher: runs the bundled CLI (dist/fazt.cjs and the fazt-<hash>.cjs chunks
// it requires, built by `npm run build`, see scripts/bundle-cli.mjs) through
// vm.Script with V8's code cache, which saves most of the time Node would
// spend compiling the bundle on every start (Node 20 has no built-in compile
// cache). A chunk is read only when a command first needs it. A missing or
// stale cache is rewritten after the run. It is CommonJS because Node's ESM
// loader alone would add ~20 ms to every start.
const { readFileSync, renameSync, writeFileSync } = require("node:fs")
const Module = require("node:module")
const { join } = require("node:path")
const { Script } = require("node:vm")

// A start allocates ~10 MB that mostly lives on (modules, code, layers): let the
// young generation grow 8× instead of 2× at a scavenge, so a listing scavenges
// three times instead of six. (Set before any script is compiled: the flag is
// part of what a code cache must match, and every run sets it alike.)
require("node:v8").setFlagsFromString("--semi-space-growth-factor=8")

const dist = join(__dirname, "..", "dist")
const nodeRequire = Module.createRequire(join(dist, "fazt.cjs"))
const chunks = new Map()
const staleCaches = []
// What the bundle's files see as `require`: chunks by their relative name, everything else from dist/.
const bundleRequire = Object.assign((id) => (id.startsWith("./fazt") ? load(id.slice(2)) : nodeRequire(id)), {
  resolve: nodeRequire.resolve,
  cache: nodeRequire.cache
})

function load(name) {
  const loaded = chunks.get(name)
  if (loaded !== undefined) return loaded.exports
  const file = join(dist, name)
  const cacheFile = `${file}.cache`
  let cachedData
  try {
    cachedData = readFileSync(cacheFile)
  } catch {
    cachedData = undefined
  }
  // esbuild writes pure ASCII (it escapes the rest), so latin1 reads it without UTF-8 decoding.
  const script = new Script(Module.wrap(readFileSync(file, "latin1")), { filename: file, cachedData })
  if (cachedData === undefined || script.cachedDataRejected) staleCaches.push({ script, cacheFile })
  const module_ = { exports: {} }
  chunks.set(name, module_)
  script.runInThisContext()(module_.exports, bundleRequire, module_, file, dist)
  return module_.exports
}

process.once("exit", () => {
  for (const { script, cacheFile } of staleCaches) {
    try {
      const temp = `${cacheFile}.${process.pid}`
      writeFileSync(temp, script.createCachedData())
      renameSync(temp, cacheFile)
    } catch {
      // A read-only install simply runs without the cache.
    }
  }
})

// A checkout that was never built has no bundle: say what to run, not a stack trace.
if (!require("node:fs").existsSync(join(dist, "fazt.cjs"))) {
  process.stderr.write(`error: fazt is not built yet (${join(dist, "fazt.cjs")} is missing): run 'npm run build' in ${join(__dirname, "..")}\n`)
  process.exit(1)
}
load("fazt.cjs")

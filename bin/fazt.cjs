#!/usr/bin/env node
"use strict"
// Launcher: runs the bundled CLI (dist/fazt.cjs, built by `npm run build`)
// through vm.Script with V8's code cache, which saves most of the time Node
// would spend compiling the bundle on every start (Node 20 has no built-in
// compile cache). A missing or stale cache is rewritten after the run. It is
// CommonJS because Node's ESM loader alone would add ~20 ms to every start.
const { readFileSync, renameSync, writeFileSync } = require("node:fs")
const Module = require("node:module")
const { dirname, join } = require("node:path")
const { Script } = require("node:vm")

const file = join(__dirname, "..", "dist", "fazt.cjs")
const cacheFile = `${file}.cache`
let cachedData
try {
  cachedData = readFileSync(cacheFile)
} catch {
  cachedData = undefined
}
// esbuild writes pure ASCII (it escapes the rest), so latin1 reads it without UTF-8 decoding.
const script = new Script(Module.wrap(readFileSync(file, "latin1")), { filename: file, cachedData })
if (cachedData === undefined || script.cachedDataRejected) {
  process.once("exit", () => {
    try {
      const temp = `${cacheFile}.${process.pid}`
      writeFileSync(temp, script.createCachedData())
      renameSync(temp, cacheFile)
    } catch {
      // A read-only install simply runs without the cache.
    }
  })
}
const module_ = { exports: {} }
script.runInThisContext()(module_.exports, Module.createRequire(file), module_, file, dirname(file))

// How the CLI is bundled: shared by scripts/build.mjs (dist/fazt.cjs) and the
// start-up bench, which bundles its @effect/cli floor program the same way so
// the two are compared like for like.
import { build } from "esbuild"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { deepImports } from "./deep-imports.mjs"

// Where better-sqlite3's native addon is built; found from the bundle at run time.
const sqliteAddon = "better-sqlite3/build/Release/better_sqlite3.node"
if (!existsSync(join("node_modules", sqliteAddon))) throw new Error(`${sqliteAddon} is missing: reinstall better-sqlite3`)

// Start-up levers applied while bundling (each measured in README "Performance").
const startupPlugin = {
  name: "fazt-startup",
  setup(build) {
    // Barrel imports of effect and @effect/* (`import { Effect } from "effect"`)
    // made deep, even in code written after scripts/deep-imports.mjs last ran.
    build.onLoad({ filter: /[\\/](src|bench)[\\/].*\.ts$/ }, (args) => ({
      contents: deepImports(readFileSync(args.path, "utf8")),
      loader: "ts"
    }))
    // effect's Utils.js formats a stack trace at load to learn whether a
    // function name survived minification; formatting it makes V8 index the
    // line ends of the whole bundle (~13 M instructions). We keep names, so
    // the answer is known: true.
    build.onLoad({ filter: /[\\/]effect[\\/]dist[\\/]esm[\\/]Utils\.js$/ }, (args) => {
      const code = readFileSync(args.path, "utf8")
      const probe = /standard\.effect_internal_function\(\(\) => new Error\(\)\.stack\)\?\.includes\("effect_internal_function"\) === true/
      if (!probe.test(code)) throw new Error(`${args.path}: the stack probe changed; review the fazt-startup plugin`)
      return { contents: code.replace(probe, "true"), loader: "js" }
    })
    // better-sqlite3's JavaScript is bundled (so it is in the code cache
    // too), and its native addon is loaded from the path node-gyp and
    // prebuild-install both write, instead of through `bindings`, which
    // formats a stack trace and probes a dozen paths on every start.
    build.onResolve({ filter: /^bindings$/ }, (args) =>
      /[\\/]better-sqlite3[\\/]/.test(args.importer) ? { path: "better-sqlite3-addon", namespace: "fazt-startup" } : undefined)
    build.onLoad({ filter: /^better-sqlite3-addon$/, namespace: "fazt-startup" }, () => ({
      contents: `module.exports = () => require(${JSON.stringify(sqliteAddon)})`,
      loader: "js"
    }))
  }
}

/**
 * One CommonJS file, run by bin/fazt.cjs through vm.Script so V8 can reuse
 * its compiled code from `<outfile>.cache` instead of parsing the bundle on
 * every start. Code reached only through import() is bundled but not
 * evaluated until a command uses it.
 */
export const bundleCli = async ({ entry, outfile }) => {
  await build({
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    sourcemap: false,
    logLevel: "warning",
    // Whitespace and syntax only (names are kept): less to read and to cache.
    minifyWhitespace: true,
    minifySyntax: true,
    charset: "ascii",
    entryPoints: [entry],
    outfile,
    plugins: [startupPlugin],
    // Native addons stay files of their own.
    external: ["*.node"],
    // Parsers @effect/cli offers for config files, and effect's property testing: never used here.
    alias: Object.fromEntries(["yaml", "toml", "ini", "fast-check"].map((m) => [m, fileURLToPath(new URL("stubs/unused.cjs", import.meta.url))]))
  })
  // The launcher reads the bundle as latin1 (no UTF-8 decoding): it must stay ASCII.
  if (readFileSync(outfile).some((byte) => byte > 0x7f)) throw new Error(`${outfile} is not pure ASCII`)
}

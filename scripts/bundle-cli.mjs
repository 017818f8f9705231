// How the CLI is bundled: shared by scripts/build.mjs (dist/fazt.cjs) and the
// start-up bench, which bundles its @effect/cli floor program the same way so
// the two are compared like for like.
import { build } from "esbuild"
import { readFileSync } from "node:fs"
import { deepImports } from "./deep-imports.mjs"

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
    // A native addon that finds its .node file relative to itself.
    external: ["better-sqlite3"],
    // Parsers @effect/cli offers for config files, and effect's property testing: never used here.
    alias: Object.fromEntries(["yaml", "toml", "ini", "fast-check"].map((m) => [m, "./scripts/stubs/unused.cjs"]))
  })
  // The launcher reads the bundle as latin1 (no UTF-8 decoding): it must stay ASCII.
  if (readFileSync(outfile).some((byte) => byte > 0x7f)) throw new Error(`${outfile} is not pure ASCII`)
}

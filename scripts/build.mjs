// Builds dist/: the CLI as one ESM bundle (better-sqlite3 stays external:
// it is a native addon that finds its .node file relative to itself), and
// the library entry for programs that embed the services.
import { build } from "esbuild"
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { deepImports } from "./deep-imports.mjs"

execFileSync(process.execPath, ["scripts/gen-migrations.mjs"], { stdio: "inherit" })
rmSync("dist", { recursive: true, force: true })

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: false,
  logLevel: "warning",
  // undici and other CommonJS dependencies call require() at run time.
  banner: { js: "import { createRequire as __faztRequire } from 'node:module'; const require = __faztRequire(import.meta.url);" }
}

// Start-up levers applied while bundling (each measured in README "Performance").
const startupPlugin = {
  name: "fazt-startup",
  setup(build) {
    // Barrel imports of effect and @effect/* (`import { Effect } from "effect"`)
    // made deep, even in code written after scripts/deep-imports.mjs last ran.
    build.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, (args) => ({
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

// The CLI is one CommonJS file run by bin/fazt.cjs through vm.Script, so V8
// can reuse its compiled code from dist/fazt.cjs.cache instead of parsing
// 2.5 MB of JavaScript on every start. Code reached only through import()
// (the HTTP client, the zip writer, the node's server) is bundled but not
// evaluated until a command uses it.
await build({
  ...common,
  format: "cjs",
  banner: {},
  // Whitespace and syntax only (names are kept): less to read and to cache.
  minifyWhitespace: true,
  charset: "ascii",
  minifySyntax: true,
  entryPoints: { fazt: "src/main.ts" },
  plugins: [startupPlugin],
  outdir: "dist",
  outExtension: { ".js": ".cjs" },
  external: ["better-sqlite3"],
  alias: Object.fromEntries(["yaml", "toml", "ini", "fast-check"].map((m) => [m, "./scripts/stubs/unused.cjs"]))
})

// The library: its dependencies stay imports (one copy of effect, the
// host's), and code behind import() (the HTTP client, the zip writer) stays
// in chunks a host loads only when it first calls a peer or deploys.
await build({
  ...common,
  entryPoints: { index: "src/index.ts" },
  outdir: "dist",
  splitting: true,
  chunkNames: "lib/[name]-[hash]",
  packages: "external"
})

// Type declarations for programs that embed the library.
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" })

// bin/fazt.cjs reads the bundle as latin1 (no UTF-8 decoding): it must stay ASCII.
if (readFileSync("dist/fazt.cjs").some((byte) => byte > 0x7f)) throw new Error("dist/fazt.cjs is not pure ASCII")

// Warm the code cache with a real command (listing peers on a scratch
// database), so the first run after install is already fast.
const scratch = mkdtempSync(join(tmpdir(), "fazt-build-"))
execFileSync(process.execPath, ["bin/fazt.cjs", "remote", "--db", join(scratch, "warm.db")], {
  stdio: "ignore",
  env: { PATH: process.env.PATH, HOME: scratch }
})
rmSync(scratch, { recursive: true, force: true })

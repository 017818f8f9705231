// Builds dist/: the CLI as one ESM bundle (better-sqlite3 stays external:
// it is a native addon that finds its .node file relative to itself), and
// the library entry for programs that embed the services.
import { build } from "esbuild"
import { execFileSync } from "node:child_process"
import { rmSync } from "node:fs"

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

// Split: code reached only through import() (HTTP client, archiver, the
// node's server) lands in chunks that only the commands using it load.
await build({
  ...common,
  entryPoints: { fazt: "src/main.ts" },
  outdir: "dist",
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  outExtension: { ".js": ".mjs" },
  external: ["better-sqlite3"],
  alias: Object.fromEntries(["yaml", "toml", "ini", "fast-check"].map((m) => [m, "./scripts/stubs/unused.cjs"]))
})

await build({
  ...common,
  entryPoints: { index: "src/index.ts" },
  outdir: "dist",
  packages: "external"
})

// Type declarations for programs that embed the library.
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" })

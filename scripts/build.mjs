// Builds dist/: the CLI as one ESM bundle (better-sqlite3 stays external:
// it is a native addon that finds its .node file relative to itself), and
// the library entry for programs that embed the services.
import { build } from "esbuild"
import { execFileSync } from "node:child_process"

execFileSync(process.execPath, ["scripts/gen-migrations.mjs"], { stdio: "inherit" })

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

await build({
  ...common,
  entryPoints: { fazt: "src/main.ts" },
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  external: ["better-sqlite3"]
})

await build({
  ...common,
  entryPoints: { index: "src/index.ts" },
  outdir: "dist",
  packages: "external"
})

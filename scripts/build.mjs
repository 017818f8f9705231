// Builds dist/: the CLI as CommonJS files (fazt.cjs and its chunks, see scripts/bundle-cli.mjs), and
// the library entry for programs that embed the services.
import { build } from "esbuild"
import { execFileSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { bundleCli } from "./bundle-cli.mjs"

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

// The CLI (see scripts/bundle-cli.mjs).
await bundleCli({ entry: "src/main.ts", outdir: "dist" })

// The library: its dependencies stay imports (one copy of effect, the
// host's), and code behind import() (the HTTP client, the zip writer) stays
// in chunks a host loads only when it first calls a peer or deploys.
await build({
  ...common,
  entryPoints: { index: "src/index.ts" },
  outdir: "dist",
  splitting: true,
  chunkNames: "lib/[name]-[hash]",
  // Every package stays an import, except the few lines of @effect/platform-node the HTTP client
  // uses (NodeStream): inlined, so a host installs neither it nor what it drags in (@parcel/watcher,
  // ws, undici, …). The CLI is one bundle: its own packages are devDependencies (README, "Install size").
  plugins: [{
    name: "external-but-node-stream",
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) =>
        /^@effect\/platform-node(-shared)?\//.test(args.path) ? undefined : { path: args.path, external: true })
    }
  }]
})

// Type declarations for programs that embed the library.
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" })

// Warm the code cache with a real command (listing peers on a scratch
// database), so the first run after install is already fast.
const scratch = mkdtempSync(join(tmpdir(), "fazt-build-"))
execFileSync(process.execPath, ["bin/fazt.cjs", "remote", "--db", join(scratch, "warm.db")], {
  stdio: "ignore",
  env: { PATH: process.env.PATH, HOME: scratch }
})
rmSync(scratch, { recursive: true, force: true })

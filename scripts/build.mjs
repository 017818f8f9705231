// Builds dist/: the CLI as CommonJS files (fazt.cjs and its chunks, see
// scripts/bundle-cli.mjs), the library entry for programs that embed the
// services, and their type declarations. Every step writes into dist.next-<pid>/;
// only when all of them succeeded does it replace dist/, so a build
// that fails (a dependency upgrade that a start-up patch no longer fits, a
// type error) leaves the previous dist/ and bin/fazt.cjs as they were.
// Each step and patch: docs/BUILD.md.
import { build } from "esbuild"
import { execFileSync } from "node:child_process"
import { createHash } from "node:crypto"
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { bundleCli } from "./bundle-cli.mjs"

// Named for this process, so that two builds at once (a bench and a test run) never share one.
const next = `dist.next-${process.pid}`
const old = `dist.old-${process.pid}`

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

try {
  rmSync(next, { recursive: true, force: true })

  // 1. The migrations' index (src/migrations/index.ts) from the .sql files.
  execFileSync(process.execPath, ["scripts/gen-migrations.mjs"], { stdio: "inherit" })

  // 2. The CLI (see scripts/bundle-cli.mjs), with its start-up patches.
  await bundleCli({ entry: "src/main.ts", outdir: next })

  // The build's identity, which keys the launcher's code caches (bin/fazt.cjs).
  const hash = createHash("sha256")
  for (const name of readdirSync(next).filter((n) => n.endsWith(".cjs")).sort()) hash.update(name).update(readFileSync(join(next, name)))
  writeFileSync(join(next, "fazt.id"), hash.digest("hex").slice(0, 16))

  // 3. The library: its dependencies stay imports (one copy of effect, the
  // host's), and code behind import() (the HTTP client, the zip writer) stays
  // in chunks a host loads only when it first calls a peer or deploys.
  await build({
    ...common,
    entryPoints: { index: "src/index.ts" },
    outdir: next,
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

  // 4. Type declarations for programs that embed the library.
  execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json", "--outDir", `${next}/types`], { stdio: "inherit" })

  // 5. The new CLI runs: a listing of a scratch database (which loads the
  // entry, better-sqlite3 and the migrations) must succeed before it replaces
  // the old one. It runs through a copy of bin/fazt.cjs whose dist/ is the new one.
  const smoke = mkdtempSync(join(next, ".smoke-"))
  try {
    mkdirSync(join(smoke, "bin"))
    copyFileSync("bin/fazt.cjs", join(smoke, "bin", "fazt.cjs"))
    symlinkSync("..", join(smoke, "dist"))
    execFileSync(process.execPath, [join(smoke, "bin", "fazt.cjs"), "remote", "--db", join(smoke, "smoke.db")], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { PATH: process.env.PATH, HOME: smoke }
    })
  } catch (e) {
    throw new Error(`the new CLI does not run (step 5): ${e.stderr ?? e}`)
  } finally {
    rmSync(smoke, { recursive: true, force: true })
  }
} catch (e) {
  rmSync(next, { recursive: true, force: true })
  console.error(`\nbuild failed; dist/ is left as it was${existsSync("dist") ? " (the previous build still runs)" : ""}. docs/BUILD.md says what each step and patch does.`)
  console.error(e instanceof Error ? e.message : e)
  process.exit(1)
}

// 6. The swap: two renames, the old tree removed only after the new one is in place.
rmSync(old, { recursive: true, force: true })
if (existsSync("dist")) renameSync("dist", old)
renameSync(next, "dist")
rmSync(old, { recursive: true, force: true })

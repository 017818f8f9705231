import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { bin, homeWithPeer, runFazt } from "../support/cli.js"
import { getSite } from "../support/http.js"
import { nodeAndClient } from "../support/node.js"
import { json, scriptedPeer } from "../support/scriptedPeer.js"
import { query } from "../support/sqlite.js"

// The build step of fazt v0.29's `app deploy` (internal/build/build.go), run
// by the built CLI against our own node. The projects build with node alone:
// no dependencies, an empty node_modules/ (so no install) and npm offline.

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

// npm never asks the registry: no update check, no audit, offline.
const NPM_ENV = { npm_config_update_notifier: "false", npm_config_offline: "true", npm_config_audit: "false", npm_config_fund: "false" }

const write = (root: string, rel: string, content: string) => {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true })
  fs.writeFileSync(path.join(root, rel), content)
}

/** A tiny npm project whose `build` script runs `build.js` (given) with node. */
const npmProject = (home: string, name: string, buildJs: string, extra: Record<string, string> = {}) => {
  const dir = path.join(home, name)
  write(dir, "package.json", JSON.stringify({ name, version: "1.0.0", private: true, scripts: { build: "node build.js" } }))
  write(dir, "package-lock.json", JSON.stringify({ name, version: "1.0.0", lockfileVersion: 3, requires: true, packages: { "": { name, version: "1.0.0" } } }))
  fs.mkdirSync(path.join(dir, "node_modules"))
  write(dir, "build.js", buildJs)
  write(dir, "index.html", "<h1>the sources</h1>")
  for (const [rel, content] of Object.entries(extra)) write(dir, rel, content)
  return dir
}

const BUILDS_DIST = `
const fs = require("node:fs")
console.log("bundling 2 modules")
fs.mkdirSync("dist", { recursive: true })
fs.writeFileSync("dist/index.html", "<h1>the build</h1>")
fs.writeFileSync("dist/app.js", "console.log(1)")
fs.writeFileSync("dist/app.js.map", "{}")
console.log("done")
`

const FAILS = `
for (let i = 1; i <= 30; i++) console.log("step " + i)
console.error("error TS2304: Cannot find name 'oops'")
process.exit(3)
`

describe("deploy builds a folder with a package.json build script, as fazt's app deploy", () => {
  it("serves the build output; --no-build serves the sources; a failing build uploads nothing and names its exit code and last lines", async () => {
    const { node, client } = await nodeAndClient(cleanups)
    const dir = npmProject(client, "tiny", BUILDS_DIST, { ".faztignore": "*.map\n" })

    const r = await runFazt(["remote", "deploy", dir], { home: client, env: NPM_ENV })
    expect(r.stderr).toContain("built with npm (package-lock.json)")
    expect(r.stderr).toContain("deploying dist/ (2 files)")
    expect(r.code).toBe(0)
    // Off a terminal the build's own lines stream to stderr.
    expect(r.stderr).toContain("bundling 2 modules")
    expect((await getSite(node.port, "tiny", "/")).body.toString()).toBe("<h1>the build</h1>")
    expect((await getSite(node.port, "tiny", "/app.js")).status).toBe(200)
    // The source folder's .faztignore applies to the build output.
    expect((await getSite(node.port, "tiny", "/app.js.map")).status).toBe(404)
    expect((await getSite(node.port, "tiny", "/build.js")).status).toBe(404)

    const asJson = await runFazt(["remote", "deploy", dir, "--json"], { home: client, env: NPM_ENV })
    expect(asJson.code).toBe(0)
    expect(JSON.parse(asJson.stdout).data).toMatchObject({
      site: "tiny",
      file_count: 2,
      build: { method: "build", package_manager: "npm", lock_file: "package-lock.json", install: false, command: "npm run build", output: "dist" }
    })
    // Under --json stderr carries only JSON lines, the build's output among them.
    for (const line of asJson.stderr.trim().split("\n")) expect(() => JSON.parse(line)).not.toThrow()
    expect(asJson.stderr).toContain(JSON.stringify({ build_output: "bundling 2 modules" }))

    const sources = await runFazt(["remote", "deploy", dir, "--no-build"], { home: client, env: NPM_ENV })
    expect(sources.code).toBe(0)
    expect(sources.stderr).not.toContain("bundling")
    expect((await getSite(node.port, "tiny", "/")).body.toString()).toBe("<h1>the sources</h1>")
    expect((await getSite(node.port, "tiny", "/build.js")).status).toBe(200)

    const broken = npmProject(client, "broken", FAILS)
    const failed = await runFazt(["remote", "deploy", broken], { home: client, env: NPM_ENV })
    expect(failed.code).toBe(10)
    expect(failed.stderr).toContain("error: build of broken failed: npm run build exited with code 3")
    expect(failed.stderr).toContain("step 30")
    expect(failed.stderr).toContain("error TS2304: Cannot find name 'oops'")
    expect(failed.stdout).toBe("")
    expect((await getSite(node.port, "broken", "/")).status).toBe(404)

    const failedJson = await runFazt(["remote", "deploy", broken, "--json"], { home: client, env: NPM_ENV })
    expect(failedJson.code).toBe(10)
    const envelope = JSON.parse(failedJson.stderr.trim().split("\n").at(-1)!)
    expect(envelope.error).toMatchObject({ code: "BUILD_FAILED", details: { step: "build", command: "npm run build", exit_code: 3 } })
    expect(envelope.error.details.last_lines.at(-1)).toBe("error TS2304: Cannot find name 'oops'")
    expect(envelope.error.details.last_lines.length).toBeLessThanOrEqual(20)
  })

  it("nothing is uploaded when the build fails", async () => {
    const peer = await scriptedPeer([json(200, { data: { site: "x", file_count: 1, size_bytes: 1, message: "ok" } })])
    cleanups.push(peer.close)
    const client = await homeWithPeer(peer.url, "fzt_build_test_token_0123456789")
    const r = await runFazt(["remote", "deploy", npmProject(client, "broken", FAILS)], { home: client, env: NPM_ENV })
    expect(r.code).toBe(10)
    expect(peer.seen).toEqual([])
  })

  it("--dry-run says what would be built and ships nothing, building nothing", async () => {
    const peer = await scriptedPeer([json(200, { data: {} })])
    cleanups.push(peer.close)
    const client = await homeWithPeer(peer.url, "fzt_build_test_token_0123456789")
    const dir = npmProject(client, "tiny", BUILDS_DIST)
    fs.rmSync(path.join(dir, "node_modules"), { recursive: true })
    const r = await runFazt(["remote", "deploy", dir, "--dry-run", "--json"], { home: client, env: NPM_ENV })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).data.build).toMatchObject({ method: "build", package_manager: "npm", install: true, output: null })
    const human = await runFazt(["remote", "deploy", dir, "--dry-run"], { home: client, env: NPM_ENV })
    expect(human.stderr).toContain("would run npm install, then npm run build (package-lock.json)")
    expect(fs.existsSync(path.join(dir, "dist"))).toBe(false)
    expect(fs.existsSync(path.join(dir, "node_modules"))).toBe(false)
    expect(peer.seen).toEqual([])
  })

  it("a tool the build needs that is missing is named", async () => {
    const peer = await scriptedPeer([json(200, { data: {} })])
    cleanups.push(peer.close)
    const client = await homeWithPeer(peer.url, "fzt_build_test_token_0123456789")
    const dir = npmProject(client, "vite-app", "")
    write(dir, "package.json", JSON.stringify({ name: "vite-app", scripts: { build: "vite-not-installed-here build" } }))
    const r = await runFazt(["remote", "deploy", dir, "--json"], { home: client, env: NPM_ENV })
    expect(r.code).toBe(10)
    const envelope = JSON.parse(r.stderr.trim().split("\n").at(-1)!)
    expect(envelope.error.details).toMatchObject({ step: "build", exit_code: 127, missing: "vite-not-installed-here" })
    expect(envelope.error.message).toContain("vite-not-installed-here is not installed")
    expect(peer.seen).toEqual([])
  })

  it("with no package manager on PATH an earlier build ships; with none, the missing tool is named", async () => {
    const { node, client } = await nodeAndClient(cleanups)
    const dir = npmProject(client, "prebuilt", BUILDS_DIST, { "dist/index.html": "<h1>built earlier</h1>" })
    // PATH without npm, pnpm, yarn or bun (the CLI itself runs by node's absolute path).
    const noTools = { ...NPM_ENV, PATH: "/nonexistent" }
    const r = await runFazt(["remote", "deploy", dir], { home: client, env: noTools })
    expect(r.code).toBe(0)
    expect(r.stderr).toContain("no package manager on PATH (npm, pnpm, yarn, bun): shipping the earlier build in dist/")
    expect((await getSite(node.port, "prebuilt", "/")).body.toString()).toBe("<h1>built earlier</h1>")

    fs.rmSync(path.join(dir, "dist"), { recursive: true })
    const none = await runFazt(["remote", "deploy", dir, "--name", "nobuild"], { home: client, env: noTools })
    expect(none.code).toBe(10)
    expect(none.stderr).toContain("none of npm, pnpm, yarn, bun is on PATH")
    expect(none.stderr).toContain("--no-build deploys the folder as it is")
    expect((await getSite(node.port, "nobuild", "/")).status).toBe(404)
  })

  it("Ctrl-C during the build stops it with every process it started; nothing is uploaded", async () => {
    const peer = await scriptedPeer([json(200, { data: {} })])
    cleanups.push(peer.close)
    const client = await homeWithPeer(peer.url, "fzt_build_test_token_0123456789")
    // The build starts a grandchild that would write late.txt after 2 s, and itself waits 20 s.
    const dir = npmProject(client, "slow", `
require("node:child_process").spawn(process.execPath, ["-e", "setTimeout(() => require('node:fs').writeFileSync('late.txt', 'x'), 2000)"], { stdio: "inherit" })
console.log("started")
setTimeout(() => {}, 20000)
`)
    let pid = 0
    const run = runFazt(["remote", "deploy", dir], { home: client, env: NPM_ENV, onSpawn: (p) => (pid = p) })
    const deadline = Date.now() + 10_000
    // npm has started the script once its grandchild runs: wait for the script's own process.
    while (Date.now() < deadline && !/node -e setTimeout/.test(spawnSync("ps", ["-eo", "args"], { encoding: "utf8" }).stdout)) {
      await new Promise((r) => setTimeout(r, 50))
    }
    process.kill(pid, "SIGINT")
    const r = await run
    expect(r.code).toBe(130)
    await new Promise((resolve) => setTimeout(resolve, 2500))
    expect(fs.existsSync(path.join(dir, "late.txt"))).toBe(false)
    expect(peer.seen).toEqual([])
  })

  it("a .gitignore'd private/ ships only with --include-private", async () => {
    const { client, db } = await nodeAndClient(cleanups)
    // The node serves private/ to no one (401, as fazt without a session): its files are looked up in its database.
    const shipped = () =>
      query(db, "SELECT f.path FROM fazt_remote_files f JOIN fazt_remote_sites s ON s.deploy_id = f.deploy_id WHERE s.name = 'with-private' ORDER BY f.path")
        .map((row) => (row as { path: string }).path)
    const dir = path.join(client, "with-private")
    write(dir, "index.html", "<h1>home</h1>")
    write(dir, ".gitignore", "private/\n")
    write(dir, "private/notes.html", "<p>mine</p>")
    const r = await runFazt(["remote", "deploy", dir], { home: client })
    expect(r.code).toBe(0)
    expect(r.stderr).toContain("private/ is gitignored and was left out; --include-private ships it")
    expect(shipped()).toEqual(["index.html"])
    const dry = await runFazt(["remote", "deploy", dir, "--dry-run", "--include-private"], { home: client })
    expect(dry.stdout).toContain("private/notes.html")
    const withIt = await runFazt(["remote", "deploy", dir, "--include-private"], { home: client })
    expect(withIt.code).toBe(0)
    expect(withIt.stderr).toBe("")
    expect(shipped()).toEqual(["index.html", "private/notes.html"])
  })
})

/** What a terminal shows at the end: each line as left after carriage returns and line erases. */
const rendered = (raw: string) =>
  raw.split("\n").map((line) => line.replace(/\r$/, "").split(/\r(?:\x1b\[2K)?/).at(-1)!).filter((l) => l !== "").join("\n")

const hasScript = fs.existsSync("/usr/bin/script")

describe.skipIf(!hasScript)("the build on a terminal (a pty from script(1))", () => {
  /** Runs the built CLI with stdout and stderr on a pseudo-terminal; the output is what the terminal received. */
  const onTerminal = (args: ReadonlyArray<string>, home: string) =>
    new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const quote = (a: string) => `'${a.replace(/'/g, "'\\''")}'`
      const command = [process.execPath, bin, ...args].map(quote).join(" ")
      const child = spawn("script", ["-qec", command, "/dev/null"], {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, COLUMNS: "200", ...NPM_ENV },
        cwd: home,
        stdio: ["ignore", "pipe", "pipe"]
      })
      let output = ""
      child.stdout.setEncoding("utf8").on("data", (c: string) => (output += c))
      child.stderr.setEncoding("utf8").on("data", (c: string) => (output += c))
      child.on("error", reject)
      child.on("close", (code) => resolve({ code, output }))
    })

  it("the build's lines are collapsed when it succeeds, and shown whole when it fails", async () => {
    const { node, client } = await nodeAndClient(cleanups)
    const slow = `${BUILDS_DIST}\nconst t = Date.now(); while (Date.now() - t < 600) {}\nconsole.log("still bundling")\n`
    const ok = await onTerminal(["remote", "deploy", npmProject(client, "tty-ok", slow)], client)
    expect(ok.code).toBe(0)
    const shown = rendered(ok.output)
    expect(shown).toContain("Deployed tty-ok to local")
    expect(shown).toContain("built with npm (package-lock.json)")
    expect(shown).not.toContain("bundling 2 modules")
    // It was on the live line while the build ran, then erased.
    expect(ok.output).toContain("Building tty-ok: npm run")
    expect((await getSite(node.port, "tty-ok", "/")).body.toString()).toBe("<h1>the build</h1>")

    const failed = await onTerminal(["remote", "deploy", npmProject(client, "tty-broken", FAILS)], client)
    expect(failed.code).toBe(10)
    const lines = rendered(failed.output)
    for (let i = 1; i <= 30; i++) expect(lines).toContain(`step ${i}\n`)
    expect(lines).toContain("error TS2304: Cannot find name 'oops'")
    expect(lines).toContain("error: build of tty-broken failed: npm run build exited with code 3")
  })
})

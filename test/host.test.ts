// The package as a host program meets it: packed by `npm pack`, unpacked into
// a fresh project outside the repository whose node_modules has one copy of
// effect, type-checked there against the declared peer range, and run against
// the project's own node on 127.0.0.1.
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runFazt, tempHome } from "./support/cli.js"
import { getSite } from "./support/http.js"
import { type RunningNode, startNode } from "./support/node.js"
import { query } from "./support/sqlite.js"

const run = promisify(execFile)
const repo = path.resolve(__dirname, "..")
const repoModules = path.join(repo, "node_modules")
const cleanEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: os.tmpdir() }

interface Packed {
  readonly tarball: string
  readonly files: ReadonlyArray<string>
}

const pack = async (dryRun: boolean): Promise<Packed> => {
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), "fazt-pack-"))
  const args = ["pack", "--json", "--ignore-scripts", "--pack-destination", dest, ...(dryRun ? ["--dry-run"] : [])]
  const { stdout } = await run("npm", args, { cwd: repo, env: { ...cleanEnv, npm_config_cache: path.join(dest, ".npm") } })
  const [info] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>
  return { tarball: path.join(dest, info!.filename), files: info!.files.map((f) => f.path).sort() }
}

/**
 * A project in a temp folder: the packed package unpacked as
 * node_modules/fazt-remote, every other package linked from this repo's
 * node_modules (as a hoisted install would lay them out), so effect exists
 * exactly once.
 */
const makeHost = async (tarball: string): Promise<string> => {
  const host = fs.mkdtempSync(path.join(os.tmpdir(), "fazt-host-"))
  const modules = path.join(host, "node_modules")
  fs.mkdirSync(modules)
  for (const name of fs.readdirSync(repoModules)) {
    if (name.startsWith(".") || name === "fazt-remote") continue
    if (name.startsWith("@")) {
      fs.mkdirSync(path.join(modules, name))
      for (const sub of fs.readdirSync(path.join(repoModules, name))) {
        fs.symlinkSync(path.join(repoModules, name, sub), path.join(modules, name, sub))
      }
    } else {
      fs.symlinkSync(path.join(repoModules, name), path.join(modules, name))
    }
  }
  await run("tar", ["-xzf", tarball, "-C", host])
  fs.renameSync(path.join(host, "package"), path.join(modules, "fazt-remote"))
  const effectVersion = (JSON.parse(fs.readFileSync(path.join(repoModules, "effect", "package.json"), "utf8")) as { version: string }).version
  fs.writeFileSync(
    path.join(host, "package.json"),
    JSON.stringify({ name: "host", private: true, type: "module", dependencies: { effect: effectVersion, "fazt-remote": "0.1.0" } }, null, 2)
  )
  fs.writeFileSync(
    path.join(host, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        exactOptionalPropertyTypes: true,
        types: ["node"],
        outDir: "out",
        // Our .d.ts files are checked too, against the host's effect.
        skipLibCheck: false
      },
      include: ["*.ts"]
    })
  )
  fs.copyFileSync(path.join(repo, "examples", "deploy-folder.ts"), path.join(host, "deploy-folder.ts"))
  return host
}

/** Every distinct effect package a module of the host would load. */
const effectCopies = (host: string): Set<string> => {
  const found = new Set<string>()
  const from = [
    path.join(host, "deploy-folder.ts"),
    path.join(host, "node_modules", "fazt-remote", "dist", "index.js"),
    ...["@effect/platform", "@effect/sql", "@effect/platform-node", "@effect/experimental"].map((p) =>
      fs.realpathSync(path.join(host, "node_modules", p, "package.json"))
    )
  ]
  for (const file of from) found.add(fs.realpathSync(createRequire(file).resolve("effect/package.json")))
  return found
}

const satisfies = (version: string, range: string): boolean => {
  const semver = createRequire(path.join(repoModules, "x.js"))("semver") as { satisfies: (v: string, r: string) => boolean }
  return semver.satisfies(version, range)
}

describe("a host program outside the repository", () => {
  let host: string
  let node: RunningNode
  let token: string
  let nodeHome: string
  // What tsc printed compiling the host's program: each test below stands on its own.
  let compiled: string

  beforeAll(async () => {
    host = await makeHost((await pack(false)).tarball)
    const tsc = path.join(host, "node_modules", "typescript", "bin", "tsc")
    compiled = (await run(process.execPath, [tsc, "-p", host], { cwd: host, env: cleanEnv }).catch((e: { stdout: string }) => e)).stdout
    nodeHome = tempHome()
    const nodeDb = path.join(nodeHome, "node.db")
    token = (await runFazt(["server", "create-key", "--name", "host", "--db", nodeDb], { home: nodeHome })).stdout.trim()
    node = await startNode({ db: nodeDb, home: nodeHome })
  }, 120_000)
  afterAll(async () => {
    await node?.stop()
  })

  it("declares effect, @effect/platform and @effect/sql as peers, and the host has exactly one effect", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(host, "node_modules", "fazt-remote", "package.json"), "utf8")) as {
      peerDependencies: Record<string, string>
      dependencies: Record<string, string>
    }
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual(["@effect/platform", "@effect/sql", "effect"])
    for (const peer of Object.keys(manifest.peerDependencies)) expect(manifest.dependencies[peer]).toBeUndefined()
    const installed = (name: string) =>
      (JSON.parse(fs.readFileSync(path.join(host, "node_modules", name, "package.json"), "utf8")) as { version: string }).version
    for (const [name, range] of Object.entries(manifest.peerDependencies)) expect(satisfies(installed(name), range)).toBe(true)
    // Effect 4 is outside the range: npm refuses the install instead of loading a second, incompatible effect.
    expect(satisfies("4.1.0", manifest.peerDependencies["effect"]!)).toBe(false)
    expect([...effectCopies(host)]).toHaveLength(1)
  })

  it("type-checks against the packed .d.ts and the host's effect (tsc, no skipLibCheck)", () => {
    expect(compiled).toBe("")
    expect(fs.existsSync(path.join(host, "out", "deploy-folder.js"))).toBe(true)
  })

  it("adds a peer, checks status, catches PeerNotFound by tag and deploys a folder with progress, twice", async () => {
    const site = path.join(host, "my-site")
    fs.mkdirSync(path.join(site, "css"), { recursive: true })
    fs.writeFileSync(path.join(site, "index.html"), "<h1>from a host program</h1>")
    fs.writeFileSync(path.join(site, "css", "a.css"), "h1 { color: teal }")
    fs.writeFileSync(path.join(site, ".env"), "SECRET=stays-home")
    const database = path.join(host, "host.db")
    const runHost = () =>
      run(process.execPath, [path.join(host, "out", "deploy-folder.js"), node.url, site, database], {
        cwd: host,
        env: { ...cleanEnv, FAZT_TOKEN: token }
      })

    // The second run finds the peer the first one added: still one row, still one peer.
    for (let attempt = 0; attempt < 2; attempt++) {
      const { stdout, stderr } = await runHost()
      const report = JSON.parse(stdout) as Record<string, unknown>
      expect(report).toEqual({
        peer: expect.stringContaining("<redacted>"),
        health: "healthy",
        version: expect.any(String),
        lookup: "no peer named 'staging'",
        site: "my-site",
        files: 2,
        url: `http://my-site.localhost:${node.port}/`,
        phases: ["scanning", "uploading", "processing", "done"],
        peers: 1
      })
      expect(stdout + stderr).not.toContain(token)
      expect(stderr).toMatch(/^scanning 0 bytes\nprocessing \d+ bytes\ndone \d+ bytes\n$/)
      expect(query(database, "SELECT name, url, last_status FROM peers")).toEqual([{ name: "local", url: node.url, last_status: "healthy" }])
    }
    const served = await getSite(node.port, "my-site", "/")
    expect(served.body.toString()).toBe("<h1>from a host program</h1>")
    expect((await getSite(node.port, "my-site", "/.env")).body.toString()).not.toContain("stays-home")
  }, 120_000)
})

describe("npm pack", () => {
  it("ships the CLI, the library with its types, the examples and every doc the README links to; no tests or sources", async () => {
    const { files } = await pack(true)
    for (const f of ["package.json", "README.md", "bin/fazt.cjs", "dist/fazt.cjs", "dist/index.js", "dist/types/index.d.ts", "examples/deploy-folder.ts", "examples/fleet-status.ts"]) {
      expect(files).toContain(f)
    }
    // Each relative link of the README (and of the docs it links) is a file that ships.
    const linked = new Set<string>()
    const visit = (doc: string) => {
      const text = fs.readFileSync(path.join(repo, doc), "utf8")
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue
        const file = path.posix.normalize(path.posix.join(path.posix.dirname(doc), target!))
        if (!linked.has(file)) {
          linked.add(file)
          if (file.endsWith(".md")) visit(file)
        }
      }
      for (const [, mentioned] of text.matchAll(/`((?:examples|docs)\/[\w./-]+)`/g)) linked.add(mentioned!)
    }
    visit("README.md")
    expect([...linked].sort()).toEqual(expect.arrayContaining(["docs/JSON.md", "docs/RELIABILITY.md", "examples/fleet-status.ts"]))
    for (const file of linked) expect(files, file).toContain(file)
    expect(files.filter((f) => /^(test|src|bench|scripts)\//.test(f) || f.includes("node_modules"))).toEqual([])
    // No V8 code cache ships: each is made on first run for the Node in use (test/cli/code-cache.test.ts).
    expect(files.filter((f) => f.includes(".cache"))).toEqual([])
    expect(files).toContain("dist/fazt.id")
    // The lazily loaded pieces of the library ship too.
    expect(files.filter((f) => f.startsWith("dist/lib/")).length).toBeGreaterThan(0)
  }, 60_000)
})

import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { root, runFazt, tempHome } from "./support/cli.js"
import { type RunningNode, startNode } from "./support/node.js"

// The CLI is esbuild's split output as CommonJS files (dist/fazt.cjs and
// fazt-<hash>.cjs chunks, scripts/bundle-cli.mjs); dist/fazt-chunks.json says
// which modules each file holds. bin/fazt.cjs compiles and runs a file the
// first time it is required, and an ES module's top level runs when its file
// does; a CommonJS module (`ignore`) is an init function named after its file
// (`"node_modules/ignore/index.js"(exports, module){…}`), run the first time
// something requires it. V8's coverage (NODE_V8_COVERAGE, no change to the
// build) counts the calls of every function of the run, a file's top level
// included, and lists no file that was never loaded.

/** How many times each watched module's init ran; `undefined` when V8 never saw its file. */
const evaluatedBy = async (args: ReadonlyArray<string>, home: string) => {
  const chunks = JSON.parse(fs.readFileSync(path.join(root, "dist", "fazt-chunks.json"), "utf8")) as Record<string, ReadonlyArray<string>>
  const coverage = fs.mkdtempSync(path.join(home, "coverage-"))
  const run = await runFazt(args, { home, env: { NODE_V8_COVERAGE: coverage } })
  const calls = new Map<string, number>()
  const fileRuns = new Map<string, number>()
  for (const file of fs.readdirSync(coverage)) {
    const report = JSON.parse(fs.readFileSync(path.join(coverage, file), "utf8")) as {
      result: Array<{ url: string; functions: Array<{ functionName: string; ranges: Array<{ count: number }> }> }>
    }
    for (const script of report.result) {
      const name = script.url.split("/dist/").pop()!
      if (!script.url.includes("/dist/") || !(name in chunks)) continue
      // The first function is the file's top level.
      fileRuns.set(name, (fileRuns.get(name) ?? 0) + (script.functions[0]?.ranges[0]?.count ?? 0))
      for (const fn of script.functions) calls.set(fn.functionName, (calls.get(fn.functionName) ?? 0) + (fn.ranges[0]?.count ?? 0))
    }
  }
  fs.rmSync(coverage, { recursive: true, force: true })
  const inits = (module: string) => {
    const file = Object.keys(chunks).find((f) => chunks[f]!.includes(module))
    expect(file, `${module} is in no file of dist/fazt-chunks.json`).toBeDefined()
    return calls.get(module) ?? fileRuns.get(file!)
  }
  return {
    run,
    zipWriter: inits("src/services/zip/zipWriter.ts"),
    siteArchiveZip: inits("src/services/client/SiteArchiveZip.ts"),
    // The `ignore` package (the .gitignore matcher), CommonJS wrapped by esbuild.
    ignore: inits("node_modules/ignore/index.js"),
    httpTransport: inits("src/services/client/HttpTransport.ts")
  }
}

let node: RunningNode
let client: string
beforeAll(async () => {
  const home = tempHome()
  const db = path.join(home, "node.db")
  const key = await runFazt(["server", "create-key", "--name", "test", "--db", db], { home })
  node = await startNode({ db, home })
  client = tempHome()
  const added = await runFazt(["remote", "add", "local", node.url, "--token-stdin"], { home: client, stdin: key.stdout.trim() })
  expect(added.code).toBe(0)
}, 60_000)
afterAll(() => node?.stop())

describe("what the built CLI evaluates (bin/fazt.cjs against a loopback node)", () => {
  it("remote status, apps and upgrade --check never evaluate the zip writer, the folder scanner or `ignore`", async () => {
    for (const verb of [["status"], ["apps"], ["upgrade", "--check"]]) {
      const seen = await evaluatedBy(["remote", ...verb, "local", "--json"], client)
      // The verb really talked to the node (so the HTTP client's module did run, and was seen to).
      expect({ verb, code: seen.run.code, stderr: seen.run.stderr }).toEqual({ verb, code: 0, stderr: "" })
      expect(seen.httpTransport).toBe(1)
      expect({ verb, zipWriter: seen.zipWriter ?? 0, siteArchiveZip: seen.siteArchiveZip ?? 0, ignore: seen.ignore ?? 0 })
        .toEqual({ verb, zipWriter: 0, siteArchiveZip: 0, ignore: 0 })
    }
  }, 60_000)

  it("remote deploy evaluates each of them, once", async () => {
    const site = path.join(client, "lazy-site")
    fs.mkdirSync(site, { recursive: true })
    fs.writeFileSync(path.join(site, "index.html"), "<h1>lazy</h1>")
    fs.writeFileSync(path.join(site, ".gitignore"), "*.tmp\n")
    const seen = await evaluatedBy(["remote", "deploy", site, "local"], client)
    expect(seen.run.code).toBe(0)
    expect(seen.run.stdout).toContain("Deployed lazy-site to local: 1 file")
    expect({ zipWriter: seen.zipWriter, siteArchiveZip: seen.siteArchiveZip, ignore: seen.ignore, httpTransport: seen.httpTransport })
      .toEqual({ zipWriter: 1, siteArchiveZip: 1, ignore: 1, httpTransport: 1 })
  }, 60_000)
  it("remote deploy --dry-run builds no network layer: the HTTP transport is never evaluated (issue 26)", async () => {
    const site = path.join(client, "dry-site")
    fs.mkdirSync(site, { recursive: true })
    fs.writeFileSync(path.join(site, "index.html"), "<h1>dry</h1>")
    const seen = await evaluatedBy(["remote", "deploy", site, "local", "--dry-run"], client)
    expect({ code: seen.run.code, stdout: seen.run.stdout }).toEqual({ code: 0, stdout: "index.html\t12\n" })
    expect({ siteArchiveZip: seen.siteArchiveZip, httpTransport: seen.httpTransport ?? 0 }).toEqual({ siteArchiveZip: 1, httpTransport: 0 })
  }, 60_000)
})

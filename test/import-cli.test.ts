import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runFazt, tempHome } from "./support/cli.js"
import { type RunningNode, startNode } from "./support/node.js"

// The CLI is one esbuild bundle in which each of our modules is an `__esm`
// init function named after its file (`"src/services/zip/zipWriter.ts"(){…}`),
// run once, the first time something imports it. V8's coverage
// (NODE_V8_COVERAGE, no change to the bundle) counts the calls of every
// function of the run: a module was evaluated iff its init function ran.

/** How many times each watched module's init ran; `undefined` when V8 saw no such function at all. */
const evaluatedBy = async (args: ReadonlyArray<string>, home: string) => {
  const coverage = fs.mkdtempSync(path.join(home, "coverage-"))
  const run = await runFazt(args, { home, env: { NODE_V8_COVERAGE: coverage } })
  const calls = new Map<string, number>()
  for (const file of fs.readdirSync(coverage)) {
    const report = JSON.parse(fs.readFileSync(path.join(coverage, file), "utf8")) as {
      result: Array<{ url: string; functions: Array<{ functionName: string; ranges: Array<{ count: number }> }> }>
    }
    for (const script of report.result) {
      if (!script.url.endsWith("/dist/fazt.cjs")) continue
      for (const fn of script.functions) calls.set(fn.functionName, (calls.get(fn.functionName) ?? 0) + (fn.ranges[0]?.count ?? 0))
    }
  }
  fs.rmSync(coverage, { recursive: true, force: true })
  const inits = (module: string) => calls.get(module)
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
})

import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"

const run = promisify(execFile)
const repo = path.resolve(__dirname, "..")

/** The module URLs a clean Node process resolves while running `code`. */
const resolvedBy = async (code: string): Promise<Array<string>> => {
  const script = `${code}
await new Promise((r) => setTimeout(r, 100))
console.log(JSON.stringify([...globalThis.__faztResolvedModules]))`
  const { stdout } = await run(
    process.execPath,
    ["--import", path.join(repo, "test/support/recordImports.mjs"), "--input-type=module", "-e", script],
    { cwd: repo, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: repo } }
  )
  return JSON.parse(stdout) as Array<string>
}

describe('import("fazt-remote")', () => {
  it("evaluates no CLI, no node-server, no HTTP client and no zip code until used", async () => {
    const urls = await resolvedBy(`await import("fazt-remote")`)
    const ours = urls.filter((u) => u.startsWith(`file://${repo}/dist/`))
    expect(ours.length).toBeGreaterThan(0)
    expect(urls.filter((u) => /node_modules\/(@effect\/(cli|printer|printer-ansi|platform-node)|undici|yauzl|bcryptjs|ignore)\//.test(u))).toEqual([])
    expect(ours.filter((u) => /fazt\.cjs|HttpTransport|SiteArchiveZip/.test(u))).toEqual([])
    expect(urls).not.toContain("node:http")
    expect(urls).not.toContain("node:zlib")
    // …and no code of the node (fazt server) or the CLI is in what it loads at all.
    for (const url of ours) {
      const text = fs.readFileSync(new URL(url), "utf8")
      expect(text).not.toMatch(/@effect\/cli|NodeSites|NodeKeys|DeployRejected|createServer/)
    }
  }, 60_000)

  it("loads the HTTP client once a host calls a peer", async () => {
    const urls = await resolvedBy(`
const { FaztRemote } = await import("fazt-remote")
const { Effect, Layer } = await import("effect")
await Effect.runPromise(Effect.scoped(Layer.build(FaztRemote.httpTransport({}))))`)
    expect(urls.some((u) => /dist\/lib\/HttpTransport-/.test(u))).toBe(true)
    // @effect/platform-node's NodeStream is inlined in that chunk: the package itself is not a dependency of the library.
    expect(urls.some((u) => /node_modules\/@effect\/platform-node\//.test(u))).toBe(false)
  }, 60_000)
})

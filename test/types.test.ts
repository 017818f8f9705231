import { execFile } from "node:child_process"
import * as path from "node:path"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"

const repo = path.resolve(__dirname, "..")

describe("the library's types (compiled with tsc)", () => {
  it("each PeerClient method's error channel is exactly what it can fail with: status has no archive errors", async () => {
    const tsc = path.join(repo, "node_modules", "typescript", "bin", "tsc")
    const r = await promisify(execFile)(process.execPath, [tsc, "-p", path.join(repo, "test", "types", "tsconfig.json")], { cwd: repo })
      .catch((e: { stdout: string }) => e)
    expect(r.stdout).toBe("")
  }, 120_000)
})

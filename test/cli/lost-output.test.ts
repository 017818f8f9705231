import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { clientDb, runFazt, tempHome } from "../support/cli.js"
import { query } from "../support/sqlite.js"

// Issue 22: output that is lost is never called success (exit 9, OUTPUT_LOST);
// a reader that has gone (EPIPE) still is not a failure (test/cli/stdio.test.ts).

const homeWithOnePeer = async () => {
  const home = tempHome()
  expect((await runFazt(["remote", "add", "a", "https://a.example", "--token", "fzt_lost_output_0123456789"], { home })).code).toBe(0)
  return home
}

describe("lost output", () => {
  it("stdout on a full disk (/dev/full): exit 9 with OUTPUT_LOST naming ENOSPC, human and --json", async () => {
    const home = await homeWithOnePeer()
    const human = await runFazt(["remote"], { home, shellPrefix: "exec >/dev/full;" })
    expect(human.code).toBe(9)
    expect(human.stderr).toBe("error: could not write to stdout: the disk is full (ENOSPC); what was written there is lost\n")
    const json = await runFazt(["remote", "--json"], { home, shellPrefix: "exec >/dev/full;" })
    expect(json.code).toBe(9)
    expect(JSON.parse(json.stderr).error).toMatchObject({ code: "OUTPUT_LOST", details: { stream: "stdout", code: "ENOSPC" } })
    const version = await runFazt(["--version"], { home, shellPrefix: "exec >/dev/full;" })
    expect(version.code).toBe(9)
  })

  it("> /dev/null stays a success (a descriptor closed before we start, >&-, reads the same: Node reopens it on /dev/null)", async () => {
    const home = await homeWithOnePeer()
    const devNull = await runFazt(["remote", "--json"], { home, shellPrefix: "exec >/dev/null;" })
    expect(devNull.code).toBe(0)
    expect(devNull.stderr).toBe("")
  })

  it("stderr on a full disk, with a warning to say: exit 9, the peer still added", async () => {
    const home = tempHome()
    const r = await runFazt(["remote", "add", "a", "https://a.example"], { home, shellPrefix: "exec 2>/dev/full;" })
    expect(r.code).toBe(9)
    expect(query(clientDb(home), "SELECT name FROM peers")).toEqual([{ name: "a" }])
  })

  it("a command that failed keeps its own exit code", async () => {
    const home = await homeWithOnePeer()
    const r = await runFazt(["remote", "show", "ghost"], { home, shellPrefix: "exec >/dev/full;" })
    expect(r.code).toBe(3)
  })

  it("server create-key stores the key only once it has been printed: > /dev/full → exit 9, no key stored", async () => {
    const home = tempHome()
    const db = path.join(home, "node.db")
    for (const prefix of ["exec >/dev/full;"]) {
      for (const extra of [[], ["--json"]]) {
        const r = await runFazt(["server", "create-key", "--name", "laptop", "--db", db, ...extra], { home, shellPrefix: prefix })
        expect(r.code, `${prefix} ${extra.join(" ")}`).toBe(9)
        expect(r.stderr).toContain("could not write to stdout")
      }
    }
    expect(query(db, "SELECT count(*) AS n FROM api_keys")).toEqual([{ n: 0 }])
    const ok = await runFazt(["server", "create-key", "--name", "laptop", "--db", db], { home })
    expect(ok.code).toBe(0)
    expect(ok.stdout).toMatch(/^fzt_[0-9a-f]+\n$/)
    expect(query(db, "SELECT name FROM api_keys")).toEqual([{ name: "laptop" }])
  })
})

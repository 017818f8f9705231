import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { runFazt, tempHome } from "../support/cli.js"

// Issue 22: files that hold tokens end 0600 whenever they are ours; a looser
// one we do not own gets one warning naming it and the fix.

const TOKEN = "fzt_file_modes_0123456789abcdef"
const modeOf = (file: string) => fs.statSync(file).mode & 0o777

describe("files that hold tokens", () => {
  it("a database made before the first add (touch, or 0666) ends 0600, its WAL too", async () => {
    const home = tempHome()
    for (const [name, mode] of [["touched.db", 0o644], ["open.db", 0o666]] as const) {
      const file = path.join(home, name)
      fs.writeFileSync(file, "")
      fs.chmodSync(file, mode)
      const r = await runFazt(["remote", "add", "a", "https://a.example", "--token-stdin", "--db", file], { home, stdin: TOKEN })
      expect(r.code).toBe(0)
      expect(r.stderr).not.toContain("warning: " + file)
      expect(modeOf(file)).toBe(0o600)
      for (const side of [`${file}-wal`, `${file}-shm`]) if (fs.existsSync(side)) expect(modeOf(side)).toBe(0o600)
    }
  })

  it("an existing 0644 database of ours is made 0600 by any command, a listing too", async () => {
    const home = tempHome()
    const file = path.join(home, "x.db")
    expect((await runFazt(["remote", "add", "a", "https://a.example", "--token-stdin", "--db", file], { home, stdin: TOKEN })).code).toBe(0)
    fs.chmodSync(file, 0o644)
    const r = await runFazt(["remote", "--db", file], { home })
    expect(r.code).toBe(0)
    expect(modeOf(file)).toBe(0o600)
  })

  it.skipIf(process.getuid?.() !== 0)("a loose database we do not own: left alone, one warning naming it and the fix (a JSON line under --json)", async () => {
    const home = tempHome()
    const file = path.join(home, "theirs.db")
    expect((await runFazt(["remote", "add", "a", "https://a.example", "--token-stdin", "--db", file], { home, stdin: TOKEN })).code).toBe(0)
    fs.chmodSync(file, 0o644)
    fs.chownSync(file, 65534, 65534)
    const r = await runFazt(["remote", "--db", file], { home })
    expect(r.code).toBe(0)
    expect(r.stderr).toBe(`warning: ${file} holds tokens and other users may read it (mode 0644), and it is not ours to change: run 'chmod 600 ${file}' as its owner\n`)
    expect(modeOf(file)).toBe(0o644)
    const json = await runFazt(["remote", "--db", file, "--json"], { home })
    expect(json.stderr.trim().split("\n").map((l) => JSON.parse(l))).toEqual([{ warning: expect.stringContaining(`run 'chmod 600 ${file}'`) }])
  })

  it("config.json.migrated ends 0600 (every old token is in it), also one an older version left 0644", async () => {
    const home = tempHome()
    fs.mkdirSync(path.join(home, ".fazt"))
    const config = path.join(home, ".fazt", "config.json")
    fs.writeFileSync(config, JSON.stringify({ servers: { old: { url: "https://old.example", token: TOKEN } } }))
    fs.chmodSync(config, 0o644)
    expect((await runFazt(["remote"], { home })).code).toBe(0)
    expect(modeOf(`${config}.migrated`)).toBe(0o600)
    fs.chmodSync(`${config}.migrated`, 0o644)
    expect((await runFazt(["remote"], { home })).code).toBe(0)
    expect(modeOf(`${config}.migrated`)).toBe(0o600)
  })
})

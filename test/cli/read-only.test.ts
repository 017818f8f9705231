import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { runFazt, tempHome } from "../support/cli.js"

// Issue 22: reading creates nothing; --db and the environment are judged alike.

/** Every path under `dir`, relative, sorted. */
const tree = (dir: string): Array<string> =>
  fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).sort()

describe("read-only commands never create a file or folder", () => {
  it("listing, show, status, apps, deploy --dry-run on a fresh HOME: no peers yet, nothing created", async () => {
    const home = tempHome()
    const site = path.join(home, "site")
    fs.mkdirSync(site)
    fs.writeFileSync(path.join(site, "index.html"), "hi")
    const list = await runFazt(["remote"], { home })
    expect(list.code).toBe(0)
    expect(list.stderr).toContain("No peers yet")
    expect(JSON.parse((await runFazt(["remote", "--json"], { home })).stdout)).toEqual({ data: [] })
    expect((await runFazt(["remote", "show", "x"], { home })).code).toBe(3)
    expect((await runFazt(["remote", "status"], { home })).code).toBe(3)
    expect((await runFazt(["remote", "apps", "x"], { home })).code).toBe(3)
    expect((await runFazt(["remote", "deploy", site, "--dry-run"], { home })).code).toBe(3)
    expect((await runFazt(["remote", "default", "x"], { home })).code).toBe(3)
    expect((await runFazt(["remote", "migrate"], { home })).code).toBe(0)
    expect(tree(home)).toEqual(["site", "site/index.html"])
  })

  it("a mistyped --db /nonexistent/dir/x.db for a listing: no peers yet, no folder made", async () => {
    const home = tempHome()
    const missing = path.join(home, "nonexistent", "dir", "x.db")
    const r = await runFazt(["remote", "--db", missing], { home })
    expect(r.code).toBe(0)
    expect(r.stderr).toContain("No peers yet")
    expect(fs.existsSync(path.join(home, "nonexistent"))).toBe(false)
    // A write creates it, as before.
    expect((await runFazt(["remote", "add", "a", "https://a.example", "--db", missing], { home })).code).toBe(0)
    expect(fs.existsSync(missing)).toBe(true)
  })

  it("an old config to import is still imported by the first listing", async () => {
    const home = tempHome()
    fs.mkdirSync(path.join(home, ".fazt"))
    fs.writeFileSync(path.join(home, ".fazt", "config.json"), JSON.stringify({ servers: { old: { url: "https://old.example" } } }))
    const r = await runFazt(["remote", "--json"], { home })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).data.map((p: { name: string }) => p.name)).toEqual(["old"])
  })
})

describe("--db and the environment are validated alike", () => {
  const bad: ReadonlyArray<readonly [string, string, string]> = [
    ["empty", "", "is empty"],
    ["whitespace only", "   ", "is empty"],
    [":memory:", ":memory:", "in-memory database"],
    ["a newline", "data\n.db", "control character"]
  ]
  for (const [label, value, says] of bad) {
    it(`${label}: exit 2 from --db, FAZT_DB and FAZT_DB_PATH, for remote and server; nothing created`, async () => {
      const home = tempHome()
      const runs = [
        await runFazt(["remote", "--db", value], { home }),
        await runFazt(["remote", "add", "a", "https://a.example", `--db=${value}`], { home }),
        await runFazt(["remote"], { home, env: { FAZT_DB: value } }),
        await runFazt(["remote", "add", "a", "https://a.example"], { home, env: { FAZT_DB: value } }),
        await runFazt(["remote"], { home, env: { FAZT_DB_PATH: value } }),
        await runFazt(["server", "create-key", "--name", "k"], { home, env: { FAZT_DB: value } })
      ]
      for (const r of runs) {
        expect(r.code, r.stderr).toBe(2)
        expect(r.stderr).toContain(says)
        expect(r.stderr.trim().split("\n")).toHaveLength(1)
      }
      const json = await runFazt(["remote", "--json"], { home, env: { FAZT_DB: value } })
      expect(JSON.parse(json.stderr).error.code).toBe("USAGE")
      expect(tree(home)).toEqual([])
    })
  }
})

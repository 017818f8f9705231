import Sqlite from "better-sqlite3"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { clientDb, runFazt, tempHome } from "../support/cli.js"
import { query } from "../support/sqlite.js"

// Issue 22: sizes with a bound, at every input route; tables that stay small.

const longUrl = (n: number) => `https://admin.example.com/${"a".repeat(n - 26)}`

describe("documented limits", () => {
  it("a URL over 2048 characters is refused at add, set-url and in the old config, echoed cut short", async () => {
    const home = tempHome()
    expect((await runFazt(["remote", "add", "ok", "https://ok.example"], { home })).code).toBe(0)
    expect((await runFazt(["remote", "add", "edge", longUrl(2048)], { home })).code).toBe(0)
    for (const args of [["remote", "add", "big", longUrl(120 * 1024)], ["remote", "set-url", "ok", longUrl(2049)]]) {
      const r = await runFazt(args, { home })
      expect(r.code).toBe(2)
      expect(r.stderr).toContain("it is longer than 2048 characters")
      expect(r.stderr.length).toBeLessThan(600)
    }
    fs.mkdirSync(path.join(home, ".fazt"), { recursive: true })
    fs.writeFileSync(path.join(home, ".fazt", "config.json"), JSON.stringify({ servers: { huge: { url: longUrl(5000) } } }))
    const imported = await runFazt(["remote"], { home })
    expect(imported.stderr).toContain("skipped 'huge'")
    expect(imported.stderr).toContain("longer than 2048 characters")
    expect(imported.stderr.length).toBeLessThan(1200)
    expect(query(clientDb(home), "SELECT name FROM peers ORDER BY name")).toEqual([{ name: "edge" }, { name: "ok" }])
  })

  it("a description over 500 characters is refused; 500 is taken", async () => {
    const home = tempHome()
    const over = await runFazt(["remote", "add", "a", "https://a.example", "--description", "d".repeat(501)], { home })
    expect(over.code).toBe(2)
    expect(over.stderr).toContain("longer than 500 characters")
    const edge = await runFazt(["remote", "add", "a", "https://a.example", "--description", "d".repeat(500)], { home })
    expect(edge.code).toBe(0)
  })

  it("a listing of peers another tool stored with 120 KiB URLs: every cell cut with …, --json whole", async () => {
    const home = tempHome()
    expect((await runFazt(["remote", "add", "seed", "https://seed.example"], { home })).code).toBe(0)
    const db = new Sqlite(clientDb(home))
    const insert = db.prepare("INSERT INTO peers (name, url) VALUES (?, ?)")
    const url = longUrl(120 * 1024)
    db.transaction(() => { for (let i = 0; i < 60; i++) insert.run(`p${i}`, url) })()
    db.close()
    const r = await runFazt(["remote"], { home })
    expect(r.code).toBe(0)
    const lines = r.stdout.trim().split("\n")
    expect(lines).toHaveLength(62)
    for (const line of lines) expect(line.length).toBeLessThan(300)
    expect(lines[1]).toContain("…")
    const json = await runFazt(["remote", "--json"], { home })
    expect(JSON.parse(json.stdout).data[0].url).toBe(url)
  })

  it("--timeout has a maximum (24h): 999999999999999999h and 25h are refused, 24h is taken", async () => {
    const home = tempHome()
    for (const value of ["999999999999999999h", "25h", "90000s"]) {
      const r = await runFazt(["remote", "--timeout", value], { home })
      expect(r.code, value).toBe(2)
      expect(r.stderr).toContain("at most 24h")
    }
    expect((await runFazt(["remote", "--timeout", "24h"], { home })).code).toBe(0)
  })
})

import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { clientDb, FIXTURE_CONFIG, FIXTURE_DB, runFazt, tempHome } from "../support/cli.js"
import { query, snapshot } from "../support/sqlite.js"

const TOKEN = "fzt_secretsecretsecret0123456789"

const peers = (file: string) =>
  query<{ name: string; url: string; token: string | null; is_default: number }>(
    file,
    "SELECT name, url, token, is_default FROM peers ORDER BY name"
  )

describe("fazt remote on a fresh HOME", () => {
  it("a listing creates nothing; the first add creates ~/.fazt/data.db, fazt's own (0600, folder 0700), with migration 9 'peers'", async () => {
    const home = tempHome()
    const r = await runFazt(["remote"], { home })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe("")
    expect(r.stderr).toContain("fazt remote add")
    expect(fs.readdirSync(home)).toEqual([])
    expect((await runFazt(["remote", "add", "a", "https://a.example"], { home })).code).toBe(0)
    const file = clientDb(home)
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700)
    expect(query(file, "SELECT version, name FROM migrations")).toEqual([{ version: 9, name: "peers" }])
    expect(query(file, "PRAGMA journal_mode")).toEqual([{ journal_mode: "wal" }])
  })

  it("honours FAZT_DB, and --db over it (the rest of the order: test/cli/one-database.test.ts)", async () => {
    const home = tempHome()
    const envDb = path.join(home, "env.db")
    await runFazt(["remote", "add", "a", "https://a.example"], { home, env: { FAZT_DB: envDb } })
    expect(peers(envDb).map((p) => p.name)).toEqual(["a"])
    const flagDb = path.join(home, "flag.db")
    await runFazt(["remote", "add", "b", "https://b.example", "--db", flagDb], { home, env: { FAZT_DB: envDb } })
    expect(peers(flagDb).map((p) => p.name)).toEqual(["b"])
    expect(peers(envDb).map((p) => p.name)).toEqual(["a"])
  })

  it("runs every local command end to end; --json parses; tokens never printed whole", async () => {
    const home = tempHome()
    const outputs: Array<string> = []
    const run = async (args: Array<string>, opts: { stdin?: string; env?: Record<string, string> } = {}) => {
      const r = await runFazt(args, { home, ...opts })
      outputs.push(r.stdout, r.stderr)
      return r
    }
    expect((await run(["remote", "add", "zyt", "https://admin.zyt.app/", "--token", TOKEN, "--description", "Personal"])).code).toBe(0)
    expect((await run(["remote", "add", "home", "https://home.example:8080", "--token-stdin"], { stdin: `${TOKEN}x\n` })).code).toBe(0)
    expect((await run(["remote", "add", "pi", "http://127.0.0.1:9"], { env: { FAZT_TOKEN: `${TOKEN}y` } })).code).toBe(0)

    const file = clientDb(home)
    expect(peers(file)).toEqual([
      { name: "home", url: "https://home.example:8080", token: `${TOKEN}x`, is_default: 0 },
      { name: "pi", url: "http://127.0.0.1:9", token: `${TOKEN}y`, is_default: 0 },
      { name: "zyt", url: "https://admin.zyt.app", token: TOKEN, is_default: 1 }
    ])

    const list = await run(["remote", "--json"])
    const listed = JSON.parse(list.stdout).data
    expect(listed.map((p: { name: string }) => p.name)).toEqual(["home", "pi", "zyt"])
    expect(listed[2]).toMatchObject({ is_default: true, token: "fzt_…789", description: "Personal" })

    const human = await run(["remote"])
    expect(human.stdout).toMatch(/\*\s+zyt\s+https:\/\/admin\.zyt\.app/)

    expect((await run(["remote", "default", "home", "--json"])).code).toBe(0)
    expect(peers(file).filter((p) => p.is_default === 1).map((p) => p.name)).toEqual(["home"])

    const renamed = await run(["remote", "rename", "pi", "raspberry", "--json"])
    expect(JSON.parse(renamed.stdout).data.name).toBe("raspberry")
    expect((await run(["remote", "set-url", "raspberry", "http://127.0.0.2:8080/"])).code).toBe(0)
    expect((await run(["remote", "set-token", "raspberry", "--token-stdin"], { stdin: `${TOKEN}z` })).code).toBe(0)
    expect(peers(file).find((p) => p.name === "raspberry")).toMatchObject({ url: "http://127.0.0.2:8080", token: `${TOKEN}z` })

    const show = await run(["remote", "show", "raspberry"])
    expect(show.stdout).toContain("URL:          http://127.0.0.2:8080")
    const showJson = JSON.parse((await run(["--json", "remote", "show", "zyt"])).stdout).data
    expect(showJson.token).toBe("fzt_…789")

    const removed = await run(["remote", "remove", "raspberry", "--json"])
    expect(JSON.parse(removed.stdout).data.name).toBe("raspberry")
    expect(peers(file).map((p) => p.name)).toEqual(["home", "zyt"])

    for (const out of outputs) expect(out).not.toContain(TOKEN)
    // --show-token is the one deliberate exception.
    const revealed = await runFazt(["remote", "show", "zyt", "--show-token"], { home })
    expect(revealed.stdout).toContain(TOKEN)
  })

  it("marks the first peer default, and the only peer is the default when none is marked", async () => {
    const home = tempHome()
    await runFazt(["remote", "add", "one", "https://one.example"], { home })
    expect(peers(clientDb(home))[0]!.is_default).toBe(1)
    await runFazt(["remote", "add", "two", "https://two.example", "--default"], { home })
    expect(peers(clientDb(home)).map((p) => p.is_default)).toEqual([0, 1])
    await runFazt(["remote", "remove", "two"], { home })
    const list = JSON.parse((await runFazt(["remote", "--json"], { home })).stdout).data
    // The only peer left is marked the default in the file too (issue 24: the message says so).
    expect(peers(clientDb(home))).toMatchObject([{ name: "one", is_default: 1 }])
    expect(list).toMatchObject([{ name: "one", is_default: true }])
    const show = await runFazt(["remote", "show", "one"], { home })
    expect(show.stdout).toContain("one (default)")
  })
})

describe("exit codes and nothing half-written", () => {
  const cases: Array<[string, Array<string>, number, RegExp]> = [
    ["upper-case name", ["remote", "add", "Bad_Name", "https://x.example"], 2, /invalid name 'Bad_Name'/],
    ["name with a leading dash", ["remote", "add", "--", "-x", "https://x.example"], 2, /invalid name '-x'/],
    ["64-character name", ["remote", "add", "a".repeat(64), "https://x.example"], 2, /longer than 63/],
    ["ftp URL", ["remote", "add", "x", "ftp://x.example"], 2, /scheme ftp/],
    ["credentials in URL", ["remote", "add", "x", "https://user:pw@x.example"], 2, /credentials/],
    ["garbage URL", ["remote", "add", "x", "not a url"], 2, /not an absolute URL/],
    ["URL with a query", ["remote", "add", "x", "https://x.example/?a=1"], 2, /query/],
    ["both --token and --token-stdin", ["remote", "add", "x", "https://x.example", "--token", "a", "--token-stdin"], 2, /not both/],
    ["unknown flag", ["remote", "add", "x", "https://x.example", "--bogus"], 2, /./],
    ["bad --timeout", ["remote", "--timeout", "soon"], 2, /--timeout soon/],
    ["missing peer: remove", ["remote", "remove", "nope"], 3, /peer 'nope' not found/],
    ["missing peer: default", ["remote", "default", "nope"], 3, /peer 'nope' not found/],
    ["missing peer: show", ["remote", "show", "nope"], 3, /peer 'nope' not found/],
    ["missing peer: rename", ["remote", "rename", "nope", "other"], 3, /peer 'nope' not found/],
    ["duplicate", ["remote", "add", "keep", "https://y.example"], 4, /already exists/],
    ["rename onto an existing name", ["remote", "rename", "keep", "keep2"], 4, /already exists/]
  ]
  for (const [label, args, code, message] of cases) {
    it(`${label} → exit ${code}, one line, database unchanged`, async () => {
      const home = tempHome()
      await runFazt(["remote", "add", "keep", "https://keep.example", "--token", TOKEN], { home })
      await runFazt(["remote", "add", "keep2", "https://keep2.example"], { home })
      const before = snapshot(clientDb(home))
      const r = await runFazt(args, { home, stdin: "" })
      expect(r.code).toBe(code)
      expect(r.stderr).toMatch(message)
      expect(r.stderr).not.toMatch(/\n\s+at /)
      expect(r.stdout).toBe("")
      expect(snapshot(clientDb(home))).toEqual(before)
    })
  }

  it("--json failures print the error envelope on stderr", async () => {
    const home = tempHome()
    const r = await runFazt(["remote", "show", "ghost", "--json"], { home })
    expect(r.code).toBe(3)
    expect(r.stdout).toBe("")
    expect(JSON.parse(r.stderr)).toEqual({
      error: {
        code: "PEER_NOT_FOUND",
        message: "peer 'ghost' not found (run 'fazt remote' to list peers)",
        details: { peer: "ghost" }
      }
    })
  })

  const badFiles: Array<[string, (file: string) => void]> = [
    ["garbage bytes", (f) => fs.writeFileSync(f, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)))],
    ["a text file", (f) => fs.writeFileSync(f, "hello, I am not a database\n")],
    ["a truncated SQLite header", (f) => fs.writeFileSync(f, "SQLite format")],
    ["a SQLite header followed by junk", (f) => fs.writeFileSync(f, Buffer.concat([Buffer.from("SQLite format 3\0"), Buffer.alloc(5000, 0xab)]))]
  ]
  for (const [label, make] of badFiles) {
    it(`database that is ${label} → exit 8, file byte-for-byte unchanged`, async () => {
      const home = tempHome()
      const file = path.join(home, "bad.db")
      make(file)
      const before = fs.readFileSync(file)
      for (const args of [["remote"], ["remote", "add", "x", "https://x.example"], ["remote", "--json"]]) {
        const r = await runFazt([...args, "--db", file], { home })
        expect(r.code).toBe(8)
        expect(r.stderr.trim().split("\n")).toHaveLength(1)
        expect(r.stderr).toContain(file)
        expect(fs.readFileSync(file).equals(before)).toBe(true)
      }
      expect(fs.readdirSync(home).sort()).toEqual(["bad.db"])
    })
  }

  it("a database path that is a folder → exit 8", async () => {
    const home = tempHome()
    const dir = path.join(home, "folder.db")
    fs.mkdirSync(dir)
    const r = await runFazt(["remote", "--db", dir], { home })
    expect(r.code).toBe(8)
    expect(r.stderr).toContain("is a folder")
    expect(fs.readdirSync(dir)).toEqual([])
  })
})

describe("a real fazt v0.29.0 database", () => {
  it("lists its three peers, accepts add/default/remove, touches nothing else", async () => {
    const home = tempHome()
    const file = path.join(home, "data.db")
    fs.copyFileSync(FIXTURE_DB, file)
    const before = snapshot(file, ["peers"])
    const migrationsBefore = query(file, "SELECT * FROM migrations ORDER BY id")

    const list = await runFazt(["remote", "--json", "--db", file], { home })
    expect(list.code).toBe(0)
    const listed = JSON.parse(list.stdout).data
    expect(listed.map((p: { name: string }) => p.name)).toEqual(["home", "pi", "zyt"])
    expect(listed.find((p: { is_default: boolean }) => p.is_default).name).toBe("zyt")
    expect(listed.find((p: { name: string }) => p.name === "zyt")).toMatchObject({
      last_status: "healthy",
      last_version: "0.29.0",
      last_seen_at: "2026-11-25T17:01:21.000Z"
    })

    expect((await runFazt(["remote", "add", "new", "https://new.example", "--db", file], { home })).code).toBe(0)
    expect((await runFazt(["remote", "default", "home", "--db", file], { home })).code).toBe(0)
    expect((await runFazt(["remote", "remove", "pi", "--db", file], { home })).code).toBe(0)

    expect(peers(file).map((p) => [p.name, p.is_default])).toEqual([["home", 1], ["new", 0], ["zyt", 0]])
    expect(snapshot(file, ["peers"])).toEqual(before)
    expect(query(file, "SELECT * FROM migrations ORDER BY id")).toEqual(migrationsBefore)
    expect(query(file, "PRAGMA journal_mode")).toEqual([{ journal_mode: "wal" }])
    expect(query(file, "PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }])
  })

  it("uses rows fazt never validated as they are", async () => {
    const home = tempHome()
    const file = path.join(home, "data.db")
    fs.copyFileSync(FIXTURE_DB, file)
    const Sqlite = (await import("better-sqlite3")).default
    const db = new Sqlite(file)
    db.prepare("INSERT INTO peers (name, url) VALUES ('Office_Box', 'https://office.example/')").run()
    db.close()
    const show = await runFazt(["remote", "show", "Office_Box", "--json", "--db", file], { home })
    expect(show.code).toBe(0)
    expect(JSON.parse(show.stdout).data).toMatchObject({ name: "Office_Box", url: "https://office.example/" })
    expect((await runFazt(["remote", "rename", "Office_Box", "office", "--db", file], { home })).code).toBe(0)
    expect(peers(file).map((p) => p.name)).toContain("office")
  })
})

describe("concurrency", () => {
  it("16 concurrent adds on one fresh database all succeed; 8 concurrent defaults leave one", async () => {
    const home = tempHome()
    const names = Array.from({ length: 16 }, (_, i) => `peer-${i}`)
    const adds = await Promise.all(names.map((n) => runFazt(["remote", "add", n, `https://${n}.example`], { home })))
    for (const r of adds) expect(r.stderr).not.toContain("error")
    expect(adds.map((r) => r.code)).toEqual(names.map(() => 0))
    const file = clientDb(home)
    expect(peers(file).map((p) => p.name).sort()).toEqual([...names].sort())
    expect(query(file, "SELECT count(*) AS n FROM migrations")).toEqual([{ n: 1 }])
    expect(peers(file).filter((p) => p.is_default === 1)).toHaveLength(1)

    const defaults = await Promise.all(names.slice(0, 8).map((n) => runFazt(["remote", "default", n], { home })))
    expect(defaults.map((r) => r.code)).toEqual(names.slice(0, 8).map(() => 0))
    expect(peers(file).filter((p) => p.is_default === 1)).toHaveLength(1)
  })
})

describe("old ~/.fazt/config.json", () => {
  const place = (home: string, text?: string) => {
    fs.mkdirSync(path.join(home, ".fazt"), { recursive: true })
    const file = path.join(home, ".fazt", "config.json")
    if (text === undefined) fs.copyFileSync(FIXTURE_CONFIG, file)
    else fs.writeFileSync(file, text)
    return file
  }

  it("is imported on the first command, prod default, file renamed; the second run is silent", async () => {
    const home = tempHome()
    const file = place(home)
    const first = await runFazt(["remote"], { home })
    expect(first.code).toBe(0)
    expect(first.stderr).toMatch(/Imported 2 peer\(s\)/)
    expect(first.stderr).not.toContain("fzt_prod_5c2e")
    expect(first.stdout).toMatch(/\*\s+prod\s+https:\/\/admin\.example\.com/)
    expect(fs.existsSync(file)).toBe(false)
    expect(fs.existsSync(`${file}.migrated`)).toBe(true)
    expect(peers(clientDb(home))).toEqual([
      { name: "local", url: "http://192.168.64.3:8080", token: "fzt_local_0e1d2c3b4a5968778695a4b3c2d1e0f9", is_default: 0 },
      { name: "prod", url: "https://admin.example.com", token: "fzt_prod_5c2e9a71d04b4f3e8a6b1c7d9e0f2a3b", is_default: 1 }
    ])
    const second = await runFazt(["remote"], { home })
    expect(second.code).toBe(0)
    expect(second.stderr).toBe("")
  })

  it("keeps existing peers on a name clash", async () => {
    const home = tempHome()
    await runFazt(["remote", "add", "prod", "https://mine.example"], { home })
    place(home)
    const r = await runFazt(["remote", "--json"], { home })
    expect(r.code).toBe(0)
    expect(r.stderr).toContain("kept the existing prod")
    expect(peers(clientDb(home)).find((p) => p.name === "prod")!.url).toBe("https://mine.example")
  })

  for (const [label, text] of [["not JSON", "{ this is not json"], ["the wrong shape", '{"servers": [1, 2]}']]) {
    it(`that is ${label} is left untouched and listing still works`, async () => {
      const home = tempHome()
      const file = place(home, text)
      const r = await runFazt(["remote"], { home })
      expect(r.code).toBe(0)
      expect(r.stderr).toMatch(/^warning: .*config\.json was not imported/)
      expect(fs.readFileSync(file, "utf8")).toBe(text)
      expect(fs.existsSync(`${file}.migrated`)).toBe(false)
    })
  }

  it("asked for by name (remote migrate), a malformed file is a failure said once: exit 2, file untouched", async () => {
    const home = tempHome()
    const file = place(home, "{ this is not json")
    const human = await runFazt(["remote", "migrate"], { home })
    expect(human.code).toBe(2)
    expect(human.stdout).toBe("")
    expect(human.stderr.trim().split("\n")).toHaveLength(1)
    expect(human.stderr).toMatch(/^error: .*config\.json was not imported: it is not valid JSON/)
    const json = await runFazt(["remote", "migrate", "--json"], { home })
    expect(json.code).toBe(2)
    expect(json.stdout).toBe("")
    expect(JSON.parse(json.stderr).error.code).toBe("INVALID_INPUT")
    expect(fs.readFileSync(file, "utf8")).toBe("{ this is not json")
  })

  it("converges to the full import when the process is killed during it", async () => {
    const servers: Record<string, { url: string; token: string }> = {}
    for (let i = 0; i < 200; i++) servers[`s${i}`] = { url: `https://s${i}.example`, token: `fzt_tok_${i}_abcdefghijkl` }
    const text = JSON.stringify({ version: 1, default_server: "s7", servers })
    // Spread across start-up and the import itself (the CLI starts in ~120–200 ms here).
    for (const killAfterMs of [5, 100, 130, 150, 170, 190, 210, 230, 260, 300]) {
      const home = tempHome()
      const file = place(home, text)
      await runFazt(["remote"], { home, killAfterMs })
      const again = await runFazt(["remote", "--json"], { home })
      expect(again.code).toBe(0)
      const list = JSON.parse(again.stdout).data
      expect(list).toHaveLength(200)
      expect(list.filter((p: { is_default: boolean }) => p.is_default).map((p: { name: string }) => p.name)).toEqual(["s7"])
      expect(fs.existsSync(file)).toBe(false)
      expect(fs.existsSync(`${file}.migrated`)).toBe(true)
    }
  })

  it("fazt remote migrate reports when there is nothing to import", async () => {
    const home = tempHome()
    const r = await runFazt(["remote", "migrate"], { home })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("Nothing to import")
  })
})

import Sqlite from "better-sqlite3"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { clientDb, runFazt, tempHome } from "../support/cli.js"
import { query, snapshot } from "../support/sqlite.js"

// Inputs we store, and a database others touched (issue 11, client side).

const TOKEN = "fzt_inputs_token_0123456789abcdef"
const ESC = "\x1b"

const peers = (file: string) =>
  query<{ name: string; url: string; token: string | null; is_default: number; description: string | null }>(
    file,
    "SELECT name, url, token, is_default, description FROM peers ORDER BY name"
  )

/** A HOME whose database holds one peer, `keep`, so "nothing stored" can be checked against it. */
const homeWithKeep = async () => {
  const home = tempHome()
  const r = await runFazt(["remote", "add", "keep", "https://keep.example", "--token", TOKEN], { home })
  expect(r.code).toBe(0)
  return home
}

describe("tokens we store", () => {
  const bad: ReadonlyArray<readonly [string, string]> = [
    ["CR/LF (a header injection)", "fzt_abc\r\nX-Evil: 1"],
    ["a space inside", "fzt_abc def"],
    ["a control character", "fzt_abc\x01def"],
    ["non-ASCII", "fzt_abcdéf"],
    ["5 KiB", `fzt_${"a".repeat(5 * 1024)}`]
  ]
  for (const [label, token] of bad) {
    it(`${label} → exit 2 from --token, --token-stdin, FAZT_TOKEN and set-token; nothing stored`, async () => {
      const home = await homeWithKeep()
      const file = clientDb(home)
      const before = snapshot(file)
      const attempts = [
        runFazt(["remote", "add", "new", "https://new.example", "--token", token], { home }),
        runFazt(["remote", "add", "new", "https://new.example", "--token-stdin"], { home, stdin: token }),
        runFazt(["remote", "add", "new", "https://new.example"], { home, env: { FAZT_TOKEN: token } }),
        runFazt(["remote", "set-token", "keep", "--token", token], { home }),
        runFazt(["remote", "set-token", "keep", "--token-stdin"], { home, stdin: token }),
        runFazt(["remote", "set-token", "keep"], { home, env: { FAZT_TOKEN: token } })
      ]
      for (const r of await Promise.all(attempts)) {
        expect(r.code).toBe(2)
        expect(r.stderr.trim().split("\n")).toHaveLength(1)
        expect(r.stderr).toMatch(/^error: (the token from .* was refused|--token-stdin expects exactly one token|--token-stdin read more than 5120 bytes)/)
      }
      expect(snapshot(file)).toEqual(before)
    })
  }

  it("a megabyte on --token-stdin is refused without reading it all", async () => {
    const home = await homeWithKeep()
    const r = await runFazt(["remote", "set-token", "keep", "--token-stdin"], { home, stdin: "a".repeat(1024 * 1024) })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("that is not a token")
    expect(peers(clientDb(home))[0]!.token).toBe(TOKEN)
  })

  it("a token with a trailing newline (echo | --token-stdin) is stored trimmed", async () => {
    const home = await homeWithKeep()
    const r = await runFazt(["remote", "set-token", "keep", "--token-stdin"], { home, stdin: "fzt_new_token_0123456789\n" })
    expect(r.code).toBe(0)
    expect(peers(clientDb(home))[0]!.token).toBe("fzt_new_token_0123456789")
  })
})

describe("descriptions", () => {
  it("control characters and escape sequences in --description → exit 2, nothing stored", async () => {
    const home = await homeWithKeep()
    const before = snapshot(clientDb(home))
    for (const text of [`red${ESC}[31m`, "two\nlines", "bidi\u202eevil"]) {
      const r = await runFazt(["remote", "add", "new", "https://new.example", "--description", text], { home })
      expect(r.code).toBe(2)
      expect(r.stderr).toContain("the description was refused")
    }
    expect(snapshot(clientDb(home))).toEqual(before)
  })

  it("one written by another tool is always printed escaped; --json keeps it whole", async () => {
    const home = await homeWithKeep()
    const db = new Sqlite(clientDb(home))
    db.prepare("UPDATE peers SET description = ?, name = ? WHERE name = 'keep'").run(`desc${ESC}]0;title\x07`, `ke${ESC}[2Jep`)
    db.close()
    const list = await runFazt(["remote"], { home })
    expect(list.code).toBe(0)
    expect(list.stdout).not.toContain(ESC)
    expect(list.stdout).toContain("ke\\x1b[2Jep")
    const show = await runFazt(["remote", "show", `ke${ESC}[2Jep`], { home })
    expect(show.code).toBe(0)
    expect(show.stdout).not.toContain(ESC)
    expect(show.stdout).toContain("desc\\x1b]0;title\\x07")
    const asJson = await runFazt(["remote", "show", `ke${ESC}[2Jep`, "--json"], { home })
    expect(JSON.parse(asJson.stdout).data.description).toBe(`desc${ESC}]0;title\x07`)
    const removed = await runFazt(["remote", "remove", `ke${ESC}[2Jep`], { home })
    expect(removed.code).toBe(0)
    expect(removed.stderr).not.toContain(ESC)
  })
})

describe("old ~/.fazt/config.json, entry by entry", () => {
  const place = (home: string, value: unknown) => {
    fs.mkdirSync(path.join(home, ".fazt"), { recursive: true })
    const file = path.join(home, ".fazt", "config.json")
    fs.writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value))
    return file
  }

  it("imports names as fazt does (Office_Box as it is); unsafe names, URLs and tokens skipped with why, URL passwords unprinted", async () => {
    const home = tempHome()
    await runFazt(["remote", "add", "mine", "https://mine.example"], { home })
    place(home, {
      default_server: "good",
      servers: {
        good: { url: "https://good.example/", token: "fzt_good_0123456789abcdef" },
        mine: { url: "https://theirs.example", token: "fzt_theirs_0123456789" },
        Office_Box: { url: "https://office.example" },
        creds: { url: "https://admin:hunter2secret@creds.example" },
        ftp: { url: "ftp://files.example" },
        crlf: { url: "https://crlf.example", token: "abc\r\nX-Evil: 1" },
        [`esc${ESC}[31m`]: { url: "https://esc.example" }
      }
    })
    const r = await runFazt(["remote"], { home })
    expect(r.code).toBe(0)
    expect(r.stderr).not.toContain("hunter2secret")
    expect(r.stderr).not.toContain(ESC)
    expect(r.stderr).toMatch(/^warning: Imported 2 peer\(s\) .* \(Office_Box, good\); kept the existing mine; /)
    for (const why of [
      "skipped 'creds': URL https://***@creds.example refused: credentials do not belong in the URL",
      "skipped 'ftp': URL ftp://files.example refused: scheme ftp is not supported",
      "skipped 'crlf': token refused",
      "skipped 'esc\\x1b[31m': invalid name"
    ]) expect(r.stderr).toContain(why)
    expect(peers(clientDb(home)).map((p) => [p.name, p.url, p.is_default])).toEqual([
      ["Office_Box", "https://office.example", 0],
      ["good", "https://good.example", 0],
      ["mine", "https://mine.example", 1]
    ])
  })

  it("fazt remote migrate --json lists the skipped entries with why", async () => {
    const home = tempHome()
    place(home, { servers: { ok: { url: "https://ok.example" }, "Bad Name": { url: "https://x.example" } } })
    const r = await runFazt(["remote", "migrate", "--json"], { home })
    expect(r.code).toBe(0)
    const data = JSON.parse(r.stdout).data
    expect(data).toMatchObject({ outcome: "imported", imported: ["ok"], kept: [] })
    expect(data.skipped).toEqual([{ name: "Bad Name", reason: expect.stringContaining("invalid name") }])
  })

  it("a FIFO as ~/.fazt/config.json → a warning at once, listing works", async () => {
    const home = tempHome()
    fs.mkdirSync(path.join(home, ".fazt"))
    execFileSync("mkfifo", [path.join(home, ".fazt", "config.json")])
    const r = await runFazt(["remote"], { home, killAfterMs: 15_000 })
    expect(r.signal).toBeNull()
    expect(r.code).toBe(0)
    expect(r.stderr).toMatch(/^warning: .*config\.json was not imported: it is a FIFO \(named pipe\), not a file/)
  })
})

describe("a database others touched", () => {
  it("BLOB and INTEGER names, URLs and tokens are read as text: listed, shown, used, removed; unusable rows marked", async () => {
    const home = await homeWithKeep()
    const file = clientDb(home)
    const db = new Sqlite(file)
    const insert = db.prepare("INSERT INTO peers (name, url, token, description, last_version) VALUES (?, ?, ?, ?, ?)")
    insert.run(Buffer.from("blob"), Buffer.from("https://blob.example"), Buffer.from("fzt_blob_token_0123456789"), Buffer.from([0xff, 0xfe]), 42n)
    insert.run(Buffer.from([0xc3, 0x28]), "gopher://old.example", 1234567n, null, null)
    insert.run("badtoken", "https://bad.example", Buffer.from("fzt_a\r\nb"), null, null)
    db.close()
    expect(query(file, "SELECT typeof(name) AS n, typeof(token) AS t, typeof(last_version) AS v FROM peers ORDER BY rowid")).toEqual([
      { n: "text", t: "text", v: "null" },
      { n: "blob", t: "blob", v: "text" },
      { n: "blob", t: "text", v: "null" },
      { n: "text", t: "blob", v: "null" }
    ])

    const list = await runFazt(["remote"], { home })
    expect(list.code).toBe(0)
    expect(list.stdout).toMatch(/blob\s+https:\/\/blob\.example\s+-\s+42\s+-\s+fzt_…789/)
    expect(list.stdout).toMatch(/x'c328'\s+gopher:\/\/old\.example\s+unusable/)
    expect(list.stdout).toMatch(/badtoken\s+https:\/\/bad\.example\s+unusable/)
    expect(list.stderr).toContain("2 peer(s) cannot be used as stored (marked unusable)")
    const asJson = JSON.parse((await runFazt(["remote", "--json"], { home })).stdout).data
    expect(asJson.map((p: { name: string; problem: string | null }) => [p.name, p.problem === null])).toEqual([
      ["badtoken", false],
      ["keep", true],
      ["blob", true],
      ["x'c328'", false]
    ])

    const show = await runFazt(["remote", "show", "blob", "--json"], { home })
    expect(show.code).toBe(0)
    expect(JSON.parse(show.stdout).data).toMatchObject({ name: "blob", url: "https://blob.example", description: "x'fffe'" })
    expect((await runFazt(["remote", "default", "blob"], { home })).code).toBe(0)
    expect((await runFazt(["remote", "rename", "blob", "blobby"], { home })).code).toBe(0)
    expect((await runFazt(["remote", "remove", "x'c328'"], { home })).code).toBe(0)
    expect((await runFazt(["remote", "remove", "badtoken"], { home })).code).toBe(0)
    expect(peers(file).map((p) => [p.name, p.is_default])).toEqual([["blobby", 1], ["keep", 0]])
    expect(query(file, "PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }])
  })

  it("a peers table another tool made without column types: INTEGER and REAL names, URLs and tokens read as text", async () => {
    const home = tempHome()
    const file = path.join(home, "other.db")
    const db = new Sqlite(file)
    db.pragma("journal_mode = WAL")
    db.exec(`CREATE TABLE migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, version INTEGER UNIQUE NOT NULL, name TEXT NOT NULL, applied_at DATETIME DEFAULT CURRENT_TIMESTAMP);
      INSERT INTO migrations (version, name) VALUES (9, 'peers');
      CREATE TABLE peers (id, name, url, token, description, is_default, last_seen_at, last_version, last_status, node_id, public_key, created_at, updated_at);`)
    db.prepare("INSERT INTO peers (id, name, url, token, is_default, last_version) VALUES (?, ?, ?, ?, ?, ?)").run(7n, 42n, 1.5, 123456789012345n, "1", 29n)
    db.close()
    expect(query(file, "SELECT typeof(id) AS i, typeof(name) AS n, typeof(url) AS u, typeof(token) AS t FROM peers")).toEqual([
      { i: "integer", n: "integer", u: "real", t: "integer" }
    ])
    const list = await runFazt(["remote", "--json", "--db", file], { home })
    expect(list.code).toBe(0)
    expect(JSON.parse(list.stdout).data).toEqual([
      expect.objectContaining({ name: "42", url: "1.5", is_default: true, token: "12…345", last_version: "29", problem: expect.stringContaining("URL") })
    ])
    expect((await runFazt(["remote", "set-url", "42", "https://fixed.example", "--db", file], { home })).code).toBe(0)
    expect((await runFazt(["remote", "show", "42", "--db", file], { home })).stdout).not.toContain("Unusable")
    expect((await runFazt(["remote", "remove", "42", "--db", file], { home })).code).toBe(0)
    expect(query(file, "SELECT count(*) AS n FROM peers")).toEqual([{ n: 0 }])
  })

  for (const kind of ["FIFO", "socket", "device"] as const) {
    it(`a ${kind} as the database → exit 8 at once, never a blocking open`, async () => {
      const home = tempHome()
      let file = path.join(home, `data-${kind}.db`)
      let server: net.Server | undefined
      if (kind === "FIFO") execFileSync("mkfifo", [file])
      if (kind === "socket") {
        server = net.createServer()
        await new Promise<void>((resolve) => server!.listen(file, resolve))
      }
      if (kind === "device") file = "/dev/zero"
      try {
        for (const args of [["remote"], ["remote", "add", "x", "https://x.example"]]) {
          const r = await runFazt([...args, "--db", file], { home, killAfterMs: 15_000 })
          expect(r.signal).toBeNull()
          expect(r.code).toBe(8)
          expect(r.stderr).toMatch(new RegExp(`^error: database ${file}: it is (a|an) .*, not a database file\\n$`))
        }
      } finally {
        server?.close()
      }
    })
  }

  it("--db \"\" → exit 2", async () => {
    const home = tempHome()
    const r = await runFazt(["remote", "--db", ""], { home })
    expect(r.code).toBe(2)
    expect(r.stderr).toBe("error: --db is empty: give the path of a database file\n")
    expect(fs.existsSync(clientDb(home))).toBe(false)
  })

  it.skipIf(process.getuid?.() !== 0)(
    "a read-only database: listing works, writes exit 8 naming the permission, no read-only -shm trap",
    async () => {
      const NOBODY = 65534
      const home = tempHome()
      fs.chmodSync(home, 0o755)
      const dir = path.join(home, "db")
      fs.mkdirSync(dir)
      const file = path.join(dir, "data.db")
      expect((await runFazt(["remote", "add", "keep", "https://keep.example", "--db", file], { home })).code).toBe(0)
      for (const f of [dir, file]) fs.chownSync(f, NOBODY, NOBODY)
      fs.chmodSync(file, 0o444)
      const before = fs.readFileSync(file)
      const as = { home, uid: NOBODY }

      const list = await runFazt(["remote", "--json", "--db", file], as)
      expect(list.code).toBe(0)
      expect(JSON.parse(list.stdout).data.map((p: { name: string }) => p.name)).toEqual(["keep"])
      const add = await runFazt(["remote", "add", "new", "https://new.example", "--db", file], as)
      expect(add.code).toBe(8)
      expect(add.stderr).toBe(`error: database ${file}: the database is read-only: you have no permission to write it\n`)
      expect(fs.readFileSync(file).equals(before)).toBe(true)
      expect(fs.readdirSync(dir)).toEqual(["data.db"])

      // The owner makes it writable again: the next writer is not trapped by anything we left.
      fs.chmodSync(file, 0o644)
      const again = await runFazt(["remote", "add", "new", "https://new.example", "--db", file], as)
      expect(again.code).toBe(0)
      expect(peers(file).map((p) => p.name)).toEqual(["keep", "new"])
    }
  )
})

describe("big answers", () => {
  it("a table of 200,000 peers prints, human and --json", async () => {
    const home = await homeWithKeep()
    const file = clientDb(home)
    const db = new Sqlite(file)
    const insert = db.prepare("INSERT INTO peers (name, url) VALUES (?, ?)")
    db.transaction(() => {
      for (let i = 0; i < 199_999; i++) insert.run(`p-${i}`, `https://p${i}.example`)
    })()
    db.close()
    const r = await runFazt(["remote"], { home })
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    const lines = r.stdout.trim().split("\n")
    expect(lines).toHaveLength(200_001)
    expect(lines[1]).toMatch(/^\*\s+keep\s+https:\/\/keep\.example/)
    const j = await runFazt(["remote", "--json"], { home })
    expect(j.code).toBe(0)
    expect(JSON.parse(j.stdout).data).toHaveLength(200_000)
  }, 300_000)
})

describe("many writers, and writers killed (must-show 2)", () => {
  const defaults = (file: string) => query<{ n: number }>(file, "SELECT count(*) AS n FROM peers WHERE is_default = 1")[0]!.n

  it("20 processes adding, defaulting, renaming and removing at once: all succeed, integrity_check ok, one default", async () => {
    const home = tempHome()
    for (let i = 0; i < 8; i++) expect((await runFazt(["remote", "add", `old-${i}`, `https://old${i}.example`], { home })).code).toBe(0)
    const file = clientDb(home)
    const runs = [
      ...Array.from({ length: 8 }, (_, i) => ["remote", "add", `new-${i}`, `https://new${i}.example`, ...(i % 2 ? ["--default"] : [])]),
      ...Array.from({ length: 4 }, (_, i) => ["remote", "default", `old-${i}`]),
      ...Array.from({ length: 4 }, (_, i) => ["remote", "rename", `old-${i + 4}`, `renamed-${i}`]),
      ...Array.from({ length: 4 }, (_, i) => ["remote", "remove", `new-${i}-absent`])
    ]
    expect(runs).toHaveLength(20)
    const results = await Promise.all(runs.map((args) => runFazt(args, { home })))
    expect(results.map((r) => r.code)).toEqual([...Array(16).fill(0), ...Array(4).fill(3)])
    for (const r of results) expect(r.stderr).not.toContain("internal error")
    expect(query(file, "PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }])
    expect(defaults(file)).toBe(1)
    expect(peers(file)).toHaveLength(16)
  }, 120_000)

  it("writers killed with SIGKILL at spread moments, 8 rounds: integrity_check ok and at most one default after each", async () => {
    const home = tempHome()
    expect((await runFazt(["remote", "add", "base", "https://base.example"], { home })).code).toBe(0)
    const file = clientDb(home)
    for (let round = 0; round < 8; round++) {
      await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          runFazt(
            i % 2 === 0
              ? ["remote", "add", `r${round}-${i}`, `https://r${round}-${i}.example`, "--default"]
              : ["remote", "default", "base"],
            { home, killAfterMs: 60 + 50 * i + 7 * round }
          ))
      )
      expect(query(file, "PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }])
      expect(defaults(file)).toBeLessThanOrEqual(1)
      const list = await runFazt(["remote", "--json"], { home })
      expect(list.code).toBe(0)
      expect(JSON.parse(list.stdout).data.filter((p: { is_default: boolean }) => p.is_default).length).toBeLessThanOrEqual(1)
    }
  }, 180_000)
})

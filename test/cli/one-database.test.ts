// One database with fazt v0.29: where the file is, and what happens to the
// database fazt remote used before, whichever of the two tools runs first.
// fazt's side is replayed from its source (test/support/faztClient.ts).
import Sqlite from "better-sqlite3"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { FIXTURE_DB, runFazt, tempHome } from "../support/cli.js"
import { faztClientCommand, faztMigrateOldConfig } from "../support/faztClient.js"
import { query } from "../support/sqlite.js"

type Row = { name: string; url: string; token: string | null; description: string | null; is_default: number }
const rows = (file: string) =>
  query<Row>(file, "SELECT name, url, token, description, is_default FROM peers ORDER BY name")
const names = (file: string) => rows(file).map((r) => r.name)
const defaults = (file: string) => rows(file).filter((r) => r.is_default === 1).map((r) => r.name)

const faztFile = (home: string) => path.join(home, ".fazt", "data.db")
const legacyFile = (home: string) => path.join(home, ".config", "fazt", "data.db")

/** The database fazt remote made before this version, at its old default, with these peers. */
const makeLegacy = async (home: string, peers: ReadonlyArray<{ name: string; url: string; token?: string; isDefault?: boolean }>) => {
  const file = legacyFile(home)
  // Made by fazt remote itself (its migration), then filled as it or fazt would have.
  // (A listing creates nothing since issue 22: the first add makes the file.)
  const made = await runFazt(["remote", "add", "seed", "https://seed.example", "--db", file], { home })
  expect(made.code).toBe(0)
  const db = new Sqlite(file)
  db.exec("DELETE FROM peers")
  for (const p of peers) {
    db.prepare("INSERT INTO peers (name, url, token, is_default) VALUES (?, ?, ?, ?)").run(p.name, p.url, p.token ?? null, p.isDefault ? 1 : 0)
  }
  db.close()
  return file
}

/** fazt's own file: the fixture fazt v0.29.0 made (zyt default, home, pi). */
const placeFaztFile = (home: string, withPeers = true) => {
  const file = faztFile(home)
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
  fs.copyFileSync(FIXTURE_DB, file)
  fs.chmodSync(file, 0o600)
  if (!withPeers) {
    const db = new Sqlite(file)
    db.exec("DELETE FROM peers")
    db.close()
  }
  return file
}

const LEGACY_PEERS = [
  { name: "work", url: "https://admin.work.example", token: "fzt_work_0123456789abcdef", isDefault: true },
  { name: "Office_Box", url: "https://office.example" },
  // Also in fazt's file, at another URL: fazt's row is the one kept.
  { name: "zyt", url: "https://old.zyt.example" }
]

describe("one database with fazt v0.29, whichever tool runs first", () => {
  it("our tool first, then fazt's client: every peer once, fazt's default, the old file renamed after it was read", async () => {
    const home = tempHome()
    await makeLegacy(home, LEGACY_PEERS)
    const target = placeFaztFile(home)

    const ours = await runFazt(["remote", "--json"], { home })
    expect(ours.code).toBe(0)
    const listed = (JSON.parse(ours.stdout).data as Array<{ name: string; is_default: boolean }>)
    expect(listed.map((p) => p.name)).toEqual(["Office_Box", "home", "pi", "work", "zyt"])
    expect(listed.filter((p) => p.is_default).map((p) => p.name)).toEqual(["zyt"])
    const notice = JSON.parse(ours.stderr.trim().split("\n").at(-1)!).notice as string
    expect(notice).toContain(`Brought 2 peer(s) over from ${legacyFile(home)} into ${target}`)
    expect(notice).toContain("kept the existing zyt")
    expect(notice).toContain(`the old file is now ${legacyFile(home)}.migrated`)

    expect(fs.existsSync(legacyFile(home))).toBe(false)
    expect(fs.statSync(`${legacyFile(home)}.migrated`).mode & 0o777).toBe(0o600)
    expect(rows(target).find((r) => r.name === "zyt")!.url).toBe("https://admin.zyt.app")
    expect(rows(target).find((r) => r.name === "work")!.token).toBe("fzt_work_0123456789abcdef")

    // Then fazt's own client command: nothing left for it to move, nothing changes.
    const before = rows(target)
    expect(faztClientCommand({ home })).toBe(target)
    expect(rows(target)).toEqual(before)
    expect(defaults(target)).toEqual(["zyt"])

    // A second run of ours says nothing more.
    const again = await runFazt(["remote"], { home })
    expect(again.code).toBe(0)
    expect(again.stderr).toBe("")
  })

  it("fazt's client first, into a file with no peers: it moves the old file; ours then finds every peer there, one default", async () => {
    const home = tempHome()
    await makeLegacy(home, LEGACY_PEERS)
    // fazt creates ~/.fazt/data.db itself, copies the old peers and renames the old file.
    const target = faztClientCommand({ home })
    expect(fs.existsSync(legacyFile(home))).toBe(false)

    const ours = await runFazt(["remote", "--json"], { home })
    expect(ours.code).toBe(0)
    expect(ours.stderr).toBe("")
    const listed = JSON.parse(ours.stdout).data as Array<{ name: string; is_default: boolean }>
    expect(listed.map((p) => p.name)).toEqual(["Office_Box", "work", "zyt"])
    expect(listed.filter((p) => p.is_default).map((p) => p.name)).toEqual(["work"])
    expect(defaults(target)).toEqual(["work"])
  })

  it("fazt's client first, into a file that has peers: it leaves the old file; ours then brings the rest over", async () => {
    const home = tempHome()
    await makeLegacy(home, LEGACY_PEERS)
    const target = placeFaztFile(home)
    faztClientCommand({ home })
    // fazt copies only into a database with no peers: the old file is still there, unread.
    expect(fs.existsSync(legacyFile(home))).toBe(true)
    expect(names(target)).toEqual(["home", "pi", "zyt"])

    const ours = await runFazt(["remote", "--json"], { home })
    expect(ours.code).toBe(0)
    expect(names(target)).toEqual(["Office_Box", "home", "pi", "work", "zyt"])
    expect(defaults(target)).toEqual(["zyt"])
    expect(fs.existsSync(`${legacyFile(home)}.migrated`)).toBe(true)
    // Every name of the renamed file is in the database in use.
    for (const name of names(`${legacyFile(home)}.migrated`)) expect(names(target)).toContain(name)
  })

  it("keeps a default the target only implied (its one peer), and takes the old default when the target has none", async () => {
    const home = tempHome()
    await makeLegacy(home, [{ name: "a", url: "https://a.example", isDefault: true }, { name: "b", url: "https://b.example" }])
    const target = placeFaztFile(home, false)
    const db = new Sqlite(target)
    db.prepare("INSERT INTO peers (name, url, token) VALUES ('solo', 'https://solo.example', '')").run()
    db.close()
    expect((await runFazt(["remote"], { home })).code).toBe(0)
    expect(names(target)).toEqual(["a", "b", "solo"])
    expect(defaults(target)).toEqual(["solo"])

    const second = tempHome()
    await makeLegacy(second, [{ name: "a", url: "https://a.example", isDefault: true }, { name: "b", url: "https://b.example" }])
    const empty = placeFaztFile(second, false)
    expect((await runFazt(["remote"], { home: second })).code).toBe(0)
    expect(defaults(empty)).toEqual(["a"])
  })

  it("brings over $XDG_CONFIG_HOME/fazt/data.db, the old default under XDG, too", async () => {
    const home = tempHome()
    const xdg = path.join(home, "xdg")
    const old = path.join(xdg, "fazt", "data.db")
    expect((await runFazt(["remote", "add", "x", "https://x.example", "--db", old], { home })).code).toBe(0)
    const r = await runFazt(["remote", "--json"], { home, env: { XDG_CONFIG_HOME: xdg } })
    expect(r.code).toBe(0)
    expect((JSON.parse(r.stdout).data as Array<{ name: string }>).map((p) => p.name)).toEqual(["x"])
    expect(fs.existsSync(`${old}.migrated`)).toBe(true)
    expect(names(faztFile(home))).toEqual(["x"])
  })

  it("an old file that holds more than peers (a node's database) has its peers copied and stays where it is", async () => {
    const home = tempHome()
    const old = legacyFile(home)
    fs.mkdirSync(path.dirname(old), { recursive: true })
    fs.copyFileSync(FIXTURE_DB, old)
    const r = await runFazt(["remote", "--json"], { home })
    expect(r.code).toBe(0)
    expect(names(faztFile(home))).toEqual(["home", "pi", "zyt"])
    expect(defaults(faztFile(home))).toEqual(["zyt"])
    expect(fs.existsSync(old)).toBe(true)
    expect(r.stderr).toContain("it holds more than peers (")
    expect(r.stderr).toContain("api_keys")
  })

  it("an old file that is not a database is named in a warning, left untouched, and the command still works (exit 0)", async () => {
    const home = tempHome()
    const old = legacyFile(home)
    fs.mkdirSync(path.dirname(old), { recursive: true })
    fs.writeFileSync(old, "not a database at all, just some text that is long enough")
    const r = await runFazt(["remote", "add", "a", "https://a.example"], { home })
    expect(r.code).toBe(0)
    expect(r.stderr).toContain(`warning: the peers of ${old}`)
    expect(r.stderr).toContain("not a SQLite database")
    expect(fs.readFileSync(old, "utf8")).toBe("not a database at all, just some text that is long enough")
    expect(names(faztFile(home))).toEqual(["a"])
  })

  it("an old path that is a symbolic link to the database in use is that database: left alone, nothing said", async () => {
    const home = tempHome()
    expect((await runFazt(["remote", "add", "a", "https://a.example"], { home })).code).toBe(0)
    fs.mkdirSync(path.dirname(legacyFile(home)), { recursive: true })
    fs.symlinkSync(faztFile(home), legacyFile(home))
    const r = await runFazt(["remote"], { home })
    expect(r.code).toBe(0)
    expect(r.stderr).toBe("")
    expect(fs.lstatSync(legacyFile(home)).isSymbolicLink()).toBe(true)
    expect(names(faztFile(home))).toEqual(["a"])
  })

  it("an old file with no peers is renamed too, so it is not read again", async () => {
    const home = tempHome()
    await makeLegacy(home, [])
    const r = await runFazt(["remote"], { home })
    expect(r.code).toBe(0)
    expect(r.stderr).toContain(`${legacyFile(home)} held no peers; the old file is now ${legacyFile(home)}.migrated`)
    expect(fs.existsSync(legacyFile(home))).toBe(false)
  })
})

describe("which file: --db, FAZT_DB_PATH, FAZT_DB, ~/.fazt/data.db (fazt's ResolvePath)", () => {
  const add = (home: string, name: string, extra: { args?: Array<string>; env?: Record<string, string> } = {}) =>
    runFazt(["remote", "add", name, `https://${name}.example`, ...(extra.args ?? [])], { home, ...(extra.env ? { env: extra.env } : {}) })

  it("defaults to ~/.fazt/data.db: folder 0700, file 0600", async () => {
    const home = tempHome()
    expect((await add(home, "a")).code).toBe(0)
    expect(names(faztFile(home))).toEqual(["a"])
    expect(fs.statSync(faztFile(home)).mode & 0o777).toBe(0o600)
    expect(fs.statSync(path.dirname(faztFile(home))).mode & 0o777).toBe(0o700)
    expect(fs.existsSync(legacyFile(home))).toBe(false)
  })

  it("FAZT_DB_PATH, then FAZT_DB; both set to different files: FAZT_DB_PATH wins, said once", async () => {
    const home = tempHome()
    const faztPath = path.join(home, "fazt-path.db")
    const alias = path.join(home, "alias.db")
    expect((await add(home, "a", { env: { FAZT_DB_PATH: faztPath } })).code).toBe(0)
    expect(names(faztPath)).toEqual(["a"])
    expect((await add(home, "b", { env: { FAZT_DB: alias } })).code).toBe(0)
    expect(names(alias)).toEqual(["b"])
    const both = await add(home, "c", { env: { FAZT_DB_PATH: faztPath, FAZT_DB: alias } })
    expect(both.code).toBe(0)
    expect(names(faztPath)).toEqual(["a", "c"])
    expect(names(alias)).toEqual(["b"])
    expect(both.stderr.match(/FAZT_DB_PATH .* and FAZT_DB .* name different files; using FAZT_DB_PATH/g)).toHaveLength(1)
    // The same file under both names is no conflict.
    const same = await add(home, "d", { env: { FAZT_DB_PATH: faztPath, FAZT_DB: faztPath } })
    expect(same.stderr).not.toContain("different files")
    expect(fs.existsSync(faztFile(home))).toBe(false)
  })

  it("--db wins over both variables; a leading ~/ is expanded as fazt does", async () => {
    const home = tempHome()
    const flag = path.join(home, "flag.db")
    const r = await add(home, "a", { args: ["--db", flag], env: { FAZT_DB_PATH: path.join(home, "x.db"), FAZT_DB: path.join(home, "y.db") } })
    expect(r.code).toBe(0)
    expect(names(flag)).toEqual(["a"])
    expect(fs.existsSync(path.join(home, "x.db"))).toBe(false)
    expect(fs.existsSync(path.join(home, "y.db"))).toBe(false)
    expect((await add(home, "b", { env: { FAZT_DB_PATH: "~/tilde.db" } })).code).toBe(0)
    expect(names(path.join(home, "tilde.db"))).toEqual(["b"])
    expect((await add(home, "c", { args: ["--db=~/flag-tilde.db"] })).code).toBe(0)
    expect(names(path.join(home, "flag-tilde.db"))).toEqual(["c"])
  })

  it("fazt server: FAZT_DB_PATH, else ./data.db (as fazt's own server create-key)", async () => {
    const home = tempHome()
    const cwd = fs.mkdtempSync(path.join(home, "node-"))
    const inCwd = await runFazt(["server", "create-key", "--name", "k1"], { home, cwd })
    expect(inCwd.code).toBe(0)
    expect(query(path.join(cwd, "data.db"), "SELECT name FROM api_keys")).toEqual([{ name: "k1" }])
    const file = path.join(home, "node.db")
    const viaEnv = await runFazt(["server", "create-key", "--name", "k2"], { home, cwd, env: { FAZT_DB_PATH: file } })
    expect(viaEnv.code).toBe(0)
    expect(query(file, "SELECT name FROM api_keys")).toEqual([{ name: "k2" }])
  })
})

describe("the old ~/.fazt/config.json, as fazt's client imports it", () => {
  const CONFIG = {
    version: 1,
    default_server: "Office_Box",
    servers: {
      Office_Box: { url: "https://admin.office.example", token: "fzt_office_0123456789abcdef" },
      "dir.log": { url: "https://log.example", token: "fzt_log_0123456789abcdef" },
      prod: { url: "https://admin.example.com", token: "fzt_prod_0123456789abcdef" }
    }
  }

  const homeWithConfig = (config: unknown) => {
    const home = tempHome()
    fs.mkdirSync(path.join(home, ".fazt"), { recursive: true })
    fs.writeFileSync(path.join(home, ".fazt", "config.json"), JSON.stringify(config), { mode: 0o644 })
    return home
  }

  it("imports every server under its own name (Office_Box too), with fazt's description and default, like fazt's MigrateOldConfig", async () => {
    const ours = homeWithConfig(CONFIG)
    const r = await runFazt(["remote", "--json"], { home: ours })
    expect(r.code).toBe(0)
    expect(r.stderr).not.toContain("skipped")

    const theirs = homeWithConfig(CONFIG)
    const target = faztClientCommand({ home: theirs })
    const comparable = (file: string) => rows(file).map((p) => ({ ...p, token: p.token || null, is_default: p.is_default }))
    expect(comparable(faztFile(ours))).toEqual(comparable(target))
    expect(defaults(faztFile(ours))).toEqual(["Office_Box"])
    expect(rows(faztFile(ours))[0]!.description).toBe("Migrated from ~/.fazt/config.json")
    for (const home of [ours, theirs]) {
      expect(fs.existsSync(path.join(home, ".fazt", "config.json.migrated"))).toBe(true)
    }
    // Ours is left readable by its owner only: it holds every old token.
    expect(fs.statSync(path.join(ours, ".fazt", "config.json.migrated")).mode & 0o777).toBe(0o600)

    // Office_Box is usable as it is: shown, reached by name and as @Office_Box.
    const show = await runFazt(["@Office_Box", "--json"], { home: ours })
    expect(show.code).toBe(0)
    expect(JSON.parse(show.stdout).data).toMatchObject({ name: "Office_Box", url: "https://admin.office.example" })
  })

  it("leaves the file where it is, silently, when every server is already a peer (as fazt does)", async () => {
    const home = tempHome()
    expect((await runFazt(["remote", "add", "a", "https://other.example", "--db", path.join(home, "x.db")], { home })).code).toBe(0)
    fs.mkdirSync(path.join(home, ".fazt"), { recursive: true })
    fs.writeFileSync(path.join(home, ".fazt", "config.json"), JSON.stringify({ servers: { a: { url: "https://a.example", token: "" } } }))
    const r = await runFazt(["remote", "--db", path.join(home, "x.db")], { home })
    expect(r.code).toBe(0)
    expect(r.stderr).toBe("")
    expect(fs.existsSync(path.join(home, ".fazt", "config.json"))).toBe(true)
    expect(rows(path.join(home, "x.db"))[0]!.url).toBe("https://other.example")
    // fazt leaves it too.
    const db = new Sqlite(path.join(home, "x.db"))
    expect(faztMigrateOldConfig(db, { home })).toBe(0)
    db.close()
  })

  it("refuses only names that cannot be typed or shown safely, each named with why", async () => {
    const home = homeWithConfig({
      servers: {
        "with space": { url: "https://a.example" },
        "-flag": { url: "https://b.example" },
        "@at": { url: "https://c.example" },
        "esc\u001b[31m": { url: "https://d.example" },
        "Fine.Name_1": { url: "https://e.example" }
      }
    })
    const r = await runFazt(["remote", "migrate", "--json"], { home })
    expect(r.code).toBe(0)
    const data = JSON.parse(r.stdout).data
    expect(data.imported).toEqual(["Fine.Name_1"])
    expect(data.skipped.map((s: { name: string }) => s.name).sort()).toEqual(["-flag", "@at", "esc\u001b[31m", "with space"])
    expect(data.skipped.find((s: { name: string }) => s.name === "-flag").reason).toContain("starts with '-'")
  })
})

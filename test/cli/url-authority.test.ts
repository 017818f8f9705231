import Sqlite from "better-sqlite3"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { clientDb, runFazt, tempHome } from "../support/cli.js"
import { HEALTHY, json, loopbackServer } from "../support/scriptedPeer.js"
import { query } from "../support/sqlite.js"

// Issue 22, first finding: a URL's path must never change the host a token goes to.

const TOKEN = "fzt_authority_secret_0123456789abcdef"
const cleanups: Array<() => Promise<unknown> | void> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

/** Two servers on 127.0.0.1: `a` is the peer named, `b` is the one a path could smuggle in. */
const twoServers = async () => {
  const a = await loopbackServer(json(200, HEALTHY))
  const b = await loopbackServer(json(200, HEALTHY))
  cleanups.push(a.close, b.close)
  return { a, b }
}

const smuggling = (aPort: number, bPort: number) => [
  `http://127.0.0.1:${aPort}//127.0.0.1:${bPort}`,
  `http://127.0.0.1:${aPort}/.//127.0.0.1:${bPort}`,
  `http://127.0.0.1:${aPort}/x/..//127.0.0.1:${bPort}`,
  `http://127.0.0.1:${aPort}/\\127.0.0.1:${bPort}`,
  `http://127.0.0.1:${aPort}//127.0.0.1:${bPort}/admin`
]

describe("a URL path never changes the host", () => {
  it("add and set-url refuse a path read as another host (//h, /.//h, /x/..//h, /\\h): exit 2, nothing stored", async () => {
    const { a, b } = await twoServers()
    const home = tempHome()
    expect((await runFazt(["remote", "add", "ok", a.url, "--token-stdin"], { home, stdin: TOKEN })).code).toBe(0)
    for (const url of smuggling(a.port, b.port)) {
      const added = await runFazt(["remote", "add", "p", url, "--token-stdin"], { home, stdin: TOKEN })
      expect(added.code, url).toBe(2)
      expect(added.stderr).toContain("would be read as another host")
      const set = await runFazt(["remote", "set-url", "ok", url], { home })
      expect(set.code, url).toBe(2)
      expect(set.stderr).toContain("would be read as another host")
    }
    expect(query(clientDb(home), "SELECT name, url FROM peers")).toEqual([{ name: "ok", url: a.url }])
    expect(a.seen).toHaveLength(0)
    expect(b.seen).toHaveLength(0)
  })

  it("a path that only looks odd is kept on its host: /api//x goes to the peer, never elsewhere", async () => {
    const { a, b } = await twoServers()
    const home = tempHome()
    const url = `${a.url}/base//127.0.0.1:${b.port}`
    expect((await runFazt(["remote", "add", "p", url, "--token-stdin"], { home, stdin: TOKEN })).code).toBe(0)
    const r = await runFazt(["remote", "status"], { home })
    expect(r.code).toBe(0)
    expect(a.seen.map((s) => s.url)).toEqual([`/base//127.0.0.1:${b.port}/api/system/health`])
    expect(b.seen).toHaveLength(0)
  })

  it("the old config's entry with such a URL is skipped with why, never contacted", async () => {
    const { a, b } = await twoServers()
    const home = tempHome()
    fs.mkdirSync(path.join(home, ".fazt"))
    fs.writeFileSync(path.join(home, ".fazt", "config.json"), JSON.stringify({
      default_server: "vm",
      servers: { vm: { url: `http://127.0.0.1:${a.port}//127.0.0.1:${b.port}`, token: TOKEN } }
    }))
    const r = await runFazt(["remote", "status", "vm"], { home })
    expect(r.stderr).toContain("skipped 'vm'")
    expect(r.stderr).toContain("would be read as another host")
    expect(r.code).toBe(3)
    expect(a.seen).toHaveLength(0)
    expect(b.seen).toHaveLength(0)
  })

  it("such a URL already in the database is listed unusable; status, apps and deploy never contact either host (exit 2)", async () => {
    const { a, b } = await twoServers()
    for (const url of smuggling(a.port, b.port)) {
      const home = tempHome()
      expect((await runFazt(["remote", "add", "p", a.url, "--token-stdin"], { home, stdin: TOKEN })).code).toBe(0)
      const db = new Sqlite(clientDb(home))
      db.prepare("UPDATE peers SET url = ?").run(url)
      db.close()
      const listed = await runFazt(["remote", "--json"], { home })
      expect(listed.code).toBe(0)
      expect(JSON.parse(listed.stdout).data[0].problem).toContain("would be read as another host")
      const site = path.join(home, "site")
      fs.mkdirSync(site)
      fs.writeFileSync(path.join(site, "index.html"), "hi")
      for (const args of [["remote", "status"], ["remote", "apps"], ["remote", "deploy", site], ["remote", "status", "--all"]]) {
        const r = await runFazt(args, { home })
        expect(r.code, `${url} ${args.join(" ")}`).toBe(2)
        expect(r.stderr).toContain("would be read as another host")
      }
    }
    expect(a.seen).toHaveLength(0)
    expect(b.seen).toHaveLength(0)
  })
})

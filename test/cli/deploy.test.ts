import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { homeWithPeer, runFazt, tempHome } from "../support/cli.js"
import { getSite } from "../support/http.js"
import { nodeAndClient, type RunningNode, startNode } from "../support/node.js"
import { json, loopbackServer, scriptedPeer } from "../support/scriptedPeer.js"
import { query } from "../support/sqlite.js"
import { handMadeZip, postDeploy } from "../support/zip.js"

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

const write = (root: string, rel: string, content: string | Buffer) => {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true })
  fs.writeFileSync(path.join(root, rel), content)
}

const siteFolder = (home: string, name: string, files: Record<string, string | Buffer>) => {
  const dir = path.join(home, name)
  for (const [rel, content] of Object.entries(files)) write(dir, rel, content)
  return dir
}

describe("fazt remote deploy to the project's node", () => {
  it("serves the site, a nested file and the redeployed version", async () => {
    const { node, client, db } = await nodeAndClient(cleanups)
    const png = randomBytes(5000)
    const dir = siteFolder(client, "my-site", {
      "index.html": "<h1>v1</h1>",
      "docs/guide/index.html": "<h1>guide</h1>",
      "img/logo.png": png,
      ".env": "SECRET=1",
      "old.txt": "goes away"
    })
    const r = await runFazt(["remote", "deploy", dir], { home: client })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("Deployed my-site to local: 4 files")
    expect(r.stderr).toBe("")

    expect((await getSite(node.port, "my-site", "/")).body.toString()).toBe("<h1>v1</h1>")
    // A trailing slash redirects to the path without it, as on fazt (internal/hosting/handler.go).
    expect((await getSite(node.port, "my-site", "/docs/guide/")).status).toBe(301)
    expect((await getSite(node.port, "my-site", "/docs/guide")).body.toString()).toBe("<h1>guide</h1>")
    const logo = await getSite(node.port, "my-site", "/img/logo.png")
    expect(logo.type).toBe("image/png")
    expect(logo.body.equals(png)).toBe(true)
    expect((await getSite(node.port, "my-site", "/.env")).status).toBe(404)
    expect((await getSite(node.port, "my-site", "/nope")).status).toBe(404)
    expect((await getSite(node.port, "other", "/")).status).toBe(404)

    fs.writeFileSync(path.join(dir, "index.html"), "<h1>v2</h1>")
    fs.rmSync(path.join(dir, "old.txt"))
    const again = await runFazt(["remote", "deploy", dir, "local", "--json"], { home: client })
    expect(again.code).toBe(0)
    expect(JSON.parse(again.stdout).data).toMatchObject({ site: "my-site", file_count: 3, peer: "local" })
    expect((await getSite(node.port, "my-site", "/")).body.toString()).toBe("<h1>v2</h1>")
    expect((await getSite(node.port, "my-site", "/old.txt")).status).toBe(404)

    const apps = JSON.parse((await runFazt(["remote", "apps", "--json"], { home: client })).stdout).data
    expect(apps).toMatchObject([{ title: "my-site" }])
    // Only the current version's files are kept.
    expect(query(db, "SELECT count(*) AS n FROM fazt_remote_files")).toEqual([{ n: 3 }])
    expect(query(db, "SELECT count(*) AS n FROM fazt_remote_deploys WHERE complete = 0")).toEqual([{ n: 0 }])
  })

  it("--name, --spa and manifest.json's spa: unknown paths fall back to index.html", async () => {
    const { node, client } = await nodeAndClient(cleanups)
    const dir = siteFolder(client, "folder", { "index.html": "app shell", "manifest.json": JSON.stringify({ spa: true }) })
    expect((await runFazt(["remote", "deploy", dir, "--name", "shell"], { home: client })).code).toBe(0)
    expect((await getSite(node.port, "shell", "/some/client/route")).body.toString()).toBe("app shell")
    const plain = siteFolder(client, "plain", { "index.html": "plain" })
    expect((await runFazt(["remote", "deploy", plain], { home: client })).code).toBe(0)
    expect((await getSite(node.port, "plain", "/route")).status).toBe(404)
    expect((await runFazt(["remote", "deploy", plain, "--spa"], { home: client })).code).toBe(0)
    expect((await getSite(node.port, "plain", "/route")).body.toString()).toBe("plain")
  })

  it("--dry-run lists what would ship and sends nothing", async () => {
    const peer = await scriptedPeer([json(500, {})])
    cleanups.push(peer.close)
    const client = tempHome()
    await runFazt(["remote", "add", "p", peer.url], { home: client })
    const dir = siteFolder(client, "site", { "a.txt": "aa", "b/c.txt": "ccc", "debug.log": "x" })
    const r = await runFazt(["remote", "deploy", dir, "--dry-run"], { home: client })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe("a.txt\t2\nb/c.txt\t3\n")
    expect(r.stderr).toContain("2 files")
    expect(peer.seen).toHaveLength(0)
  })

  it("bad input → exit 2 before any upload", async () => {
    const peer = await scriptedPeer([json(500, {})])
    cleanups.push(peer.close)
    const client = tempHome()
    await runFazt(["remote", "add", "p", peer.url], { home: client })
    const upper = siteFolder(client, "My_Site", { "index.html": "x" })
    const ok = siteFolder(client, "fine", { "index.html": "x" })
    const empty = path.join(client, "empty")
    fs.mkdirSync(empty)
    const cases: Array<[Array<string>, RegExp]> = [
      [[path.join(client, "missing")], /does not exist/],
      [[upper], /invalid site name 'My_Site'.*--name/],
      [[ok, "--name", "api"], /'api' is reserved/],
      [[ok, "--name", "-bad"], /invalid site name/],
      [[path.join(ok, "index.html"), "--name", "x"], /not a folder/],
      [[empty], /nothing to deploy/]
    ]
    for (const [args, message] of cases) {
      const r = await runFazt(["remote", "deploy", ...args], { home: client })
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(message)
    }
    expect(peer.seen).toHaveLength(0)
  })

  it("the node refuses unsafe and broken archives with 400 and keeps nothing", async () => {
    const { node, token, db, client } = await nodeAndClient(cleanups, ["--deploys-per-minute", "0"])
    const dir = siteFolder(client, "safe", { "index.html": "safe v1" })
    expect((await runFazt(["remote", "deploy", dir], { home: client })).code).toBe(0)
    // `../`, absolute and backslash entries are skipped, as fazt does
    // (test/node/fazt-conformance.test.ts); control characters refuse the archive.
    const bad: Array<[string, Buffer, string?]> = [
      ["safe", handMadeZip([{ name: "index.html", content: "x" }, { name: "a\0b.html", content: "x" }])],
      // Flagged UTF-8, ESC stays ESC (as CP437 it would read as an arrow, which is harmless).
      ["safe", handMadeZip([{ name: "index.html", content: "x" }, { name: "\x1b[31mred.html", content: "x", utf8: true }])],
      ["safe", Buffer.from("this is not a zip at all")],
      ["safe", handMadeZip([{ name: "index.html", content: "x" }]), "site.tar"],
      ["Bad_Name", handMadeZip([{ name: "index.html", content: "x" }])],
      ["www", handMadeZip([{ name: "index.html", content: "x" }])]
    ]
    for (const [site, zip, filename] of bad) {
      const r = await postDeploy(node.url, token, site, zip, filename)
      expect(r.status).toBe(400)
      expect(r.body.error?.code).toBe("BAD_REQUEST")
    }
    const missing = await fetch(`${node.url}/api/deploy`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: new FormData() })
    expect(missing.status).toBe(400)
    expect((await getSite(node.port, "safe", "/")).body.toString()).toBe("safe v1")
    expect(query(db, "SELECT count(*) AS n FROM fazt_remote_files")).toEqual([{ n: 1 }])
    expect(query(db, "SELECT count(*) AS n FROM fazt_remote_deploys")).toEqual([{ n: 1 }])
    const unauthorized = await postDeploy(node.url, "fzt_wrong_wrong_wrong_wrong", "safe", handMadeZip([{ name: "a", content: "b" }]))
    expect(unauthorized.status).toBe(401)
  })

  it("does not retry a 400: exit 7 with the node's message, and exactly one request reached the node", async () => {
    const said = { error: { code: "BAD_REQUEST", message: "the archive has no index.html" } }
    const peer = await loopbackServer((req, res) => {
      req.resume()
      req.on("end", () => json(400, said)(req, res))
    })
    cleanups.push(peer.close)
    const client = await homeWithPeer(peer.url, "fzt_deploy_test_token_0123456789")
    const dir = siteFolder(client, "site", { "index.html": "x" })
    const r = await runFazt(["remote", "deploy", dir, "--retries", "3"], { home: client })
    expect(r.code).toBe(7)
    expect(r.stderr).toContain("the archive has no index.html")
    expect(peer.seen.map((s) => `${s.method} ${s.url}`)).toEqual(["POST /api/deploy"])
  })

  it("413 past the size limit: exit 7 naming it", async () => {
    const { client } = await nodeAndClient(cleanups, ["--max-upload", "20KB"])
    const big = siteFolder(client, "big", { "blob.bin": randomBytes(64 * 1024) })
    const r = await runFazt(["remote", "deploy", big], { home: client })
    expect(r.code).toBe(7)
    expect(r.stderr).toContain("413")
  })

  it("past 5 deploys a minute the node answers 429 RATE_LIMIT_EXCEEDED", async () => {
    const { client } = await nodeAndClient(cleanups)
    const dir = siteFolder(client, "often", { "index.html": "x" })
    for (let i = 0; i < 5; i++) expect((await runFazt(["remote", "deploy", dir], { home: client })).code).toBe(0)
    const r = await runFazt(["remote", "deploy", dir, "--retries", "0"], { home: client })
    expect(r.code).toBe(7)
    expect(r.stderr).toContain("RATE_LIMIT_EXCEEDED")
    // The message names the flag that raises the limit (issue 12).
    expect(r.stderr).toContain("--deploys-per-minute")
  })
})

describe("a node killed in the middle of a deploy", () => {
  it("serves the previous version intact after restart; the database passes integrity_check", async () => {
    const { home, db, client, node } = await nodeAndClient(cleanups, ["--max-upload", "400MB"])
    const dir = siteFolder(client, "site", { "index.html": "version one", "page.html": "page one" })
    expect((await runFazt(["remote", "deploy", dir], { home: client })).code).toBe(0)

    const files: Record<string, Buffer> = { "index.html": Buffer.from("version two") }
    for (let i = 0; i < 96; i++) files[`blob/${i}.bin`] = randomBytes(1024 * 1024)
    const big = siteFolder(client, "site2", files)
    const deploying = runFazt(["remote", "deploy", big, "--name", "site", "--retries", "0"], { home: client })

    // Kill as soon as the node has started staging the new version.
    let killed: RunningNode | undefined
    for (let i = 0; i < 3000 && !killed; i++) {
      await new Promise((r) => setTimeout(r, 5))
      const staging = query<{ n: number }>(db, "SELECT count(*) AS n FROM fazt_remote_deploys WHERE complete = 0")[0]!.n
      if (staging > 0) {
        node.process.kill("SIGKILL")
        killed = node
      }
    }
    expect(killed).toBeDefined()
    const result = await deploying
    expect(result.code).toBe(5)

    const restarted = await startNode({ db, home })
    cleanups.push(() => restarted.stop())
    expect(restarted.stderr()).toContain("Removed 1 unfinished deploy")
    expect((await getSite(restarted.port, "site", "/")).body.toString()).toBe("version one")
    expect((await getSite(restarted.port, "site", "/page.html")).body.toString()).toBe("page one")
    expect((await getSite(restarted.port, "site", "/blob/0.bin")).status).toBe(404)
    expect(query(db, "PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }])
    expect(query(db, "SELECT count(*) AS n FROM fazt_remote_files")).toEqual([{ n: 2 }])
  })
})

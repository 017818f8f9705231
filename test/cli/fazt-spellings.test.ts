// fazt v0.29's own spellings (`fazt peer …`, `fazt @peer app …`, `--format
// json`) through the built CLI, against a stand-in that routes as fazt's
// admin host does and against our own node. The requests expected are the
// ones fazt's own client code builds: cmd/server/app_v2.go (`executeRemoteCmd`:
// POST /api/cmd, JSON {"command","args"}, Bearer key, JSON content type) and
// internal/remote/client.go (health, upgrade, deploy).
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { clientDb, homeWithPeer, runFazt, tempHome } from "../support/cli.js"
import { type ArrivedRequest, faztAdminHost } from "../support/faztAdminHost.js"
import { nodeAndClient } from "../support/node.js"
import { query } from "../support/sqlite.js"

const KEY = "fzt_spellings_0123456789abcdef0123456789abcdef"
const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

const BLOG = { id: "app_7f3a9c1d", title: "Blog", visibility: "public", aliases: ["blog"] }

const adminHost = async (options: Partial<Parameters<typeof faztAdminHost>[0]> = {}) => {
  const host = await faztAdminHost({ keys: [KEY], apps: [BLOG], ...options })
  cleanups.push(host.close)
  return host
}

/** The gateway call as fazt's executeRemoteCmd sends it. */
const gatewayCall = (command: string, args: ReadonlyArray<string>): Partial<ArrivedRequest> => ({
  method: "POST",
  path: "/api/cmd",
  authorization: `Bearer ${KEY}`,
  contentType: "application/json",
  body: JSON.stringify({ command, args })
})

const lastRequest = (requests: ReadonlyArray<ArrivedRequest>) => requests.at(-1)!

describe("fazt peer …: fazt v0.29's words for the peers table", () => {
  it("peer add <name> --url --token --desc, peer list, peer default, peer remove", async () => {
    const home = tempHome()
    const add = await runFazt(["peer", "add", "zyt", "--url", "https://admin.zyt.app", "--token", KEY, "--desc", "Personal"], { home })
    expect(add.code).toBe(0)
    expect(add.stderr).toContain("Added peer 'zyt' (https://admin.zyt.app) as the default")
    expect((await runFazt(["peer", "add", "home", "--url", "https://home.example"], { home })).code).toBe(0)
    expect(query(clientDb(home), "SELECT name, url, description, is_default FROM peers ORDER BY name")).toEqual([
      { name: "home", url: "https://home.example", description: null, is_default: 0 },
      { name: "zyt", url: "https://admin.zyt.app", description: "Personal", is_default: 1 }
    ])

    const list = await runFazt(["peer", "list", "--format", "json"], { home })
    expect(list.code).toBe(0)
    expect(JSON.parse(list.stdout).data.map((p: { name: string }) => p.name)).toEqual(["home", "zyt"])
    const bare = await runFazt(["peer"], { home })
    expect(bare.stdout).toContain("zyt")

    expect((await runFazt(["peer", "default", "home"], { home })).code).toBe(0)
    expect(query(clientDb(home), "SELECT name FROM peers WHERE is_default = 1")).toEqual([{ name: "home" }])
    expect((await runFazt(["peer", "remove", "zyt"], { home })).code).toBe(0)
    expect(query(clientDb(home), "SELECT name FROM peers")).toEqual([{ name: "home" }])
  })

  it("peer add: a URL given twice, or not at all, is a usage error (exit 2) that adds nothing", async () => {
    const home = tempHome()
    const twice = await runFazt(["peer", "add", "a", "https://a.example", "--url", "https://b.example"], { home })
    expect(twice.code).toBe(2)
    expect(twice.stderr).toBe("error: the URL is given twice (as an argument and as --url): give it once\n")
    const none = await runFazt(["peer", "add", "a", "--json"], { home })
    expect(none.code).toBe(2)
    expect(JSON.parse(none.stderr).error.code).toBe("USAGE")
    expect(fs.existsSync(clientDb(home)) ? query(clientDb(home), "SELECT name FROM peers") : []).toEqual([])
  })

  it("--format json is --json, --format markdown the usual text, anything else exit 2", async () => {
    const home = tempHome()
    await runFazt(["peer", "add", "a", "--url", "https://a.example"], { home })
    expect(JSON.parse((await runFazt(["--format=json", "remote"], { home })).stdout).data[0].name).toBe("a")
    const md = await runFazt(["remote", "--format", "markdown"], { home })
    expect(md.code).toBe(0)
    expect(md.stdout).toContain("NAME")
    const bad = await runFazt(["remote", "--format", "yaml"], { home })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toBe("error: --format yaml: expected json or markdown\n")
  })
})

describe("fazt @peer … against fazt's admin host: the requests fazt's own client sends", () => {
  it.each([
    ["app list", ["app", "list"], gatewayCall("app", ["list"])],
    ["app list --aliases", ["app", "list", "--aliases"], gatewayCall("app", ["list", "--aliases"])],
    ["app info <app>", ["app", "info", "blog"], gatewayCall("app", ["info", "blog"])],
    ["app info --alias", ["app", "info", "--alias", "blog"], gatewayCall("app", ["info", "--alias", "blog"])],
    ["app info --id", ["app", "info", "--id", BLOG.id], gatewayCall("app", ["info", "--id", BLOG.id])],
    ["app link", ["app", "link", "news", "--id", BLOG.id], gatewayCall("app", ["link", "news", "--id", BLOG.id])],
    ["app unlink", ["app", "unlink", "blog"], gatewayCall("app", ["unlink", "blog"])],
    ["app reserve", ["app", "reserve", "shop"], gatewayCall("app", ["reserve", "shop"])],
    [
      "app fork",
      ["app", "fork", "--alias", "blog", "--as", "blog-next", "--no-storage"],
      gatewayCall("app", ["fork", "--alias", "blog", "--as", "blog-next", "--no-storage"])
    ],
    ["app lineage", ["app", "lineage", "--id", BLOG.id], gatewayCall("app", ["lineage", "--id", BLOG.id])],
    ["app remove --with-forks", ["app", "remove", "blog", "--with-forks"], gatewayCall("app", ["remove", "blog", "--with-forks"])],
    ["server info", ["server", "info"], gatewayCall("server", ["info"])],
    ["server status", ["server", "status"], gatewayCall("server", ["info"])],
    ["status", ["status"], { method: "GET", path: "/api/system/health", authorization: `Bearer ${KEY}` }],
    ["upgrade --check", ["upgrade", "--check"], { method: "POST", path: "/api/upgrade", query: "?check=true", authorization: `Bearer ${KEY}` }]
  ] as const)("fazt @p %s", async (_label, words, expected) => {
    const host = await adminHost({ latest: "0.30.0" })
    const home = await homeWithPeer(host.url, KEY)
    const r = await runFazt([`@p`, ...words, "--json"], { home })
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toHaveProperty("data")
    expect(host.requests).toHaveLength(1)
    expect(lastRequest(host.requests)).toMatchObject(expected)
  })

  it("prints the gateway's answers as tables and labelled lines", async () => {
    const host = await adminHost()
    const home = await homeWithPeer(host.url, KEY)
    const list = await runFazt(["@p", "app", "list"], { home })
    expect(list.stdout).toBe("ID            TITLE  VISIBILITY  ALIASES\napp_7f3a9c1d  Blog   public      blog\n")
    const info = await runFazt(["@p", "app", "info", "blog"], { home })
    expect(info.stdout).toContain("ID:          app_7f3a9c1d\n")
    expect(info.stdout).toContain("URL:         https://blog.zyt.app\n")
    const fork = await runFazt(["@p", "app", "fork", "--alias", "blog", "--as", "next"], { home })
    expect(fork.code).toBe(0)
    const lineage = await runFazt(["@p", "app", "lineage", "--alias", "blog"], { home })
    expect(lineage.stdout).toBe(`app_7f3a9c1d "Blog" [blog]\n└── app_00000001 "Blog" [next]\n`)
    const aliases = await runFazt(["@p", "app", "list", "--aliases"], { home })
    expect(aliases.stdout).toBe("SUBDOMAIN  TYPE   TARGET\nblog       proxy  app_7f3a9c1d\nnext       proxy  app_00000001\n")
    const server = await runFazt(["@p", "server", "info"], { home })
    expect(server.stdout).toBe("Server:  p\nVersion: 0.29.0\nDomain:  zyt.app\nEnv:     production\n")
  })

  it("a failing gateway command exits 7 with the node's words; a bad app reference is exit 2 and sends nothing", async () => {
    const host = await adminHost()
    const home = await homeWithPeer(host.url, KEY)
    const missing = await runFazt(["@p", "app", "info", "nope"], { home })
    expect(missing.code).toBe(7)
    expect(missing.stderr).toContain("not found")
    const both = await runFazt(["@p", "app", "info", "blog", "--id", BLOG.id], { home })
    expect(both.code).toBe(2)
    expect(both.stderr).toContain("'app info' needs exactly one of an app (its ID or alias), or --alias, or --id")
    const none = await runFazt(["@p", "app", "fork"], { home })
    expect(none.code).toBe(2)
    expect(host.requests).toHaveLength(1)
  })

  it("app deploy <dir> --name blog.zyt.app deploys 'blog', as fazt's deploy handler strips its domain", async () => {
    const host = await adminHost()
    const home = await homeWithPeer(host.url, KEY)
    const dir = path.join(home, "site")
    fs.mkdirSync(path.join(dir, "dir.log"), { recursive: true })
    fs.writeFileSync(path.join(dir, "index.html"), "<h1>hi</h1>")
    fs.writeFileSync(path.join(dir, "dir.log", "f.txt"), "skipped, as fazt's client skips *.log folders")
    // The name as typed goes through `app deploy`; the peer here is https-less, so its domain comes from the double.
    const dry = await runFazt(["@p", "app", "deploy", dir, "--dry-run", "--json"], { home })
    expect(JSON.parse(dry.stdout).data.files.map((f: { path: string }) => f.path)).toEqual(["index.html"])

    const r = await runFazt(["@p", "app", "deploy", dir, "--name", "blog.zyt.app", "--no-build", "--json"], { home })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).data.site).toBe("blog")
    const sent = lastRequest(host.requests)
    expect(sent).toMatchObject({ method: "POST", path: "/api/deploy", authorization: `Bearer ${KEY}` })
    // The peer's URL names no domain (127.0.0.1 is this machine: localhost), so the name went as typed and the node stripped it.
    expect(/name="site_name"\r\n\r\n([^\r]*)\r\n/.exec(sent.body)?.[1]).toBe("blog.zyt.app")
  })

  it.each([
    ["service restart", "'service' needs p's own system (systemd, sudo): run 'sudo fazt service restart' on p itself, over ssh"],
    ["client set", "'client' configures this machine, not a peer: run 'fazt client set' without @p"],
    ["servers", "'servers' became 'peer': 'fazt peer list' lists this machine's peers"],
    ["peer list", "the peers kept on p are managed on p itself ('fazt peer list' there, over ssh); 'fazt peer list' here works on this machine's"],
    ["server start", "'server start' runs on p itself, not from here: over ssh, 'fazt server start'"],
    ["sql select", "'fazt @p sql' is fazt's own command, which fazt remote does not carry: run it with fazt itself"]
  ])("fazt @p %s: fazt's guidance in one line, exit 2, nothing sent", async (words, message) => {
    const host = await adminHost()
    const home = await homeWithPeer(host.url, KEY)
    const r = await runFazt(["@p", ...words.split(" ")], { home })
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(`error: ${message}\n`)
    expect(host.requests).toHaveLength(0)
  })
})

describe("answers fazt sends that are not JSON, and failures that are not the node's health", () => {
  it("a plain-text 429 from fazt's rate limiter is retried after Retry-After, and leaves the peer healthy", async () => {
    const host = await adminHost({ rateLimitFirst: 1 })
    const home = await homeWithPeer(host.url, KEY)
    const r = await runFazt(["@p", "status"], { home })
    expect(r.code).toBe(0)
    expect(r.stderr).toContain("p: HTTP 429, retrying in 1 s (1/3)")
    expect(host.requests).toHaveLength(2)
    expect(query(clientDb(home), "SELECT last_status FROM peers")).toEqual([{ last_status: "healthy" }])
  })

  it("a plain-text 429 past the retries is exit 7 with the node's words; STATUS stays healthy", async () => {
    const host = await adminHost({ rateLimitFirst: 10 })
    const home = await homeWithPeer(host.url, KEY)
    expect((await runFazt(["@p", "status", "--retries", "1"], { home })).code).toBe(7)
    expect(query(clientDb(home), "SELECT last_status FROM peers")).toEqual([{ last_status: null }])
    // Once healthy, a rate limit does not change that.
    const healthy = await adminHost()
    const home2 = await homeWithPeer(healthy.url, KEY)
    expect((await runFazt(["@p", "status"], { home: home2 })).code).toBe(0)
    const busy = await adminHost({ rateLimitFirst: 10 })
    await runFazt(["remote", "set-url", "p", busy.url], { home: home2 })
    const r = await runFazt(["@p", "app", "list", "--retries", "0", "--json"], { home: home2 })
    expect(r.code).toBe(7)
    expect(JSON.parse(r.stderr).error).toMatchObject({ code: "PEER_API_ERROR", details: { status: 429, code: "HTTP_429", reason: "Too Many Requests" } })
    const list = await runFazt(["remote", "--json"], { home: home2 })
    expect(JSON.parse(list.stdout).data[0].last_status).toBe("healthy")
  })

  it("an upgrade the node cannot fetch (502 GITHUB_ERROR) is exit 7 in the node's words; STATUS stays healthy", async () => {
    const host = await adminHost({ upgradeFails: true })
    const home = await homeWithPeer(host.url, KEY)
    expect((await runFazt(["@p", "status"], { home })).code).toBe(0)
    const r = await runFazt(["@p", "upgrade", "--json"], { home })
    expect(r.code).toBe(7)
    expect(JSON.parse(r.stderr).error).toMatchObject({
      code: "PEER_API_ERROR",
      message: expect.stringContaining("Failed to check latest release"),
      details: { status: 502, code: "GITHUB_ERROR" }
    })
    // Not retried: an upgrade may have reached the node.
    expect(host.requests.filter((q) => q.path === "/api/upgrade")).toHaveLength(1)
    const list = await runFazt(["remote", "--json"], { home })
    expect(JSON.parse(list.stdout).data[0].last_status).toBe("healthy")
  })
})

describe("fazt @peer … against our own node", () => {
  it("app deploy, app list, app info, server info, app remove", async () => {
    const { client } = await nodeAndClient(cleanups)
    const dir = path.join(client, "hello")
    fs.mkdirSync(dir)
    fs.writeFileSync(path.join(dir, "index.html"), "<h1>hello</h1>")

    const deployed = await runFazt(["@local", "app", "deploy", dir, "--name", "hello.localhost", "--json"], { home: client })
    expect(deployed.code).toBe(0)
    expect(JSON.parse(deployed.stdout).data).toMatchObject({ site: "hello", file_count: 1 })

    const list = await runFazt(["@local", "app", "list", "--json"], { home: client })
    expect(list.code).toBe(0)
    expect(JSON.parse(list.stdout).data.map((a: { title: string }) => a.title)).toEqual(["hello"])

    const info = await runFazt(["@local", "app", "info", "hello"], { home: client })
    expect(info.code).toBe(0)
    expect(info.stdout).toContain("Title:       hello\n")

    const server = await runFazt(["@local", "server", "info", "--json"], { home: client })
    expect(server.code).toBe(0)
    expect(JSON.parse(server.stdout).data).toMatchObject({ domain: "localhost" })

    const removed = await runFazt(["@local", "app", "remove", "hello"], { home: client })
    expect(removed.code).toBe(0)
    expect(removed.stdout).toContain("App removed")
    const after = await runFazt(["@local", "app", "list", "--json"], { home: client })
    expect(JSON.parse(after.stdout).data).toEqual([])
  })
})

// Issue 24: the CLI as a newcomer meets it, second pass. Each point through the built CLI.
import { spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { bin, clientDb, type RunResult, runFazt, tempHome } from "../support/cli.js"
import { nodeAndClient, startNode } from "../support/node.js"
import { HEALTHY, json, loopbackServer, scriptedPeer } from "../support/scriptedPeer.js"
import { formatUptime } from "../../src/commands/remote/status.js"
import { query } from "../support/sqlite.js"

const cleanups: Array<() => Promise<unknown>> = []
afterAll(async () => {
  for (const c of cleanups) await c()
})

const peers = (home: string) => query(clientDb(home), "SELECT name, is_default FROM peers ORDER BY name")

describe("the default announced after rm is kept", () => {
  it("add a, add b, rm a: b is marked the default in the file; add a again: b stays the default", async () => {
    const home = tempHome()
    expect((await runFazt(["remote", "add", "a", "https://a.example"], { home })).code).toBe(0)
    expect((await runFazt(["remote", "add", "b", "https://b.example"], { home })).code).toBe(0)
    const rm = await runFazt(["remote", "rm", "a"], { home })
    expect(rm.code).toBe(0)
    expect(rm.stderr).toContain("'b' is the only peer left, so it is the default")
    expect(peers(home)).toEqual([{ name: "b", is_default: 1 }])
    expect((await runFazt(["remote", "add", "a", "https://a.example"], { home })).code).toBe(0)
    expect(peers(home)).toEqual([{ name: "a", is_default: 0 }, { name: "b", is_default: 1 }])
    // A command that names no peer goes to the default (before: "2 peers and none is the default", exit 3).
    fs.mkdirSync(path.join(home, "s"))
    fs.writeFileSync(path.join(home, "s", "index.html"), "x")
    const plan = await runFazt(["remote", "deploy", "s", "--dry-run", "--json"], { home })
    expect(plan.code).toBe(0)
    expect(JSON.parse(plan.stdout).data.peer).toBe("b")
  })

  it("removing a peer that was not the default leaves the marked default alone", async () => {
    const home = tempHome()
    for (const n of ["a", "b", "c"]) await runFazt(["remote", "add", n, `https://${n}.example`], { home })
    await runFazt(["remote", "default", "c"], { home })
    await runFazt(["remote", "rm", "a"], { home })
    expect(peers(home)).toEqual([{ name: "b", is_default: 0 }, { name: "c", is_default: 1 }])
  })
})

describe("@peer against another name: a usage error naming both, nothing done", () => {
  let home: string
  beforeAll(async () => {
    home = tempHome()
    await runFazt(["remote", "add", "local", "http://127.0.0.1:9"], { home })
    await runFazt(["remote", "add", "second", "http://127.0.0.1:9"], { home })
  })
  const cases: Array<[Array<string>, string]> = [
    [["@second", "status", "local"], "'local'"],
    [["@second", "deploy", "hello", "local"], "'local'"],
    [["@second", "status", "--all"], "--all"],
    [["@second", "add", "x", "https://x.example"], "'x'"],
    [["remote", "status", "local", "--peer", "second"], "'local'"]
  ]
  for (const [args, other] of cases) {
    it(`fazt ${args.join(" ")}`, async () => {
      const r = await runFazt(args, { home })
      expect(r.code).toBe(2)
      expect(r.stdout).toBe("")
      expect(r.stderr).toContain("@second")
      expect(r.stderr).toContain(other)
      expect(r.stderr).toMatch(/^error: two peers named: /)
      expect(peers(home).map((p) => p.name)).toEqual(["local", "second"])
    })
  }
  it("under --json: one USAGE envelope", async () => {
    const r = await runFazt(["--json", "@second", "status", "local"], { home })
    expect(r.code).toBe(2)
    expect(JSON.parse(r.stderr).error.code).toBe("USAGE")
  })
})

/** Every line on stderr is one JSON object; stdout is empty or one JSON object a line. */
const expectPureJson = (label: string, r: RunResult) => {
  for (const [stream, text] of [["stderr", r.stderr], ["stdout", r.stdout]] as const) {
    for (const line of text.split("\n").filter((l) => l !== "")) {
      let parsed: unknown
      try {
        parsed = JSON.parse(line)
      } catch {
        throw new Error(`${label}: ${stream} carries a line that is not JSON: ${line}`)
      }
      expect(typeof parsed, `${label}: ${line}`).toBe("object")
    }
  }
}

describe("--json: stderr carries only JSON lines, for every verb", () => {
  it("every remote verb, success and failure, deploy --dry-run included", async () => {
    const { client, token, home: nodeHome } = await nodeAndClient(cleanups)
    const site = path.join(client, "json-site")
    fs.mkdirSync(site)
    fs.writeFileSync(path.join(site, "index.html"), "<h1>json</h1>")
    fs.writeFileSync(path.join(site, "id_rsa"), "secret")
    const lines: Array<[Array<string>, string?]> = [
      [["remote", "add", "spare", "http://192.0.2.1:9", "--token-stdin"], "fzt_spare_spare_spare_spare"],
      [["remote", "add", "bare", "https://bare.example"]],
      [["remote"]],
      [["remote", "show", "spare"]],
      [["remote", "default", "local"]],
      [["remote", "rename", "bare", "empty"]],
      [["remote", "set-url", "empty", "https://empty.example"]],
      [["remote", "set-token", "empty", "--token-stdin"], "fzt_empty_empty_empty_empty"],
      [["remote", "status"]],
      [["remote", "status", "--all", "--timeout", "1s", "--retries", "0"]],
      [["remote", "apps"]],
      [["remote", "upgrade", "--check"]],
      [["remote", "deploy", site, "--dry-run"]],
      [["remote", "deploy", site]],
      [["remote", "info"]],
      [["remote", "app", "list"]],
      [["@local", "status"]],
      [["remote", "migrate"]],
      [["remote", "migrate"]],
      [["remote", "remove", "empty"]],
      [["remote", "show", "ghost"]],
      [["remote", "deploy", path.join(site, "index.html")]],
      [["remote", "stauts"]],
      [["server", "create-key", "--name", "again", "--db", path.join(nodeHome, "node.db")]]
    ]
    for (const [args, stdin] of lines) {
      const r = await runFazt(["--json", ...args], { home: client, ...(stdin === undefined ? {} : { stdin }) })
      expectPureJson(args.join(" "), r)
    }
    expect(token).not.toBe("")
  }, 120_000)

  it("deploy --dry-run --json: the summary is not printed as prose; a warning is a JSON line", async () => {
    const home = tempHome()
    await runFazt(["remote", "add", "local", "http://127.0.0.1:9"], { home })
    const site = path.join(home, "s")
    fs.mkdirSync(site)
    fs.writeFileSync(path.join(site, "index.html"), "x")
    fs.writeFileSync(path.join(site, "id_rsa"), "secret")
    const r = await runFazt(["--json", "remote", "deploy", site, "--dry-run"], { home })
    expect(r.code).toBe(0)
    expect(r.stderr).not.toContain("would be deployed")
    expect(r.stderr.trimEnd().split("\n").map((l) => Object.keys(JSON.parse(l)))).toEqual([["warning"]])
    const human = await runFazt(["remote", "deploy", site, "--dry-run"], { home })
    expect(human.stderr).toContain("would be deployed as 's' to 'local'; nothing was sent")
  })

  it("server start --json prints one JSON line with the URL and the bound port, and no banner", async () => {
    const home = tempHome()
    const child = spawn(process.execPath, [bin, "server", "start", "--json", "--port", "0", "--db", path.join(home, "n.db")], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home },
      cwd: home
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c))
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c))
    const exited = new Promise((done) => child.on("exit", done))
    // Never left running, whatever fails below.
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
    })
    const end = Date.now() + 15_000
    while (!stdout.includes("\n") && Date.now() < end) await new Promise((r) => setTimeout(r, 50))
    const line = JSON.parse(stdout.split("\n")[0]!) as { data: { url: string; port: number; api_keys: number } }
    expect(line.data.port).toBeGreaterThan(0)
    expect(line.data.url).toBe(`http://127.0.0.1:${line.data.port}`)
    expect(line.data.api_keys).toBe(0)
    // The port works: the node answers there.
    const health = await fetch(`${line.data.url}/api/system/health`)
    expect(health.status).toBe(401)
    child.kill("SIGTERM")
    await exited
    expectPureJson("server start", { code: 0, signal: null, stdout, stderr })
    expect(stderr).toBe("")
  })
})

describe("deploy's mistakes", () => {
  let home: string
  let site: string
  beforeAll(async () => {
    home = tempHome()
    await runFazt(["remote", "add", "local", "http://127.0.0.1:9"], { home })
    site = path.join(home, "site")
    fs.mkdirSync(site)
    fs.writeFileSync(path.join(site, "index.html"), "x")
  })

  it("a file named as the folder: says it is a file and names its folder", async () => {
    const r = await runFazt(["remote", "deploy", "site/index.html", "--dry-run"], { home })
    expect(r.code).toBe(2)
    expect(r.stderr).toBe("error: site/index.html is not a folder: it is a file; deploy takes the site's folder ('fazt remote deploy site')\n")
  })

  it("peer and folder swapped: says the order", async () => {
    const r = await runFazt(["remote", "deploy", "local", "site", "--dry-run"], { home })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("'local' is a peer and 'site' a folder: the folder comes first ('fazt remote deploy site local')")
  })

  it("inside the site folder with only a peer name: deploys the current folder (as vercel and fly do)", async () => {
    const r = await runFazt(["remote", "deploy", "local", "--dry-run"], { home, cwd: site })
    expect(r.code).toBe(0)
    expect(r.stderr).toContain("deploying the current folder to the peer 'local'")
    expect(r.stdout).toContain("index.html")
    expect(r.stderr).toContain("would be deployed as 'site' to 'local'")
  })
})

describe("smaller things people trip on", () => {
  it("fazt help, fazt help remote, fazt version and -v, as git, gh and docker take them", async () => {
    const home = tempHome()
    expect((await runFazt(["help"], { home })).stdout).toBe((await runFazt(["--help"], { home })).stdout)
    const remoteHelp = await runFazt(["help", "remote"], { home })
    expect(remoteHelp.code).toBe(0)
    expect(remoteHelp.stdout).toBe((await runFazt(["remote", "--help"], { home })).stdout)
    for (const args of [["version"], ["-v"], ["--version"]]) {
      const r = await runFazt(args, { home })
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/)
    }
  })

  it("delete suggests remove; a URL without a scheme is suggested whole; a swapped name and URL are spotted", async () => {
    const home = tempHome()
    const del = await runFazt(["remote", "delete", "x"], { home })
    expect(del.code).toBe(2)
    expect(del.stderr).toContain("(did you mean 'remove'?)")
    const bare = await runFazt(["remote", "add", "foo", "localhost:8080"], { home })
    expect(bare.code).toBe(2)
    expect(bare.stderr).toContain("(did you mean http://localhost:8080?)")
    const remote = await runFazt(["remote", "add", "foo", "admin.zyt.app"], { home })
    expect(remote.stderr).toContain("(did you mean https://admin.zyt.app?)")
    const swapped = await runFazt(["remote", "add", "https://x.example", "foo"], { home })
    expect(swapped.code).toBe(2)
    expect(swapped.stderr).toBe("error: the name comes first, then the URL: fazt remote add foo https://x.example\n")
    expect(fs.existsSync(clientDb(home)) ? peers(home) : []).toEqual([])
  })

  it("create-key without --name: our own words, and help marks it required", async () => {
    const home = tempHome()
    const r = await runFazt(["server", "create-key", "--db", path.join(home, "n.db")], { home })
    expect(r.code).toBe(2)
    expect(r.stderr).toBe("error: --name is required for 'fazt server create-key'; see 'fazt server create-key --help'\n")
    const help = await runFazt(["server", "create-key", "--help"], { home })
    expect(help.stdout).toMatch(/--name NAME\s+What the key is for, e\.g\. laptop \(required\)/)
  })

  it("./bin/fazt.cjs before a build says to run npm run build, not a stack trace", async () => {
    const checkout = fs.mkdtempSync(path.join(tempHome(), "checkout-"))
    fs.mkdirSync(path.join(checkout, "bin"))
    fs.copyFileSync(bin, path.join(checkout, "bin", "fazt.cjs"))
    const r = await new Promise<{ code: number | null; stderr: string }>((done) => {
      const child = spawn(process.execPath, [path.join(checkout, "bin", "fazt.cjs"), "remote"], { env: { PATH: process.env.PATH ?? "" } })
      let stderr = ""
      child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c))
      child.on("close", (code) => done({ code, stderr }))
    })
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^error: fazt is not built yet \(.*dist\/fazt\.cjs is missing\): run 'npm run build' in .*\n$/)
  })
})

describe("status reads as it is", () => {
  it("UPTIME: the two largest units, never 0h 3m", () => {
    expect([5, 185, 3 * 3600 + 120, 345_661].map(formatUptime)).toEqual(["5s", "3m 5s", "3h 2m", "4d 0h 1m"])
  })

  it("MEMORY: used of the limit, each with its unit", async () => {
    const peer = await scriptedPeer([json(200, { data: { ...HEALTHY.data, uptime_seconds: 185, memory: { used_mb: 84, limit_mb: 24105 } } })])
    cleanups.push(peer.close)
    const home = tempHome()
    await runFazt(["remote", "add", "p", peer.url], { home })
    const r = await runFazt(["remote", "status"], { home })
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/healthy\s+0\.29\.0\s+3m 5s\s+84 MB of 24 GB/)
  })

  it("status --all with no peers: the hint, no empty header; --json still an empty list", async () => {
    const home = tempHome()
    const r = await runFazt(["remote", "status", "--all"], { home })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe("")
    expect(r.stderr).toContain("no peers yet")
    const j = await runFazt(["remote", "status", "--all", "--json"], { home })
    expect(JSON.parse(j.stdout)).toEqual({ data: [] })
  })

  it("migrate prints its result once, and a second run says it was already done", async () => {
    const home = tempHome()
    fs.mkdirSync(path.join(home, ".fazt"))
    fs.writeFileSync(path.join(home, ".fazt", "config.json"), JSON.stringify({
      servers: { a: { url: "https://a.example", token: "fzt_aaaaaaaaaaaaaaaa" }, "B B": { url: "https://b.example" } },
      default: "a"
    }))
    const first = await runFazt(["remote", "migrate"], { home })
    expect(first.code).toBe(0)
    expect(first.stdout.split("\n").filter((l) => l.includes("skipped 'B B'"))).toHaveLength(1)
    expect(first.stderr).not.toContain("skipped 'B B'")
    const again = await runFazt(["remote", "migrate"], { home })
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/^Already done: .*config\.json was imported earlier \(it is now .*config\.json\.migrated\)\n$/)
  })
})

describe("a second node on this machine", () => {
  it("its hint names a peer name not taken yet", async () => {
    const home = tempHome()
    await runFazt(["remote", "add", "local", "http://127.0.0.1:9"], { home })
    const node = await startNode({ db: path.join(home, "second.db"), home })
    cleanups.push(() => node.stop())
    const end = Date.now() + 10_000
    while (!node.stderr().includes("--token-stdin") && Date.now() < end) await new Promise((r) => setTimeout(r, 50))
    expect(node.stderr()).toContain(`fazt remote add local-2 ${node.url} --token-stdin`)
    // Reading the peers created nothing and changed nothing.
    expect(peers(home)).toEqual([{ name: "local", is_default: 1 }])
  })
})

describe("an interrupted deploy", () => {
  it("Ctrl-C while uploading says nothing was deployed, then exits 130", async () => {
    // A peer that never reads the upload: it stalls once the socket's buffers are full.
    const peer = await loopbackServer((req) => req.pause())
    cleanups.push(peer.close)
    const home = tempHome()
    await runFazt(["remote", "add", "p", peer.url], { home })
    const site = path.join(home, "big")
    fs.mkdirSync(site)
    fs.writeFileSync(path.join(site, "blob.bin"), randomBytes(32 * 1024 * 1024))
    let pid = 0
    const running = runFazt(["remote", "deploy", site, "--timeout", "60s"], { home, onSpawn: (p) => (pid = p) })
    await new Promise((r) => setTimeout(r, 2500))
    process.kill(pid, "SIGINT")
    const r = await running
    expect(r.code).toBe(130)
    expect(r.stderr).toContain("warning: interrupted: the upload was cut short, so nothing was deployed to p (big is as it was)")
  }, 30_000)
})

describe("server start --log-level debug", () => {
  it("logs one line per request (method, path without the query, status); none at the default level", async () => {
    const home = tempHome()
    const debug = await startNode({ db: path.join(home, "a.db"), home, args: ["--log-level", "debug"] })
    const quiet = await startNode({ db: path.join(home, "b.db"), home })
    cleanups.push(() => debug.stop(), () => quiet.stop())
    for (const node of [debug, quiet]) {
      expect((await fetch(`${node.url}/health`)).status).toBe(200)
      expect((await fetch(`${node.url}/api/system/health?secret=x`)).status).toBe(401)
    }
    const end = Date.now() + 5000
    while (!debug.stderr().includes("/api/system/health") && Date.now() < end) await new Promise((r) => setTimeout(r, 50))
    expect(debug.stderr()).toMatch(/ DEBUG GET \/health → 200 \(\d+ ms\)\n/)
    expect(debug.stderr()).toMatch(/ DEBUG GET \/api\/system\/health → 401 \(\d+ ms\)\n/)
    expect(debug.stderr()).not.toContain("secret=x")
    expect(quiet.stderr()).not.toContain("DEBUG")
  })
})

describe("a bad site name under --json", () => {
  it("is INVALID_PEER_NAME with the library's details, not INVALID_INPUT with {}", async () => {
    const home = tempHome()
    await runFazt(["remote", "add", "local", "http://127.0.0.1:9"], { home })
    const site = path.join(home, "My_Site")
    fs.mkdirSync(site)
    fs.writeFileSync(path.join(site, "index.html"), "x")
    const r = await runFazt(["--json", "remote", "deploy", site, "--dry-run"], { home })
    expect(r.code).toBe(2)
    const error = JSON.parse(r.stderr).error
    expect(error.code).toBe("INVALID_PEER_NAME")
    expect(error.details).toMatchObject({ value: "My_Site", kind: "site", reason: expect.stringContaining("--name") })
    expect(error.message).toMatch(/^invalid site name 'My_Site': /)
  })
})

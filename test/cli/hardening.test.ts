import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as http from "node:http"
import * as https from "node:https"
import * as net from "node:net"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { clientDb, FIXTURE_DB, FIXTURE_KEY, homeWithPeer, runFazt, tempHome } from "../support/cli.js"
import { getSite } from "../support/http.js"
import { holdWriteLock } from "../support/lock.js"
import { startNode } from "../support/node.js"
import { hang, json, scriptedPeer } from "../support/scriptedPeer.js"
import { query, snapshot } from "../support/sqlite.js"
import { until } from "../support/until.js"

const TOKEN = "fzt_hardening_secret_0123456789abcdef"
const cleanups: Array<() => Promise<unknown> | void> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})


const listen = (server: net.Server) =>
  new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)))

describe("network faults", () => {
  it("a peer answering 300 MB of JSON is cut off at the cap: exit 7, nothing held", async () => {
    const server = http.createServer((req, res) => {
      req.resume()
      res.writeHead(200, { "content-type": "application/json" })
      let sent = 0
      const chunk = Buffer.alloc(1024 * 1024, 0x20)
      res.write("{\"data\": {\"status\": \"healthy\", \"pad\": \"")
      const pump = () => {
        while (sent < 300 && res.write(chunk)) sent++
        if (sent >= 300) res.end("\"}}")
        else res.once("drain", pump)
      }
      pump()
    })
    const port = await listen(server)
    cleanups.push(() => new Promise((r) => { server.closeAllConnections(); server.close(() => r(undefined)) }))
    const home = await homeWithPeer(`http://127.0.0.1:${port}`, TOKEN)
    const r = await runFazt(["remote", "status"], { home })
    expect(r.code).toBe(7)
    expect(r.stderr).toContain("larger than 16777216 bytes")
  })

  it("a declared 300 MB answer is refused before reading it", async () => {
    const peer = await scriptedPeer([(_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(300 * 1024 * 1024) })
      res.write("{")
    }])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, TOKEN)
    const r = await runFazt(["remote", "status", "--timeout", "10s"], { home })
    expect(r.code).toBe(7)
    expect(r.stderr).toContain("an answer of 314572800 bytes")
  })

  it("a connection reset mid-body → exit 5, not retried", async () => {
    const peer = await scriptedPeer([(req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "1000" })
      res.write("{\"data\": {\"sta")
      setTimeout(() => req.socket.destroy(), 50)
    }])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, TOKEN)
    const r = await runFazt(["remote", "status"], { home })
    expect(r.code).toBe(5)
    expect(r.stderr).toContain("broke while the answer was arriving")
    expect(peer.seen).toHaveLength(1)
  })

  it("a reset before any answer is retried", async () => {
    const peer = await scriptedPeer([(req) => req.socket.destroy(), json(200, { data: { status: "healthy", version: "0.29.0" } })])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, TOKEN)
    const r = await runFazt(["remote", "status"], { home })
    expect(r.code).toBe(0)
    expect(peer.seen).toHaveLength(2)
  })

  it("TLS: a self-signed certificate and a failed handshake → exit 5 naming TLS", async () => {
    const dir = tempHome()
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"), "-days", "1", "-subj", "/CN=127.0.0.1"], { stdio: "ignore" })
    const tls = https.createServer({ key: fs.readFileSync(path.join(dir, "key.pem")), cert: fs.readFileSync(path.join(dir, "cert.pem")) }, (_req, res) => res.end("{}"))
    const tlsPort = await listen(tls)
    cleanups.push(() => new Promise((r) => tls.close(() => r(undefined))))
    const selfSigned = await homeWithPeer(`https://127.0.0.1:${tlsPort}`, TOKEN)
    const a = await runFazt(["remote", "status"], { home: selfSigned })
    expect(a.code).toBe(5)
    expect(a.stderr).toMatch(/TLS handshake with 127\.0\.0\.1:\d+ failed \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\)/)

    const plain = await scriptedPeer([json(200, {})])
    cleanups.push(plain.close)
    const wrongProtocol = await homeWithPeer(plain.url.replace("http:", "https:"), TOKEN)
    const b = await runFazt(["remote", "status", "--retries", "0"], { home: wrongProtocol })
    expect(b.code).toBe(5)
    expect(b.stderr).toMatch(/TLS handshake with 127\.0\.0\.1:\d+ failed/)
  })

  it("Ctrl-C during status → exit 130, database consistent", async () => {
    const peer = await scriptedPeer([hang])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, TOKEN)
    // Ctrl-C once the request is in flight (so the CLI is surely past start-up).
    let pid = 0
    const running = runFazt(["remote", "status"], { home, onSpawn: (p) => (pid = p) })
    await until("the peer has seen a request", () => peer.seen.length > 0)
    process.kill(pid, "SIGINT")
    const r = await running
    expect(r.code).toBe(130)
    expect(r.stderr).not.toContain("error")
    expect(query(clientDb(home), "PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }])
  })

  it("Ctrl-C during deploy → exit 130, database consistent", async () => {
    const peer = await scriptedPeer([hang])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, TOKEN)
    const site = path.join(home, "site")
    fs.mkdirSync(site)
    fs.writeFileSync(path.join(site, "index.html"), "x")
    let pid = 0
    const running = runFazt(["remote", "deploy", site], { home, onSpawn: (p) => (pid = p) })
    await until("the peer has seen a request", () => peer.seen.length > 0)
    process.kill(pid, "SIGINT")
    const r = await running
    expect(r.code).toBe(130)
    expect(query(clientDb(home), "PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }])
  })
})

describe("database faults", () => {
  it("a write lock held 1.5 s by another process: the command waits and succeeds", async () => {
    const home = tempHome()
    await runFazt(["remote", "add", "keep", "https://keep.example"], { home })
    const lock = await holdWriteLock(clientDb(home), 1500)
    const r = await runFazt(["remote", "add", "late", "https://late.example"], { home })
    await lock.done
    expect(r.code).toBe(0)
    expect(query(clientDb(home), "SELECT name FROM peers ORDER BY name")).toEqual([{ name: "keep" }, { name: "late" }])
  })

  it("a write lock held 20 s: exit 8 within 15 s, one line naming the lock", async () => {
    const home = tempHome()
    await runFazt(["remote", "add", "keep", "https://keep.example"], { home })
    const lock = await holdWriteLock(clientDb(home), 20_000)
    const started = Date.now()
    const r = await runFazt(["remote", "add", "late", "https://late.example"], { home })
    const elapsed = Date.now() - started
    expect(r.code).toBe(8)
    expect(r.stderr.trim().split("\n")).toHaveLength(1)
    expect(r.stderr).toContain("locked by another process")
    expect(elapsed).toBeLessThan(15_000)
    // Listing is a read: WAL lets it through while the writer holds its lock.
    expect((await runFazt(["remote"], { home })).code).toBe(0)
    await lock.release()
    expect(query(clientDb(home), "SELECT name FROM peers")).toEqual([{ name: "keep" }])
  }, 40_000)

  it("a full disk: exit 8 and nothing half-written", async () => {
    const home = tempHome()
    await runFazt(["remote", "add", "keep", "https://keep.example"], { home })
    const file = clientDb(home)
    const before = snapshot(file)
    // RLIMIT_FSIZE of 4 KiB makes every write past it fail like a full disk: the
    // WAL's index and its first frame (a 4 KiB page and its header) do not fit.
    const limitBlocks = 8
    const description = "x".repeat(500)
    const r = await runFazt(["remote", "add", "big", "https://big.example", "--description", description], {
      home,
      shellPrefix: `trap '' XFSZ; ulimit -f ${limitBlocks};`
    })
    expect(r.code).toBe(8)
    expect(r.stderr.trim().split("\n")).toHaveLength(1)
    expect(r.stderr).toMatch(/disk (is full|I\/O error)/)
    expect(snapshot(file)).toEqual(before)
    expect(query(file, "PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }])
  })

  it("a read-only file system: exit 8 for writes, reads still work, nothing changes", async () => {
    const home = tempHome()
    const mnt = path.join(home, "ro")
    fs.mkdirSync(mnt)
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt])
    cleanups.push(() => void execFileSync("umount", ["-l", mnt]))
    const file = path.join(mnt, "data.db")
    expect((await runFazt(["remote", "add", "keep", "https://keep.example", "--db", file], { home })).code).toBe(0)
    execFileSync("mount", ["-o", "remount,ro", mnt])
    const before = fs.readFileSync(file)
    const r = await runFazt(["remote", "add", "new", "https://new.example", "--db", file], { home })
    expect(r.code).toBe(8)
    expect(r.stderr.trim().split("\n")).toHaveLength(1)
    expect(fs.readFileSync(file).equals(before)).toBe(true)
  })
})

describe("secrets", () => {
  it("never appear at FAZT_LOG_LEVEL=debug, in errors or JSON, and --token-stdin keeps them out of ps", async () => {
    const peer = await scriptedPeer([json(401, { error: { code: "INVALID_API_KEY", message: "Invalid API key" } }), json(200, { data: { status: "healthy", version: "1" } })])
    cleanups.push(peer.close)
    const home = tempHome()
    let cmdline = ""
    const add = await runFazt(["remote", "add", "p", peer.url, "--token-stdin", "--json"], {
      home,
      stdin: TOKEN,
      onSpawn: (pid) => {
        try {
          cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8")
        } catch {
          cmdline = "(gone)"
        }
      }
    })
    expect(add.code).toBe(0)
    expect(cmdline).not.toContain(TOKEN)
    const runs = [
      add,
      await runFazt(["remote", "status"], { home, env: { FAZT_LOG_LEVEL: "debug" } }),
      await runFazt(["remote", "status", "--json", "--log-level", "debug"], { home, env: { FAZT_LOG_LEVEL: "debug" } }),
      await runFazt(["remote", "show", "p", "--json"], { home }),
      await runFazt(["remote", "--json"], { home }),
      await runFazt(["remote", "show", "p"], { home })
    ]
    expect(runs[1]!.stderr).toContain("DEBUG → GET")
    for (const r of runs) {
      expect(r.stdout).not.toContain(TOKEN)
      expect(r.stderr).not.toContain(TOKEN)
    }
  })
})

describe("the node's own database", () => {
  it("a port already in use → exit 2, one line", async () => {
    const busy = http.createServer()
    const port = await listen(busy)
    cleanups.push(() => new Promise((r) => busy.close(() => r(undefined))))
    const home = tempHome()
    const r = await runFazt(["server", "start", "--port", String(port), "--db", path.join(home, "n.db")], { home })
    expect(r.code).toBe(2)
    expect(r.stderr.trim()).toBe(`error: cannot listen on 127.0.0.1:${port}: the port is in use`)
  })

  it("is created 0600 in a 0700 folder by fazt server start", async () => {
    const home = tempHome()
    const db = path.join(home, "fresh", "node.db")
    const node = await startNode({ db, home })
    await node.stop()
    expect(fs.statSync(db).mode & 0o777).toBe(0o600)
    expect(fs.statSync(path.dirname(db)).mode & 0o777).toBe(0o700)
    // The lock beside it (one node per database) is private too.
    expect(fs.statSync(`${db}-node.lock`).mode & 0o777).toBe(0o600)
    expect(query(db, "SELECT version FROM migrations ORDER BY version")).toEqual([
      { version: 9 },
      { version: 1000 },
      { version: 1001 },
      { version: 1002 },
      { version: 1003 }
    ])
  })
})

describe("folders", () => {
  it("sockets, FIFOs, loops, 30 levels, unicode and spaces: deploy ships the regular files and never hangs", async () => {
    const home = tempHome()
    const db = path.join(home, "node.db")
    const key = (await runFazt(["server", "create-key", "--name", "t", "--db", db], { home })).stdout.trim()
    const node = await startNode({ db, home })
    cleanups.push(() => node.stop())
    const client = await homeWithPeer(node.url, key)
    const site = path.join(client, "odd")
    const deep = path.join(site, ...Array.from({ length: 30 }, (_, i) => `level ${i}`))
    fs.mkdirSync(deep, { recursive: true })
    fs.writeFileSync(path.join(deep, "deep file.txt"), "deep")
    fs.writeFileSync(path.join(site, "ünïcødé – name.html"), "unicode")
    fs.writeFileSync(path.join(site, "index.html"), "home")
    execFileSync("mkfifo", [path.join(site, "fifo")])
    const sock = net.createServer()
    await new Promise<void>((r) => sock.listen(path.join(site, "app.sock"), () => r()))
    cleanups.push(() => new Promise((r) => sock.close(() => r(undefined))))
    fs.symlinkSync(site, path.join(site, "loop"))
    fs.symlinkSync("/etc", path.join(site, "etc"))
    const r = await runFazt(["remote", "deploy", site, "--json"], { home: client })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).data.file_count).toBe(3)
    expect((await getSite(node.port, "odd", `/${encodeURIComponent("ünïcødé – name.html")}`)).body.toString()).toBe("unicode")
    const deepUrl = "/" + Array.from({ length: 30 }, (_, i) => encodeURIComponent(`level ${i}`)).join("/") + "/deep%20file.txt"
    expect((await getSite(node.port, "odd", deepUrl)).body.toString()).toBe("deep")
  })
})

describe("the node under load", () => {
  it("300 concurrent health calls all 200; 50 wrong tokens all 401; one bcrypt run per distinct token", async () => {
    const home = tempHome()
    const db = path.join(home, "node.db")
    fs.copyFileSync(FIXTURE_DB, db)
    const node = await startNode({ db, home, env: { FAZT_LOG_LEVEL: "debug" } })
    cleanups.push(() => node.stop())
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })
    const call = (token: string) =>
      new Promise<number>((resolve, reject) => {
        http.get(`${node.url}/api/system/health`, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
          res.resume()
          res.on("end", () => resolve(res.statusCode ?? 0))
        }).on("error", reject)
      })
    const good = await Promise.all(Array.from({ length: 300 }, () => call(FIXTURE_KEY)))
    expect(good.every((s) => s === 200)).toBe(true)
    const bad = await Promise.all(Array.from({ length: 50 }, () => call("fzt_wrong_wrong_wrong_wrong_wrong")))
    expect(bad.every((s) => s === 401)).toBe(true)
    agent.destroy()
    expect(node.stderr().match(/api key check: bcrypt/g) ?? []).toHaveLength(2)
  })

  it("concurrent deploys of one site end with one complete version, never a mix", async () => {
    const home = tempHome()
    const db = path.join(home, "node.db")
    const key = (await runFazt(["server", "create-key", "--name", "t", "--db", db], { home })).stdout.trim()
    const node = await startNode({ db, home, args: ["--deploys-per-minute", "0"] })
    cleanups.push(() => node.stop())
    const client = await homeWithPeer(node.url, key)
    const versions = [1, 2, 3, 4, 5, 6]
    const dirs = versions.map((v) => {
      const dir = path.join(client, `v${v}`)
      fs.mkdirSync(dir)
      for (let f = 0; f < 20 + v; f++) fs.writeFileSync(path.join(dir, `f${f}.txt`), `version ${v}`)
      fs.writeFileSync(path.join(dir, "index.html"), `version ${v}`)
      return dir
    })
    const results = await Promise.all(dirs.map((dir) => runFazt(["remote", "deploy", dir, "--name", "race"], { home: client })))
    expect(results.map((r) => r.code)).toEqual(versions.map(() => 0))
    const served = (await getSite(node.port, "race", "/")).body.toString()
    const winner = Number(served.replace("version ", ""))
    expect(versions).toContain(winner)
    for (let f = 0; f < 20 + winner; f++) expect((await getSite(node.port, "race", `/f${f}.txt`)).body.toString()).toBe(served)
    expect(query(db, "SELECT count(*) AS n FROM fazt_remote_files")).toEqual([{ n: 21 + winner }])
    expect(query(db, "PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }])
  })
})

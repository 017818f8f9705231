// The project's own node (`fazt server start`) as fazt's CLI and hostile
// clients meet it: the command gateway, public health, the upgrade check,
// API-key bookkeeping, floods of wrong keys, malformed requests, large files,
// zip bombs and aborted uploads. Every test runs the real node on 127.0.0.1.
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as http from "node:http"
import * as net from "node:net"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { FIXTURE_DB, FIXTURE_KEY, runFazt, tempHome } from "../support/cli.js"
import { getSite } from "../support/http.js"
import { type Answer, clientFor, raw, request as sharedRequest, siteFolder, writeTo as write } from "../support/nodeHttp.js"
import { startNode } from "../support/node.js"
import { query } from "../support/sqlite.js"
import { handMadeZip, postDeploy, zerosZip } from "../support/zip.js"
import { until } from "../support/until.js"

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

/** A node with one API key made by `create-key`; extra flags for `server start`. */
const nodeWithKey = async (args: ReadonlyArray<string> = [], env: Record<string, string> = {}) => {
  const home = tempHome()
  const db = path.join(home, "node.db")
  const token = (await runFazt(["server", "create-key", "--name", "test", "--db", db], { home })).stdout.trim()
  const node = await startNode({ db, home, args, env })
  cleanups.push(() => node.stop())
  return { home, db, token, node }
}

const request = (
  port: number,
  options: { method?: string; path: string; token?: string; body?: string; host?: string; agent?: http.Agent }
) =>
  sharedRequest(port, {
    ...options,
    // Node's shared keep-alive agent unless the test brings its own, as a client would.
    agent: options.agent ?? http.globalAgent,
    ...(options.body !== undefined ? { headers: { "content-type": "application/json" } } : {})
  })

const cmd = (port: number, token: string | undefined, command: unknown) =>
  request(port, { method: "POST", path: "/api/cmd", ...(token !== undefined ? { token } : {}), body: JSON.stringify(command) })

const peakRssKb = (pid: number) => Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))![1])


const stored = (db: string) => ({
  files: query<{ n: number }>(db, "SELECT count(*) AS n FROM fazt_remote_files")[0]!.n,
  chunks: query<{ n: number }>(db, "SELECT count(*) AS n FROM fazt_remote_chunks")[0]!.n,
  deploys: query<{ n: number }>(db, "SELECT count(*) AS n FROM fazt_remote_deploys")[0]!.n
})

describe("the node answers fazt's CLI (issue 10)", () => {
  it("/api/cmd: app list shows a deployed site, app info and app remove, server info; unknown → 200 success:false", async () => {
    const { node, token, db } = await nodeWithKey()
    const empty = await cmd(node.port, token, { command: "app", args: ["list"] })
    // cmd_gateway.go: an empty list is Go's nil slice, i.e. null.
    expect(JSON.parse(empty.body)).toEqual({ data: { success: true, data: null } })

    const client = await clientFor(node.url, token)
    const dir = siteFolder(client, "my-site", { "index.html": "<h1>hi</h1>" })
    expect((await runFazt(["remote", "deploy", dir], { home: client })).code).toBe(0)

    const list = await cmd(node.port, token, { command: "app", args: ["list"] })
    expect(list.status).toBe(200)
    const apps = JSON.parse(list.body) as { data: { success: boolean; data: Array<Record<string, unknown>> } }
    expect(apps.data.success).toBe(true)
    expect(apps.data.data).toEqual([{ id: expect.stringMatching(/^app_[0-9a-z]{8}$/), title: "my-site", visibility: "public", aliases: ["my-site"] }])
    const id = apps.data.data[0]!.id as string

    for (const args of [["info", "my-site"], ["info", id], ["info", "--id", id], ["info", "--alias", "my-site"]]) {
      const info = JSON.parse((await cmd(node.port, token, { command: "app", args })).body)
      expect(info.data).toMatchObject({ success: true, data: { id, title: "my-site", file_count: 1, aliases: ["my-site"], url: `http://my-site.localhost:${node.port}` } })
    }

    const server = JSON.parse((await cmd(node.port, token, { command: "server", args: ["info"] })).body)
    expect(server).toEqual({ data: { success: true, data: { version: "0.1.0", domain: "localhost", env: "development", vfs: { cached_files: 0, cache_size: 0 } } } })

    const failures: Array<[unknown, string]> = [
      [{ command: "deploy", args: [] }, "unknown command"],
      [{ command: "app", args: ["frobnicate"] }, "unknown subcommand"],
      [{ command: "app" }, "missing subcommand"],
      [{ command: "app", args: ["info"] }, "missing required argument"],
      [{ command: "app", args: ["info", "ghost"] }, "not found"],
      [{ command: "app", args: ["remove", "ghost"] }, "not found"],
      [{ command: "server", args: ["reboot"] }, "unknown subcommand"]
    ]
    for (const [body, error] of failures) {
      const answer = await cmd(node.port, token, body)
      expect(answer.status).toBe(200)
      expect(JSON.parse(answer.body)).toEqual({ data: { success: false, error } })
    }
    // A body Go cannot decode, or no command: 400 with fazt's error envelope.
    expect(JSON.parse((await request(node.port, { method: "POST", path: "/api/cmd", token, body: "{nope" })).body)).toEqual({ error: { code: "BAD_REQUEST", message: "invalid request body" } })
    expect((await cmd(node.port, token, { command: "app", args: [1] })).status).toBe(400)
    expect(JSON.parse((await cmd(node.port, token, { args: ["list"] })).body).error.message).toBe("command is required")

    const removed = JSON.parse((await cmd(node.port, token, { command: "app", args: ["remove", "my-site"] })).body)
    expect(removed).toEqual({ data: { success: true, data: { id, title: "my-site", deleted: 1, message: "App removed" } } })
    expect((await getSite(node.port, "my-site", "/")).status).toBe(404)
    expect(stored(db)).toEqual({ files: 0, chunks: 0, deploys: 0 })
  })

  it("no key → 401 UNAUTHORIZED, a wrong key → 401 INVALID_API_KEY; public GET /health needs none", async () => {
    const { node, token } = await nodeWithKey()
    const none = await cmd(node.port, undefined, { command: "server", args: ["info"] })
    expect(none.status).toBe(401)
    expect(JSON.parse(none.body)).toEqual({ error: { code: "UNAUTHORIZED", message: "API key required (Authorization: Bearer <token>)" } })
    const wrong = await cmd(node.port, `${token}x`, { command: "server", args: ["info"] })
    expect(wrong.status).toBe(401)
    expect(JSON.parse(wrong.body).error.code).toBe("INVALID_API_KEY")
    const health = await request(node.port, { path: "/health" })
    expect(health).toMatchObject({ status: 200, body: "OK" })
  })

  it("upgrade check: already_latest with new_version = current (never check_only); --force → 501", async () => {
    const { node, token } = await nodeWithKey()
    for (const query of ["?check=true", ""]) {
      const answer = await request(node.port, { method: "POST", path: `/api/upgrade${query}`, token })
      expect(answer.status).toBe(200)
      expect(JSON.parse(answer.body).data).toMatchObject({ success: true, current_version: "0.1.0", new_version: "0.1.0", action: "already_latest" })
    }
    const force = await request(node.port, { method: "POST", path: "/api/upgrade?force=true", token })
    expect(force.status).toBe(501)
    expect(JSON.parse(force.body).error.code).toBe("NOT_IMPLEMENTED")
  })

  it("sets api_keys.last_used_at (CURRENT_TIMESTAMP) on every authenticated use, for a key fazt made too", async () => {
    const home = tempHome()
    const db = path.join(home, "node.db")
    fs.copyFileSync(FIXTURE_DB, db)
    const node = await startNode({ db, home })
    cleanups.push(() => node.stop())
    const lastUsed = () => query<{ last_used_at: string | null }>(db, "SELECT last_used_at FROM api_keys WHERE id = 1")[0]!.last_used_at
    expect(lastUsed()).toBeNull()
    expect((await request(node.port, { path: "/api/system/health", token: `${FIXTURE_KEY}x` })).status).toBe(401)
    expect(lastUsed()).toBeNull()
    expect((await cmd(node.port, FIXTURE_KEY, { command: "app", args: ["list"] })).status).toBe(200)
    const first = lastUsed()
    expect(first).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/)
    // A cached (no bcrypt) use writes it too.
    write(db, "UPDATE api_keys SET last_used_at = NULL")
    expect((await request(node.port, { path: "/api/system/health", token: FIXTURE_KEY })).status).toBe(200)
    expect(lastUsed()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/)
    // A key deleted while its verdict is cached stops working at once.
    write(db, "DELETE FROM api_keys")
    expect((await request(node.port, { path: "/api/system/health", token: FIXTURE_KEY })).status).toBe(401)
  })
})

describe("the node, for clients without a key (issue 11)", () => {
  it("create-key refuses a blank, overlong or control-character name: exit 2, nothing stored, nothing on stdout", async () => {
    const home = tempHome()
    const db = path.join(home, "node.db")
    expect((await runFazt(["server", "create-key", "--name", "laptop", "--db", db], { home })).code).toBe(0)
    for (const name of ["", "   ", "\x1b[31mX\x07", "a".repeat(101)]) {
      const r = await runFazt(["server", "create-key", "--name", name, "--db", db], { home })
      expect(r.code, name).toBe(2)
      expect(r.stdout).toBe("")
      expect(r.stderr).toMatch(/^error: --name: it /)
    }
    const asJson = await runFazt(["server", "create-key", "--name", "bell\x07", "--db", db, "--json"], { home })
    expect(asJson.code).toBe(2)
    expect(JSON.parse(asJson.stderr).error.code).toBe("USAGE")
    expect(query(db, "SELECT name FROM api_keys")).toEqual([{ name: "laptop" }])
  })

  it("a flood of distinct wrong keys gets 401s and fast 429s, bcrypt stays bounded, pages and a known key keep answering", async () => {
    const { node, token } = await nodeWithKey(["--deploys-per-minute", "0"], { FAZT_LOG_LEVEL: "debug" })
    const client = await clientFor(node.url, token)
    expect((await runFazt(["remote", "deploy", siteFolder(client, "page", { "index.html": "still here" })], { home: client })).code).toBe(0)
    // The known key is cached before the flood.
    expect((await request(node.port, { path: "/api/system/health", token })).status).toBe(200)
    const before = (node.stderr().match(/api key check: bcrypt/g) ?? []).length

    const agent = new http.Agent({ keepAlive: true, maxSockets: 100 })
    const flood = Array.from({ length: 300 }, (_, i) =>
      request(node.port, { path: "/api/system/health", token: `fzt_wrong_${i}_${randomBytes(8).toString("hex")}`, agent }))
    const during = await Promise.all([
      request(node.port, { path: "/api/system/health", token }),
      request(node.port, { path: "/", host: `page.localhost:${node.port}` }),
      request(node.port, { path: "/health" })
    ])
    const answers = await Promise.all(flood)
    agent.destroy()
    expect(during.map((a) => a.status)).toEqual([200, 200, 200])
    expect(during[1]!.body).toBe("still here")
    const statuses = answers.map((a) => a.status)
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true)
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0)
    const throttled = answers.find((a) => a.status === 429)!
    expect(Number(throttled.headers["retry-after"])).toBeGreaterThanOrEqual(1)
    expect(JSON.parse(throttled.body).error.code).toBe("RATE_LIMIT_EXCEEDED")
    // At most 20 wrong keys a minute per address, plus the 8 checks that may be queued.
    const runs = (node.stderr().match(/api key check: bcrypt/g) ?? []).length - before
    expect(runs).toBeLessThanOrEqual(28)
    // After the flood the known key and pages still work.
    expect((await request(node.port, { path: "/api/system/health", token })).status).toBe(200)
  })

  it("a malformed request target or percent-escape → 400 with a body, never a 500", async () => {
    const { node, token } = await nodeWithKey()
    const client = await clientFor(node.url, token)
    expect((await runFazt(["remote", "deploy", siteFolder(client, "s", { "index.html": "x" })], { home: client })).code).toBe(0)
    const cases = [
      "GET /%E0%A4%A HTTP/1.1\r\nHost: s.localhost\r\n\r\n",
      "GET /a%ZZb HTTP/1.1\r\nHost: s.localhost\r\n\r\n",
      `DELETE /api/apps/%ZZ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n\r\n`,
      "GET http://[ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
      "GET * HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
      "GET http://a:b@/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
      "GET /\u00ff\u0001 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n"
    ]
    for (const text of cases) {
      const answer = await raw(node.port, text)
      expect(answer, text).toMatch(/^HTTP\/1\.1 400 /)
      expect(answer.split("\r\n\r\n")[1]!.length, text).toBeGreaterThan(0)
    }
    // The node still serves afterwards.
    expect((await getSite(node.port, "s", "/")).body.toString()).toBe("x")
  })

  it("*.localhost reaches 127.0.0.1 without DNS, as browsers resolve it, so a token over plain http stays on the machine", async () => {
    const { node, token } = await nodeWithKey()
    // This machine's resolver sends such names to DNS (getent finds none); the client must not.
    // admin.localhost is the node's API host, as admin.<domain> is fazt's.
    const url = `http://admin.localhost:${node.port}`
    const client = await clientFor(url, token)
    const status = await runFazt(["remote", "status", "--json"], { home: client })
    expect(status.stderr).toBe("")
    expect(status.code).toBe(0)
    expect(JSON.parse(status.stdout).data).toMatchObject({ name: "local", status: "healthy" })
  })

  it("a large file is stored in chunks and streamed: the node's peak memory stays below the file's size", async () => {
    const size = 120 * 1024 * 1024
    const { node, token, db } = await nodeWithKey(["--max-upload", "300MB", "--max-file-size", "300MB"])
    const base = peakRssKb(node.process.pid!)
    const client = await clientFor(node.url, token)
    const content = randomBytes(size)
    const dir = siteFolder(client, "big", { "index.html": "x", "big.bin": content })
    expect((await runFazt(["remote", "deploy", dir], { home: client })).code).toBe(0)
    expect(query(db, "SELECT size_bytes, chunked, length(content) AS inline FROM fazt_remote_files WHERE path = 'big.bin'")).toEqual([
      { size_bytes: size, chunked: 1, inline: 0 }
    ])
    expect(stored(db).chunks).toBe(120)
    const served = await getSite(node.port, "big", "/big.bin")
    expect(served.status).toBe(200)
    expect(served.body.equals(content)).toBe(true)
    // Held whole, the file alone would add 120 MB (twice, with SQLite's copy).
    expect((peakRssKb(node.process.pid!) - base) * 1024).toBeLessThan(size)
  })
})

describe("the node, for deploys (issue 11)", () => {
  it("a streamed upload over --max-upload gets 413 (not a reset), and the CLI shows it without retrying", async () => {
    const { node, token, db } = await nodeWithKey(["--max-upload", "1MB"])
    const boundary = "b0undary"
    const answer = await new Promise<Answer>((resolve, reject) => {
      const req = http.request({
        host: "127.0.0.1",
        port: node.port,
        method: "POST",
        path: "/api/deploy",
        headers: { authorization: `Bearer ${token}`, "content-type": `multipart/form-data; boundary=${boundary}`, connection: "close" }
      }, (res) => {
        let body = ""
        res.setEncoding("utf8").on("data", (c: string) => (body += c))
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      })
      req.on("error", reject)
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="site_name"\r\n\r\nx\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.zip"\r\n\r\n`)
      for (let i = 0; i < 64; i++) req.write(Buffer.alloc(64 * 1024, i))
      req.end(`\r\n--${boundary}--\r\n`)
    })
    expect(answer.headers["content-length"]).toBeDefined()
    expect(answer.status).toBe(413)
    expect(JSON.parse(answer.body).error).toMatchObject({ code: "PAYLOAD_TOO_LARGE", message: expect.stringContaining("--max-upload") })

    const client = await clientFor(node.url, token)
    const big = siteFolder(client, "big", { "blob.bin": randomBytes(3 * 1024 * 1024) })
    const r = await runFazt(["remote", "deploy", big, "--log-level", "debug"], { home: client })
    expect(r.code).toBe(7)
    expect(r.stderr).toContain("413 PAYLOAD_TOO_LARGE")
    expect(r.stderr.match(/→ POST/g) ?? []).toHaveLength(1)
    expect(stored(db)).toEqual({ files: 0, chunks: 0, deploys: 0 })
  })

  it("a deploy with a wrong key or past the rate limit is answered (401, 429), never a reset the client retries", async () => {
    const { node, token } = await nodeWithKey(["--deploys-per-minute", "1"])
    const client = await clientFor(node.url, "fzt_wrong_wrong_wrong_wrong_wrong")
    const dir = siteFolder(client, "site", { "index.html": "x", "blob.bin": randomBytes(4 * 1024 * 1024) })
    const wrong = await runFazt(["remote", "deploy", dir, "--log-level", "debug"], { home: client })
    expect(wrong.code).toBe(6)
    expect(wrong.stderr).toContain("INVALID_API_KEY")
    expect(wrong.stderr.match(/→ POST/g) ?? []).toHaveLength(1)
    await runFazt(["remote", "set-token", "local", "--token-stdin"], { home: client, stdin: token })
    expect((await runFazt(["remote", "deploy", dir], { home: client })).code).toBe(0)
    const limited = await runFazt(["remote", "deploy", dir, "--retries", "0", "--log-level", "debug"], { home: client })
    expect(limited.code).toBe(7)
    expect(limited.stderr).toContain("--deploys-per-minute")
    expect(limited.stderr).not.toContain("reset")
  })

  it("a 1 MB zip that unpacks to 1 GB → 413 naming --max-unpacked; nothing stored, memory bounded", async () => {
    const { node, token, db } = await nodeWithKey()
    const bomb = zerosZip(Array.from({ length: 8 }, (_, i) => ({ name: `zeros${i}.bin`, size: 128 * 1024 * 1024 })))
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024)
    const base = peakRssKb(node.process.pid!)
    const answer = await postDeploy(node.url, token, "bomb", bomb)
    expect(answer.status).toBe(413)
    expect(answer.body.error).toMatchObject({ code: "PAYLOAD_TOO_LARGE", message: expect.stringContaining("--max-unpacked") })
    expect(stored(db)).toEqual({ files: 0, chunks: 0, deploys: 0 })
    expect(peakRssKb(node.process.pid!) - base).toBeLessThan(64 * 1024)

    const oneHuge = await postDeploy(node.url, token, "huge", zerosZip([{ name: "a.bin", size: 300 * 1024 * 1024 }]))
    expect(oneHuge.status).toBe(413)
    expect(oneHuge.body.error!.message).toContain("--max-file-size")
    expect(stored(db)).toEqual({ files: 0, chunks: 0, deploys: 0 })
  })

  it("--max-files, --max-unpacked and --max-file-size are flags; within them a zip of zeros deploys whole", async () => {
    const { node, token, db } = await nodeWithKey(["--max-files", "3", "--max-unpacked", "5MB", "--max-file-size", "3MB", "--deploys-per-minute", "0"])
    const four = handMadeZip(["a", "b", "c", "d"].map((name) => ({ name, content: name })))
    const many = await postDeploy(node.url, token, "many", four)
    expect(many.status).toBe(413)
    expect(many.body.error!.message).toContain("--max-files")
    const total = await postDeploy(node.url, token, "total", zerosZip([{ name: "a", size: 3 << 20 }, { name: "b", size: 3 << 20 }]))
    expect(total.body.error!.message).toContain("--max-unpacked")
    const one = await postDeploy(node.url, token, "one", zerosZip([{ name: "a", size: 4 << 20 }]))
    expect(one.body.error!.message).toContain("--max-file-size")
    expect(stored(db)).toEqual({ files: 0, chunks: 0, deploys: 0 })
    const fits = await postDeploy(node.url, token, "fits", zerosZip([{ name: "index.html", size: 10 }, { name: "z.bin", size: 3 << 20 }]))
    expect(fits.status).toBe(200)
    expect(fits.body.data).toMatchObject({ file_count: 2, size_bytes: (3 << 20) + 10 })
    const served = await getSite(node.port, "fits", "/z.bin")
    expect(served.body.equals(Buffer.alloc(3 << 20))).toBe(true)
  })

  it("a duplicate entry is counted once (the last one wins)", async () => {
    const { node, token, db } = await nodeWithKey()
    const zip = handMadeZip([
      { name: "a.txt", content: "first" },
      { name: "index.html", content: "home" },
      { name: "./a.txt", content: "second!" }
    ])
    const answer = await postDeploy(node.url, token, "dup", zip)
    expect(answer.status).toBe(200)
    expect(answer.body.data).toMatchObject({ file_count: 2, size_bytes: 4 + 7 })
    expect((await getSite(node.port, "dup", "/a.txt")).body.toString()).toBe("second!")
    expect(query(db, "SELECT file_count, size_bytes FROM fazt_remote_sites")).toEqual([{ file_count: 2, size_bytes: 11 }])
  })

  it("an aborted upload leaves no temporary file and no open handle; nor does SIGTERM mid-upload", async () => {
    const tmp = tempHome()
    const { node, token, db } = await nodeWithKey(["--max-upload", "200MB"], { TMPDIR: tmp })
    const pid = node.process.pid!
    const uploads = () => fs.readdirSync(tmp).filter((f) => f.startsWith("fazt-node-uploads-")).map((f) => path.join(tmp, f))
    expect(uploads()).toHaveLength(1)
    const received = () => fs.readdirSync(uploads()[0]!, { recursive: true }).length
    const openUnder = () =>
      fs.readdirSync(`/proc/${pid}/fd`).filter((fd) => {
        try {
          return fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(tmp)
        } catch {
          return false
        }
      }).length

    const startUpload = () => {
      const socket = net.connect(node.port, "127.0.0.1")
      const boundary = "b0undary"
      socket.write(
        `POST /api/deploy HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n` +
          `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="site_name"\r\n\r\nx\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.zip"\r\n\r\n`
      )
      for (let i = 0; i < 32; i++) socket.write(Buffer.alloc(64 * 1024, i))
      socket.on("error", () => undefined)
      return socket
    }

    const aborted = startUpload()
    await until("the upload is being received", () => received() > 0 && openUnder() > 0)
    aborted.destroy()
    await until("the received part is removed and its handle closed", () => received() === 0 && openUnder() === 0)
    expect(stored(db)).toEqual({ files: 0, chunks: 0, deploys: 0 })

    const cut = startUpload()
    await until("the second upload is being received", () => received() > 0)
    expect(await node.stop("SIGTERM")).not.toBeNull()
    cut.destroy()
    expect(uploads()).toEqual([])
  })
})

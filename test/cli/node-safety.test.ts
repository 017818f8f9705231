// The local node keeping its promises beside another node and under faults
// (issue 23): one node per database, crash cleanup that spares a live
// writer, a database file deleted or replaced under the running node,
// duplicate Host headers and absolute-form targets, a full disk under the
// database or the upload folder (a small tmpfs), each 413 naming its own
// flag, and HTTP framing errors. Every test runs the real `fazt server start`.
import { execFileSync, spawnSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import Sqlite from "better-sqlite3"
import { afterEach, describe, expect, it } from "vitest"
import { selfIdentity } from "../../src/services/node/processIdentity.js"
import { runFazt, tempHome } from "../support/cli.js"
import { getSite } from "../support/http.js"
import { startNode } from "../support/node.js"
import { clientFor, deployFiles, deployZip, getOnSite, nodeWithKey, raw, request, siteFolder, statusOf } from "../support/nodeHttp.js"
import { query } from "../support/sqlite.js"
import { handMadeZip } from "../support/zip.js"
import { until } from "../support/until.js"

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

/** A tmpfs of `size` (e.g. "6m") mounted on a new folder, unmounted after the test; undefined when this user cannot mount. */
const smallDisk = (size: string): string | undefined => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fazt-small-disk-"))
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0700`, "tmpfs", dir]).status === 0
  if (!mounted) return undefined
  cleanups.unshift(async () => {
    spawnSync("umount", ["-l", dir])
    fs.rmSync(dir, { recursive: true, force: true })
  })
  return dir
}
const canMount = (() => {
  if (process.getuid?.() !== 0) return false
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fazt-mount-check-"))
  const ok = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir]).status === 0
  if (ok) execFileSync("umount", [dir])
  fs.rmSync(dir, { recursive: true, force: true })
  return ok
})()

describe("one node per database", () => {
  it("a second node on the folder of a node unpacking a large deploy is refused, naming the first; the first's site is whole", async () => {
    const { node, token, db, home } = await nodeWithKey(cleanups, ["--max-upload", "300MB", "--deploys-per-minute", "0"])
    const files = Array.from({ length: 61 }, (_, i) => ({ name: `f${String(i).padStart(2, "0")}.bin`, content: randomBytes(2 * 1024 * 1024) }))
    files.push({ name: "index.html", content: Buffer.from("whole") })
    const deploying = deployZip(node.url, token, "big", handMadeZip(files))
    // The first node is staging: an unfinished deploy is in the database.
    await until("the deploy is being unpacked", () =>
      query<{ n: number }>(db, "SELECT count(*) AS n FROM fazt_remote_deploys WHERE complete = 0")[0]!.n > 0)
    const second = await runFazt(["server", "start", "--port", "0", "--db", db], { home, killAfterMs: 20_000 })
    const stillUnpacking = query<{ n: number }>(db, "SELECT count(*) AS n FROM fazt_remote_deploys WHERE complete = 0")[0]!.n
    expect(second.code).toBe(4)
    expect(second.stderr).toContain(`another fazt node already serves the database ${db} (pid ${node.process.pid}, listening on ${node.url}`)
    expect(second.stderr).not.toContain("Removed")
    const answer = await deploying
    expect(answer.status).toBe(200)
    expect(answer.body.data).toMatchObject({ file_count: 62 })
    // Whole: every file there, byte for byte.
    for (const f of [files[0]!, files[30]!, files[60]!, files[61]!]) {
      const served = await getSite(node.port, "big", `/${f.name}`)
      expect(served.body.equals(f.content), f.name).toBe(true)
    }
    expect(query(db, "SELECT count(*) AS n FROM fazt_remote_files f JOIN fazt_remote_sites s ON s.deploy_id = f.deploy_id")).toEqual([{ n: 62 }])
    // The refusal came while the first node was still unpacking.
    expect(stillUnpacking).toBe(1)
  })

  it("the lock does not outlive a crash: after SIGKILL the next node starts, and --json names the running one as NODE_ALREADY_RUNNING", async () => {
    const { node, db, home } = await nodeWithKey(cleanups)
    const refused = await runFazt(["server", "start", "--port", "0", "--db", db, "--json"], { home, killAfterMs: 20_000 })
    expect(refused.code).toBe(4)
    expect(JSON.parse(refused.stderr).error).toMatchObject({ code: "NODE_ALREADY_RUNNING", details: { database: db, pid: node.process.pid, url: node.url } })
    expect(refused.stdout).toBe("")
    await node.stop("SIGKILL")
    const next = await startNode({ db, home })
    cleanups.push(() => next.stop())
    expect((await request(next.port, { path: "/health" })).body).toBe("OK")
  })

  it("crash cleanup removes only unfinished deploys whose writer is gone", async () => {
    const home = tempHome()
    const db = path.join(home, "node.db")
    expect((await runFazt(["server", "create-key", "--name", "t", "--db", db], { home })).code).toBe(0)
    const handle = new Sqlite(db)
    // A writer that is alive (this test process), one long gone, one from before writers were recorded.
    for (const [id, writer] of [[1, selfIdentity()], [2, `${os.hostname()}:999999999:`], [3, null]] as const) {
      handle.prepare("INSERT INTO fazt_remote_deploys (id, site, complete, writer) VALUES (?, 's', 0, ?)").run(id, writer)
      handle.prepare("INSERT INTO fazt_remote_files (deploy_id, path, content, size_bytes, mime_type) VALUES (?, 'a', x'00', 1, 'x')").run(id)
    }
    handle.close()
    const node = await startNode({ db, home })
    cleanups.push(() => node.stop())
    expect(node.stderr()).toContain("Removed 2 unfinished deploy(s)")
    expect(query(db, "SELECT id FROM fazt_remote_deploys")).toEqual([{ id: 1 }])
    expect(query(db, "SELECT deploy_id FROM fazt_remote_files")).toEqual([{ deploy_id: 1 }])
  })
})

describe("the database file deleted or replaced under a running node", () => {
  for (const how of ["deleted", "replaced"] as const) {
    it(`${how}: /health 503, system health unhealthy, deploys and deletes refused with 503 DATABASE_GONE`, async () => {
      const { node, token, db } = await nodeWithKey(cleanups, ["--deploys-per-minute", "0"])
      expect((await deployFiles(node.url, token, "s", { "index.html": "v1" })).status).toBe(200)
      if (how === "deleted") fs.rmSync(db)
      else {
        fs.copyFileSync(db, `${db}.copy`)
        fs.renameSync(`${db}.copy`, db)
      }
      const health = await request(node.port, { path: "/health" })
      expect([health.status, health.body]).toEqual([503, "Database unhealthy\n"])
      const system = await request(node.port, { path: "/api/system/health", token })
      expect(JSON.parse(system.body).data).toMatchObject({ status: "unhealthy", problem: `this node's database file was ${how === "deleted" ? "deleted" : "replaced by another file"} while the node ran` })
      const deploy = await deployFiles(node.url, token, "s", { "index.html": "v2" })
      expect(deploy.status).toBe(503)
      expect(deploy.body.error).toMatchObject({ code: "DATABASE_GONE", message: expect.stringContaining("restart the node") })
      const removed = await request(node.port, { method: "DELETE", path: "/api/apps/s", token })
      expect(removed.status).toBe(503)
      const viaGateway = JSON.parse((await request(node.port, {
        method: "POST", path: "/api/cmd", token, headers: { "content-type": "application/json" }, body: JSON.stringify({ command: "app", args: ["remove", "s"] })
      })).body)
      expect(viaGateway.data).toMatchObject({ success: false, error: expect.stringContaining("restart the node") })
      expect(node.stderr()).toContain(`(${db}): nothing more is stored; restart the node`)
      // The CLI reports the node as not healthy.
      const client = await clientFor(node.url, token)
      const status = await runFazt(["remote", "status", "--json"], { home: client })
      expect(JSON.parse(status.stdout).data).toMatchObject({ status: "error" })
    })
  }
})

describe("requests the node must not guess at", () => {
  it("two Host headers → 400; no Host in HTTP/1.1 → 400 with a body; the node keeps serving", async () => {
    const { node, token } = await nodeWithKey(cleanups)
    expect((await deployFiles(node.url, token, "a", { "index.html": "site a" })).status).toBe(200)
    expect((await deployFiles(node.url, token, "b", { "index.html": "site b" })).status).toBe(200)
    for (const hosts of [["a.localhost", "b.localhost"], ["a.localhost", "a.localhost"], ["127.0.0.1", "a.localhost"]]) {
      const answer = await raw(node.port, `GET / HTTP/1.1\r\n${hosts.map((h) => `Host: ${h}\r\n`).join("")}Connection: close\r\n\r\n`)
      expect([hosts, statusOf(answer)]).toEqual([hosts, 400])
      expect(answer).toContain(`"message":"more than one Host header"`)
      expect(answer).not.toContain("site a")
    }
    const noHost = await raw(node.port, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
    expect(statusOf(noHost)).toBe(400)
    expect(noHost).toContain("the request has no Host header")
    expect((await getOnSite(node.port, "a", "/")).body).toBe("site a")
  })

  it("an absolute-form target's authority picks the site, not the Host header (RFC 9112 §3.2.2)", async () => {
    const { node, token } = await nodeWithKey(cleanups)
    expect((await deployFiles(node.url, token, "a", { "index.html": "site a" })).status).toBe(200)
    expect((await deployFiles(node.url, token, "b", { "index.html": "site b" })).status).toBe(200)
    const toB = await raw(node.port, `GET http://b.localhost:${node.port}/ HTTP/1.1\r\nHost: a.localhost\r\nConnection: close\r\n\r\n`)
    expect(statusOf(toB)).toBe(200)
    expect(toB.endsWith("site b")).toBe(true)
    // An absolute-form target naming the API host reaches the API, whatever Host says.
    const toApi = await raw(node.port, `GET http://127.0.0.1:${node.port}/api/system/health HTTP/1.1\r\nHost: a.localhost\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`)
    expect(statusOf(toApi)).toBe(200)
    expect(toApi).toContain(`"status":"healthy"`)
  })

  it("HTTP framing errors → 400 with a JSON body: Content-Length with Transfer-Encoding, two lengths, bad lengths, a broken chunk mid-upload, an unknown coding", async () => {
    const { node, token, db } = await nodeWithKey(cleanups)
    const key = `Authorization: Bearer ${token}\r\n`
    const cases = [
      "POST /api/deploy HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "POST /api/deploy HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
      "POST /api/cmd HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
      "POST /api/cmd HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n",
      `POST /api/deploy HTTP/1.1\r\nHost: x\r\n${key}Content-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n--b\r\n\r\nZZZ\r\nxx\r\n`,
      `POST /api/cmd HTTP/1.1\r\nHost: x\r\n${key}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"com\r\nZZZ\r\n`,
      "GET / HTTP/1.1\r\nHost: a.localhost\r\nTransfer-Encoding: gzip\r\n\r\n"
    ]
    for (const text of cases) {
      const answer = await raw(node.port, text)
      expect([text, statusOf(answer)]).toEqual([text, 400])
      expect(answer.split("\r\n\r\n")[1], text).toContain(`"code":"BAD_REQUEST"`)
    }
    expect(query(db, "SELECT count(*) AS n FROM fazt_remote_deploys")).toEqual([{ n: 0 }])
    expect((await request(node.port, { path: "/health" })).body).toBe("OK")
  })
})

describe("a full disk", () => {
  it.skipIf(!canMount)("under the database (a 6 MB tmpfs): the deploy gets 507 INSUFFICIENT_STORAGE, the old site stays whole, the database intact; the CLI exits 7", async () => {
    const disk = smallDisk("6m")!
    const db = path.join(disk, "node.db")
    const { node, token } = await nodeWithKey(cleanups, ["--deploys-per-minute", "0"], {}, { db })
    expect((await deployFiles(node.url, token, "s", { "index.html": "v1" })).status).toBe(200)
    const answer = await deployFiles(node.url, token, "s", { "index.html": "v2", "big.bin": randomBytes(8 * 1024 * 1024) })
    expect(answer.status).toBe(507)
    expect(answer.body.error).toEqual({ code: "INSUFFICIENT_STORAGE", message: "This node cannot store the request: its disk is full (or failing)" })
    expect(answer.text).not.toContain(disk)
    expect((await getOnSite(node.port, "s", "/")).body).toBe("v1")
    expect((await getOnSite(node.port, "s", "/big.bin")).status).toBe(404)
    expect(query(db, "PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }])
    expect(node.stderr()).toMatch(/POST \/api\/deploy: database .*: the disk is full/)
    // The client's view: one line naming the status, exit 7.
    const client = await clientFor(node.url, token)
    const r = await runFazt(["remote", "deploy", siteFolder(client, "s", { "index.html": "v3", "big.bin": randomBytes(8 * 1024 * 1024) })], { home: client })
    expect(r.code).toBe(7)
    expect(r.stderr).toContain("507 INSUFFICIENT_STORAGE")
    // Once the failed deploy's rows are gone the node takes small deploys again.
    expect((await deployFiles(node.url, token, "s", { "index.html": "v4" })).status).toBe(200)
  })

  it.skipIf(!canMount)("under the upload folder (TMPDIR on a 1 MB tmpfs): 507 INSUFFICIENT_STORAGE, not a 400; nothing stored, the folder emptied", async () => {
    const disk = smallDisk("1m")!
    const { node, token, db } = await nodeWithKey(cleanups, ["--deploys-per-minute", "0"], { TMPDIR: disk })
    const answer = await deployFiles(node.url, token, "s", { "index.html": "x", "big.bin": randomBytes(3 * 1024 * 1024) })
    expect(answer.status).toBe(507)
    expect(answer.body.error!.code).toBe("INSUFFICIENT_STORAGE")
    expect(query(db, "SELECT count(*) AS n FROM fazt_remote_deploys")).toEqual([{ n: 0 }])
    const uploads = fs.readdirSync(disk).filter((f) => f.startsWith("fazt-node-uploads-"))
    expect(uploads).toHaveLength(1)
    await until("the received part is removed", () => fs.readdirSync(path.join(disk, uploads[0]!)).length === 0)
    expect((await deployFiles(node.url, token, "s", { "index.html": "small" })).status).toBe(200)
  })
})

describe("each 413 names its own flag", () => {
  it("--max-upload, --max-files, --max-unpacked, --max-file-size: the node's message and the CLI's hint name the flag that applied", async () => {
    const { node, token } = await nodeWithKey(cleanups, [
      "--max-upload", "8MB", "--max-files", "3", "--max-unpacked", "5MB", "--max-file-size", "3MB", "--deploys-per-minute", "0"
    ])
    const client = await clientFor(node.url, token)
    const cases: Array<[string, Record<string, string | Buffer>]> = [
      ["--max-upload", { "index.html": "x", "noise.bin": randomBytes(9 * 1024 * 1024) }],
      ["--max-files", { "a.txt": "a", "b.txt": "b", "c.txt": "c", "d.txt": "d" }],
      ["--max-unpacked", { "a.bin": Buffer.alloc(2_900_000), "b.bin": Buffer.alloc(2_900_000) }],
      ["--max-file-size", { "a.bin": Buffer.alloc(4 * 1024 * 1024) }]
    ]
    for (const [flag, files] of cases) {
      const r = await runFazt(["remote", "deploy", siteFolder(client, `s${flag.replaceAll("-", "")}`, files), "--name", "s"], { home: client })
      expect([flag, r.code]).toEqual([flag, 7])
      expect(r.stderr).toContain("413 PAYLOAD_TOO_LARGE")
      expect(r.stderr).toContain(flag)
      for (const other of ["--max-upload", "--max-files", "--max-unpacked", "--max-file-size"].filter((f) => f !== flag)) {
        expect([flag, r.stderr.includes(`${other} `) || r.stderr.includes(`${other})`)]).toEqual([flag, false])
      }
    }
  })
})

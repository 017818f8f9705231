import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer, Logger, LogLevel, Redacted, Schedule } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import {
  type AttemptFailure,
  type DeployProgress,
  FaztRemote,
  type FaztRemoteOptions,
  Peer,
  PeerClient,
  PeerStore
} from "../../src/index.js"
import { runFazt, tempHome } from "../support/cli.js"
import { getSite } from "../support/http.js"
import { startNode } from "../support/node.js"
import { HEALTHY, json, scriptedPeer } from "../support/scriptedPeer.js"
import { query } from "../support/sqlite.js"

const TOKEN = "fzt_client_test_token_0123456789"

/** A client database with one peer, `p`, at `url`, and the services on it. */
const withPeer = (url: string, options: Omit<FaztRemoteOptions, "filename"> = {}, token = TOKEN) => {
  const filename = path.join(tempHome(), "data.db")
  const layer = FaztRemote.layer({ filename, legacyConfigPath: `${filename}.none`, ...options })
  const peer = Effect.flatMap(PeerStore, (store) => store.add({ name: "p", url, token: Redacted.make(token) }))
  return { filename, layer, peer }
}

const scripted = (script: Parameters<typeof scriptedPeer>[0]) =>
  Effect.acquireRelease(Effect.promise(() => scriptedPeer(script)), (s) => Effect.promise(() => s.close()))

const siteFolder = (root: string, name: string, files: Record<string, string>) => {
  const dir = path.join(root, name)
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
    fs.writeFileSync(path.join(dir, rel), content)
  }
  return dir
}

describe("PeerClient.deployFolder against the project's node", () => {
  it.live("scans, zips and uploads in one call, reporting progress and the site's URL", () =>
    Effect.gen(function* () {
      const home = tempHome()
      const nodeDb = path.join(home, "node.db")
      const token = (yield* Effect.promise(() => runFazt(["server", "create-key", "--name", "t", "--db", nodeDb], { home }))).stdout.trim()
      const node = yield* Effect.acquireRelease(Effect.promise(() => startNode({ db: nodeDb, home })), (n) => Effect.promise(() => n.stop()))
      const dir = siteFolder(home, "docs", {
        "index.html": "<h1>docs</h1>",
        "guide/intro.html": "intro ".repeat(5000),
        "manifest.json": JSON.stringify({ spa: true }),
        ".secret": "hidden files stay home",
        "node_modules/x/index.js": "left out"
      })
      const { filename, layer, peer } = withPeer(node.url, {}, token)

      const events: Array<DeployProgress> = []
      const result = yield* Effect.gen(function* () {
        const client = yield* PeerClient
        return yield* client.deployFolder(yield* peer, dir, { onProgress: (p) => events.push(p) })
      }).pipe(Effect.provide(layer))

      expect(result).toMatchObject({ site: "docs", file_count: 3, spa: true, url: `http://docs.localhost:${node.port}/` })
      const phases = events.map((e) => e.phase).filter((phase, i, all) => phase !== all[i - 1])
      expect(phases).toEqual(["scanning", "uploading", "processing", "done"])
      const uploads = events.filter((e) => e.phase === "uploading").map((e) => e.sentBytes)
      expect(uploads).toEqual([...uploads].sort((a, b) => a - b))
      const processing = events.find((e) => e.phase === "processing")!
      expect(processing.totalBytes).toBe(uploads.at(-1))
      // The folder's own size (the three files that ship) comes with every event after the scan.
      expect(events.at(-1)).toEqual({ phase: "done", sentBytes: processing.sentBytes, totalBytes: processing.sentBytes, folderBytes: 13 + 30_000 + 12 })
      // Served at the reported URL (spa: unknown paths fall back to index.html); hidden files stayed home.
      expect((yield* Effect.promise(() => getSite(node.port, "docs", "/guide/intro.html"))).body.toString()).toBe("intro ".repeat(5000))
      expect((yield* Effect.promise(() => getSite(node.port, "docs", "/no/such/page"))).body.toString()).toBe("<h1>docs</h1>")
      expect((yield* Effect.promise(() => getSite(node.port, "docs", "/.secret"))).body.toString()).not.toContain("hidden")
      expect(query(filename, "SELECT last_status FROM peers")).toEqual([{ last_status: "healthy" }])
    }).pipe(Effect.scoped))

  it.live("bad names and empty folders fail before anything is sent", () =>
    Effect.gen(function* () {
      const server = yield* scripted([json(500, {})])
      const home = tempHome()
      const empty = path.join(home, "empty")
      fs.mkdirSync(empty)
      const ok = siteFolder(home, "fine", { "index.html": "x" })
      const { layer, peer } = withPeer(server.url)
      const failures = yield* Effect.gen(function* () {
        const client = yield* PeerClient
        const p = yield* peer
        return yield* Effect.all([
          Effect.flip(client.deployFolder(p, siteFolder(home, "Upper_Case", { "a.txt": "x" }))),
          Effect.flip(client.deployFolder(p, ok, { name: "www" })),
          Effect.flip(client.deployFolder(p, empty)),
          Effect.flip(client.deployFolder(p, path.join(home, "missing")))
        ])
      }).pipe(Effect.provide(layer))
      expect(failures.map((e) => e._tag)).toEqual(["InvalidPeerName", "InvalidPeerName", "InvalidFolder", "InvalidFolder"])
      expect(failures.map((e) => e.message)).toEqual([
        expect.stringContaining("invalid site name 'Upper_Case'"),
        "invalid site name 'www': 'www' is reserved",
        `${empty} has nothing to deploy (hidden files, node_modules and ignored files are left out)`,
        expect.stringContaining("does not exist")
      ])
      expect(server.seen).toHaveLength(0)
    }).pipe(Effect.scoped))

  it.live("a retried upload starts its progress over and re-sends the whole zip", () =>
    Effect.gen(function* () {
      const answer = { data: { site: "fine", file_count: 1, size_bytes: 1, message: "ok" } }
      const server = yield* scripted([json(503, { error: { code: "BUSY", message: "busy" } }), json(200, answer)])
      const dir = siteFolder(tempHome(), "fine", { "index.html": "x".repeat(100_000) })
      const { layer, peer } = withPeer(server.url, { transport: { retries: 1, backoff: "1 millis" } })
      const events: Array<DeployProgress> = []
      const result = yield* Effect.flatMap(PeerClient, (client) =>
        Effect.flatMap(peer, (p) => client.deployFolder(p, dir, { onProgress: (e) => events.push(e) }))).pipe(Effect.provide(layer))
      expect(result.url).toBe(`http://fine.localhost:${server.port}/`)
      expect(server.seen.map((r) => r.method)).toEqual(["POST", "POST"])
      // Each attempt opens with sentBytes 0 and counts the whole zip again.
      expect(events.filter((e) => e.phase === "uploading" && e.sentBytes === 0)).toHaveLength(2)
      expect(events.map((e) => e.phase)[0]).toBe("scanning")
      expect(events.at(-1)!.phase).toBe("done")
    }).pipe(Effect.scoped))

  it.live("an onProgress that throws is logged and ignored, not taken for a network failure", () =>
    Effect.gen(function* () {
      const answer = { data: { site: "fine", file_count: 1, size_bytes: 1, message: "ok" } }
      const server = yield* scripted([json(200, answer)])
      const dir = siteFolder(tempHome(), "fine", { "index.html": "x" })
      const { layer, peer } = withPeer(server.url, { transport: { retries: 0 } })
      let calls = 0
      const result = yield* Effect.flatMap(PeerClient, (client) =>
        Effect.flatMap(peer, (p) =>
          client.deployFolder(p, dir, {
            onProgress: () => {
              calls++
              throw new Error("host bug")
            }
          }))).pipe(Effect.provide(layer), Logger.withMinimumLogLevel(LogLevel.None))
      expect(result.site).toBe("fine")
      expect(calls).toBeGreaterThanOrEqual(4)
      expect(server.seen).toHaveLength(1)
    }).pipe(Effect.scoped))
})

describe("policies as data", () => {
  const status = Effect.flatMap(PeerClient, (client) => Effect.flatMap(Effect.flatMap(PeerStore, (s) => s.get("p")), client.status))
  const busy = json(503, { error: { code: "BUSY", message: "busy" } })

  it.live("retries: 0 is exactly one attempt; retries: 2 is three", () =>
    Effect.gen(function* () {
      for (const [retries, attempts] of [[0, 1], [2, 3]] as const) {
        const server = yield* scripted([busy])
        const { layer, peer } = withPeer(server.url, { transport: { retries, backoff: "1 millis" } })
        const error = yield* Effect.flip(Effect.zipRight(peer, status)).pipe(Effect.provide(layer))
        expect(error._tag).toBe("PeerApiError")
        expect(server.seen).toHaveLength(attempts)
      }
    }).pipe(Effect.scoped))

  it.live("a host's own retry Schedule decides the delays and sees each failure; retries still caps the count", () =>
    Effect.gen(function* () {
      const seen: Array<string> = []
      const retrySchedule = Schedule.spaced("2 millis").pipe(
        Schedule.tapInput((failure: AttemptFailure) => Effect.sync(() => seen.push(failure.kind))),
        Schedule.intersect(Schedule.recurs(1)) // the host stops after one retry
      )
      const server = yield* scripted([busy])
      const { layer, peer } = withPeer(server.url, { transport: { retries: 5, retrySchedule } })
      yield* Effect.flip(Effect.zipRight(peer, status)).pipe(Effect.provide(layer))
      expect(server.seen).toHaveLength(2)
      expect(server.seen[1]!.headers.authorization).toBe(`Bearer ${TOKEN}`)
      expect(seen).toEqual(["status", "status"])

      const again = yield* scripted([busy, json(200, HEALTHY)])
      const capped = withPeer(again.url, { transport: { retries: 0, retrySchedule: Schedule.forever } })
      expect((yield* Effect.flip(Effect.zipRight(capped.peer, status)).pipe(Effect.provide(capped.layer)))._tag).toBe("PeerApiError")
      expect(again.seen).toHaveLength(1)
    }).pipe(Effect.scoped))

  it.live("recordContacts: false leaves the last_* columns alone; layerWithoutRecording needs no database", () =>
    Effect.gen(function* () {
      const server = yield* scripted([json(200, HEALTHY)])
      const { filename, layer, peer } = withPeer(server.url, { recordContacts: false })
      const health = yield* Effect.zipRight(peer, status).pipe(Effect.provide(layer))
      expect(health.version).toBe("0.29.0")
      expect(query(filename, "SELECT last_status, last_seen_at, last_version FROM peers")).toEqual([
        { last_status: null, last_seen_at: null, last_version: null }
      ])

      // A peer the host keeps itself, and a client with no PeerStore at all.
      const own = Peer.at({ name: "own", url: server.url, token: Redacted.make(TOKEN) })
      const standalone = PeerClient.layerWithoutRecording.pipe(Layer.provide(FaztRemote.httpTransport({ retries: 0 })))
      const answer = yield* Effect.flatMap(PeerClient, (client) => client.status(own)).pipe(Effect.provide(standalone))
      expect(answer.status).toBe("healthy")
      expect(answer.uptime_seconds).toBe(345_661)
      expect(server.seen).toHaveLength(2)
      expect(server.seen[1]!.headers.authorization).toBe(`Bearer ${TOKEN}`)
    }).pipe(Effect.scoped))
})

describe("PeerClient.deployFolderTo: one folder to many peers", () => {
  it.live("each peer's result or typed error, in the order given; the folder zipped once; the temporary zip removed", () =>
    Effect.gen(function* () {
      const ok = yield* scripted([json(200, { data: { site: "docs", file_count: 1, size_bytes: 13, message: "Deployed 1 files to docs" } })])
      const big = yield* scripted([json(413, { error: { code: "PAYLOAD_TOO_LARGE", message: "too large" } })])
      const dir = siteFolder(tempHome(), "docs", { "index.html": "<h1>docs</h1>" })
      const { layer } = withPeer(ok.url)
      const tmpBefore = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith("fazt-deploy-")).length
      const finished: Array<string> = []
      const zipSizes = new Set<number>()
      const out = yield* Effect.gen(function* () {
        const store = yield* PeerStore
        const first = yield* store.add({ name: "ok", url: ok.url, token: Redacted.make(TOKEN) })
        const second = yield* store.add({ name: "big", url: big.url, token: Redacted.make(TOKEN) })
        const client = yield* PeerClient
        return yield* client.deployFolderTo([second, first], dir, {
          onProgress: (_, p) => p.totalBytes !== undefined && zipSizes.add(p.totalBytes),
          onResult: (r) => finished.push(r.peer.name)
        })
      }).pipe(Effect.provide(layer))
      expect(out.results.map((r) => r.peer.name)).toEqual(["big", "ok"])
      const [refused, served] = out.results
      expect(Either.isLeft(refused!.result) && refused!.result.left._tag).toBe("PeerApiError")
      expect(Either.isRight(served!.result) && served!.result.right).toMatchObject({ site: "docs", file_count: 1 })
      expect(finished.sort()).toEqual(["big", "ok"])
      expect(out).toMatchObject({ file_count: 1, size_bytes: 13 })
      // Both uploads sent the same zip, made once.
      expect([...zipSizes]).toEqual([out.zip_bytes])
      expect(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith("fazt-deploy-")).length).toBe(tmpBefore)
      expect(ok.seen).toHaveLength(1)
      expect(big.seen).toHaveLength(1)
    }).pipe(Effect.scoped))

  it.live("an empty folder fails the whole call before anything is sent", () =>
    Effect.gen(function* () {
      const ok = yield* scripted([json(200, { data: {} })])
      const dir = path.join(tempHome(), "empty")
      fs.mkdirSync(dir)
      const { layer, peer } = withPeer(ok.url)
      const error = yield* Effect.gen(function* () {
        const client = yield* PeerClient
        return yield* Effect.flip(client.deployFolderTo([yield* peer], dir))
      }).pipe(Effect.provide(layer))
      expect(error._tag).toBe("InvalidFolder")
      expect(ok.seen).toEqual([])
    }).pipe(Effect.scoped))
})

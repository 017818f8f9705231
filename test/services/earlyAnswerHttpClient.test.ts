import { describe, expect, it } from "@effect/vitest"
import { Cause, Chunk, Effect, Exit, Option, Redacted, Stream } from "effect"
import { createHash } from "node:crypto"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { Peer } from "../../src/domain/Peer.js"
import * as HttpTransport from "../../src/services/client/HttpTransport.js"
import { defaultTransportOptions, PeerTransport } from "../../src/services/client/PeerTransport.js"

const peer = (url: string) =>
  new Peer({
    id: "x", name: "p", url, token: Redacted.make("fzt_transport_test_token_000"), description: null, isDefault: true,
    lastSeenAt: null, lastVersion: null, lastStatus: null, nodeId: null, createdAt: null, updatedAt: null
  })

interface Upload {
  /** The body arrived whole (its end was seen), not cut off. */
  readonly complete: boolean
  readonly bytes: number
  readonly sha256: string
}

/** A loopback server that answers 200 once a body ends, and records how each upload went. */
const recordingServer = Effect.acquireRelease(
  Effect.async<{ url: string; uploads: Array<Upload>; server: http.Server }>((resume) => {
    const uploads: Array<Upload> = []
    const server = http.createServer((req, res) => {
      const hash = createHash("sha256")
      let bytes = 0
      let complete = false
      req.on("data", (c: Buffer) => {
        bytes += c.length
        hash.update(c)
      })
      req.on("end", () => {
        complete = true
        res.writeHead(200, { "content-type": "application/json" })
        res.end(JSON.stringify({ data: { ok: true } }))
      })
      req.on("close", () => uploads.push({ complete, bytes, sha256: hash.digest("hex") }))
    })
    server.listen(0, "127.0.0.1", () =>
      resume(Effect.succeed({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, uploads, server })))
  }),
  ({ server }) => Effect.promise(() => new Promise<void>((r) => {
    server.closeAllConnections()
    server.close(() => r())
  }))
)

/** Waits (briefly, on the real clock) until the server has seen `n` uploads end one way or another. */
const uploadsSeen = (uploads: Array<Upload>, n: number) =>
  Effect.promise(async () => {
    for (let i = 0; i < 200 && uploads.length < n; i++) await new Promise((r) => setTimeout(r, 10))
    return uploads
  })

const post = (url: string, stream: Stream.Stream<Uint8Array, unknown>) =>
  Effect.flatMap(PeerTransport, (t) =>
    t.send(peer(url), {
      method: "POST",
      path: "/api/deploy",
      retry: "refused-only",
      body: () => ({ contentType: "application/octet-stream", stream: stream as Stream.Stream<Uint8Array> })
    }))

const MiB = 1024 * 1024
const layer = HttpTransport.layer({ ...defaultTransportOptions, retries: 0 })

describe("the transport's HTTP client", () => {
  it.scopedLive("a body that fails midway is cut off, never ended: the server never sees a shorter complete upload", () =>
    Effect.gen(function* () {
      const { uploads, url } = yield* recordingServer
      const body = Stream.concat(
        Stream.make(Buffer.alloc(MiB, 1), Buffer.alloc(MiB, 2)),
        Stream.fail("the file vanished")
      )
      const exit = yield* Effect.exit(post(url, body))
      expect(Exit.isFailure(exit)).toBe(true)
      const [upload] = yield* uploadsSeen(uploads, 1)
      expect(upload?.complete).toBe(false)
    }).pipe(Effect.provide(layer)))

  it.scopedLive("a body that dies is cut off too, and the call dies with it rather than pass for an answer", () =>
    Effect.gen(function* () {
      const { uploads, url } = yield* recordingServer
      const body = Stream.concat(Stream.make(Buffer.alloc(MiB, 1)), Stream.die(new RangeError("a bug in the zip writer")))
      const exit = yield* Effect.exit(post(url, body))
      expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
      const [upload] = yield* uploadsSeen(uploads, 1)
      expect(upload?.complete).toBe(false)
    }).pipe(Effect.provide(layer)))

  it.scopedLive("a chunk is on its way before the next is pulled: a body refilling two buffers arrives intact", () =>
    Effect.gen(function* () {
      const { uploads, url } = yield* recordingServer
      const ring = [Buffer.alloc(MiB), Buffer.alloc(MiB)]
      const expected = createHash("sha256")
      // 24 pieces of 1 MiB through two reused buffers, each refilled when pulled (as the zip writer's ring is).
      let pulled = 0
      const body = Stream.repeatEffectChunkOption(
        Effect.suspend(() => {
          const i = pulled++
          if (i >= 24) return Effect.fail(Option.none())
          const buffer = ring[i % 2]!
          buffer.fill(i + 1)
          buffer.writeUInt32LE(i * 7919, 1000)
          expected.update(buffer)
          return Effect.succeed(Chunk.of(buffer as Uint8Array))
        })
      )
      const response = yield* post(url, body)
      expect(response.status).toBe(200)
      const [upload] = yield* uploadsSeen(uploads, 1)
      expect(upload).toEqual({ complete: true, bytes: 24 * MiB, sha256: expected.digest("hex") })
    }).pipe(Effect.provide(layer)))
})

import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Stream } from "effect"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { PeerApiError, PeerUnreachable, UnzippableFile } from "../../src/domain/errors.js"
import { Peer } from "../../src/domain/Peer.js"
import * as EarlyAnswerHttpClient from "../../src/services/client/earlyAnswerHttpClient.js"
import { contactAfter, PeerClient, statusAfter } from "../../src/services/client/PeerClient.js"
import { PeerTransport } from "../../src/services/client/PeerTransport.js"
import { FaztRemote } from "../../src/FaztRemote.js"
import { failingLookup } from "../support/http.js"
import { closedPort, hang, json, scriptedPeer } from "../support/scriptedPeer.js"

// Every kind of unreachable against a server on this machine; the DNS case
// resolves through a stand-in that fails as a missing name does, so no
// resolver is ever asked.

const peer = (url: string) =>
  new Peer({
    id: "x", name: "p", url, token: Redacted.make("fzt_kinds_test_token_0000"), description: null, isDefault: true, lastSeenAt: null,
    lastVersion: null, lastStatus: null, nodeId: null, createdAt: null, updatedAt: null
  })

const options = { retries: 0, timeout: "400 millis" } as const
const Transport = FaztRemote.httpTransport(options)

const lookedUp: Array<string> = []
const TransportWithFailingDns = FaztRemote.httpTransportWith(options).pipe(
  Layer.provide(EarlyAnswerHttpClient.layer({ lookup: failingLookup(lookedUp) }))
)

const health = (url: string) =>
  Effect.flatMap(PeerTransport, (t) => Effect.flip(t.send(peer(url), { method: "GET", path: "/api/system/health", retry: "transient" })))

const unreachable = (error: { _tag: string }): PeerUnreachable => {
  expect(error).toBeInstanceOf(PeerUnreachable)
  return error as PeerUnreachable
}

/** A TCP server on 127.0.0.1 that does `onRequest` with each connection once a request arrives. */
const tcpServer = (onRequest: (socket: net.Socket) => void) =>
  Effect.acquireRelease(
    Effect.async<{ server: net.Server; sockets: Set<net.Socket>; port: number }>((resume) => {
      const sockets = new Set<net.Socket>()
      const server = net.createServer((socket) => {
        sockets.add(socket)
        socket.on("close", () => sockets.delete(socket))
        socket.on("error", () => {})
        socket.once("data", () => onRequest(socket))
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed({ server, sockets, port: (server.address() as net.AddressInfo).port })))
    }),
    ({ server, sockets }) =>
      Effect.async<void>((resume) => {
        for (const s of sockets) s.destroy()
        server.close(() => resume(Effect.void))
      })
  )

describe("PeerUnreachable.kind: how a peer was not reached, for programs to match", () => {
  it.scopedLive("refused: nothing listens on the port", () =>
    Effect.gen(function* () {
      const port = yield* Effect.promise(closedPort)
      const e = unreachable(yield* health(`http://127.0.0.1:${port}`))
      expect(e.kind).toBe("refused")
      expect(e.reason).toBe("connection refused")
    }).pipe(Effect.provide(Transport)))

  it.scopedLive("timeout: a server that never answers", () =>
    Effect.gen(function* () {
      const { port } = yield* tcpServer(() => {})
      const e = unreachable(yield* health(`http://127.0.0.1:${port}`))
      expect(e.kind).toBe("timeout")
      expect(e.reason).toContain("no complete answer within")
    }).pipe(Effect.provide(Transport)))

  it.scopedLive("reset: a server that destroys the connection instead of answering", () =>
    Effect.gen(function* () {
      const { port } = yield* tcpServer((socket) => socket.resetAndDestroy())
      const e = unreachable(yield* health(`http://127.0.0.1:${port}`))
      expect(e.kind).toBe("reset")
    }).pipe(Effect.provide(Transport)))

  it.scopedLive("reset: the connection breaks while the answer is arriving", () =>
    Effect.gen(function* () {
      const { port } = yield* tcpServer((socket) => {
        socket.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"data\":")
        setTimeout(() => socket.resetAndDestroy(), 20)
      })
      const e = unreachable(yield* health(`http://127.0.0.1:${port}`))
      expect(e.kind).toBe("reset")
      expect(e.reason).toContain("the connection broke while the answer was arriving")
    }).pipe(Effect.provide(Transport)))

  it.scopedLive("tls: https spoken to a plain http server", () =>
    Effect.gen(function* () {
      const server = yield* Effect.acquireRelease(Effect.promise(() => scriptedPeer([json(200, { data: {} })])), (s) => Effect.promise(s.close))
      const e = unreachable(yield* health(server.url.replace("http:", "https:")))
      expect(e.kind).toBe("tls")
      expect(e.reason).toMatch(/^TLS handshake with 127\.0\.0\.1:\d+ failed/)
    }).pipe(Effect.provide(Transport)))

  it.live("dns: a name that does not resolve (a stand-in resolver; no DNS server is asked)", () =>
    Effect.gen(function* () {
      const e = unreachable(yield* health("https://nowhere.invalid"))
      expect(e.kind).toBe("dns")
      expect(e.reason).toBe("DNS lookup of nowhere.invalid failed (ENOTFOUND)")
      expect(lookedUp).toEqual(["nowhere.invalid"])
    }).pipe(Effect.provide(TransportWithFailingDns)))
})

describe("the one error → peer status mapping", () => {
  it("every kind of unreachable is 'unreachable'; a well-formed 4xx says nothing new; a file that could not be zipped says nothing", () => {
    for (const kind of ["refused", "reset", "dns", "tls", "timeout", "no-route", "other"] as const) {
      expect(contactAfter(new PeerUnreachable({ peer: "p", url: "http://p", kind, reason: kind }))).toEqual({ status: "unreachable" })
    }
    const api = (status: number) => new PeerApiError({ peer: "p", status, code: "X", reason: "" })
    expect(contactAfter(api(429))).toEqual({})
    expect(statusAfter(api(429))).toBe("error")
    expect(contactAfter(api(500))).toEqual({ status: "error" })
    const zip = new UnzippableFile({ file: "a.txt", problem: "vanished", reason: "it vanished while the site was being zipped" })
    expect(contactAfter(zip)).toBeUndefined()
    expect(statusAfter(zip)).toBe("error")
  })
})

describe("the deploy archive's own failure reaches the caller typed", () => {
  it.scopedLive("a file that vanishes while the upload runs fails the deploy with UnzippableFile, not as a network error", () =>
    Effect.gen(function* () {
      // The node reads the whole body and would answer; the zip stops first.
      const server = yield* Effect.acquireRelease(
        Effect.promise(() => scriptedPeer([(req, res) => req.on("end", () => json(200, { data: { site: "s", file_count: 2, size_bytes: 2, message: "ok" } })(req, res))])),
        (s) => Effect.promise(s.close)
      )
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "fazt-vanish-"))
      fs.writeFileSync(path.join(root, "a.txt"), "a")
      fs.writeFileSync(path.join(root, "b.txt"), "b")
      const client = yield* PeerClient
      const error = yield* Effect.flip(client.deployFolder(peer(server.url), root, {
        name: "site",
        onProgress: (p) => {
          if (p.phase === "uploading" && p.sentBytes === 0) fs.rmSync(path.join(root, "b.txt"), { force: true })
        }
      }))
      expect(error._tag).toBe("UnzippableFile")
      expect(error).toMatchObject({ file: "b.txt", problem: "vanished" })
      fs.rmSync(root, { recursive: true, force: true })
    }).pipe(Effect.provide(Layer.merge(PeerClient.layerWithoutRecording.pipe(Layer.provide(FaztRemote.httpTransport({ retries: 0 }))), FaztRemote.siteArchive))))

  it.scopedLive("the same through PeerClient.deploy with a host's own archive stream", () =>
    Effect.gen(function* () {
      const server = yield* Effect.acquireRelease(Effect.promise(() => scriptedPeer([hang])), (s) => Effect.promise(s.close))
      const client = yield* PeerClient
      const failure = new UnzippableFile({ file: "big.bin", problem: "unreadable", reason: "EIO: i/o error, read" })
      const error = yield* Effect.flip(client.deploy(peer(server.url), {
        site: "site",
        spa: false,
        archive: () => Stream.concat(Stream.make(new Uint8Array(1024)), Stream.fail(failure))
      }))
      expect(error).toBe(failure)
    }).pipe(Effect.provide(PeerClient.layerWithoutRecording.pipe(Layer.provide(FaztRemote.httpTransport({ retries: 0, timeout: "5 seconds" }))))))
})

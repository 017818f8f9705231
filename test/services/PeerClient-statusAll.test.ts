import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer, Redacted } from "effect"
import * as net from "node:net"
import { Peer } from "../../src/domain/Peer.js"
import { FaztRemote } from "../../src/FaztRemote.js"
import * as EarlyAnswerHttpClient from "../../src/services/client/earlyAnswerHttpClient.js"
import { loopbackLookup } from "../../src/services/client/loopbackLookup.js"
import { PeerClient } from "../../src/services/client/PeerClient.js"
import { PeerStore } from "../../src/services/client/PeerStore.js"
import { Database } from "../../src/services/db/Database.js"
import { tempDbFile } from "../support/layers.js"
import { closedPort, hang, HEALTHY, json, raw, type Reply, scriptedPeer } from "../support/scriptedPeer.js"

// `statusAll` asks a fleet in one fiber through callbacks (nodeExchange.ts);
// `status` on a transport over any other HttpClient runs the Effect loop
// (HttpTransport.ts), a fiber a peer. Whatever a peer does, both must come to
// the same answer, send the same requests and record the same state: each
// scenario runs on two fresh copies of its peer, one asked by `status` through
// the Effect loop, the other by `statusAll` on our own transport.

const TOKEN = "fzt_fleet_equivalence_token_0123"

const peerAt = (name: string, url: string) => Peer.at({ name, url, token: Redacted.make(TOKEN) })

/** A server that sends the head of an answer, then resets the connection. */
const resetMidAnswer = () =>
  new Promise<{ url: string; close: () => Promise<void>; seen: Array<unknown> }>((resolve) => {
    const seen: Array<unknown> = []
    const server = net.createServer((socket) => {
      socket.on("error", () => {})
      socket.once("data", () => {
        seen.push(1)
        socket.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{\"data\":")
        setTimeout(() => socket.resetAndDestroy(), 20)
      })
    })
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
        seen,
        close: () => new Promise((r) => server.close(() => r()))
      }))
  })

interface Scenario {
  readonly name: string
  /** A fresh peer; `path` is where a redirect may point. */
  readonly start: () => Promise<{ url: string; close: () => Promise<void>; seen: Array<unknown> }>
}

const scripted = (...script: Array<Reply>) => () => scriptedPeer(script)

const redirectTo = (location: string): Reply => (_req, res) => {
  res.writeHead(302, { location })
  res.end("moved")
}

const scenarios: Array<Scenario> = [
  { name: "healthy", start: scripted(json(200, HEALTHY)) },
  { name: "a 429 with Retry-After, then healthy", start: scripted(json(429, { error: { code: "RATE", message: "slow down" } }, { "retry-after": "0" }), json(200, HEALTHY)) },
  { name: "503 on every attempt", start: scripted(json(503, { error: { code: "BUSY", message: "busy" } })) },
  { name: "a Retry-After longer than fazt waits", start: scripted(json(429, { error: { code: "RATE", message: "later" } }, { "retry-after": "3600" })) },
  { name: "the key refused", start: scripted(json(401, { error: { code: "UNAUTHORIZED", message: "bad key" } })) },
  { name: "an HTML 502 from a proxy", start: scripted(raw(502, "<html>bad gateway</html>", { "content-type": "text/html" })) },
  { name: "the wrong JSON", start: scripted(json(200, { data: { status: 42 } })) },
  { name: "JSON without an envelope", start: scripted(json(200, { status: "healthy" })) },
  { name: "a redirect on the same origin", start: scripted(redirectTo("/elsewhere"), json(200, HEALTHY)) },
  { name: "a redirect to a URL of another scheme", start: scripted(redirectTo("ftp://127.0.0.1/x")) },
  { name: "redirects without end", start: scripted(redirectTo("/again")) },
  { name: "an answer over the size limit", start: scripted(raw(200, "x".repeat(20_000), { "content-type": "application/json" })) },
  { name: "no answer within the timeout", start: scripted(hang) },
  { name: "the token echoed back", start: scripted(json(200, { data: { ...HEALTHY.data, version: `v-${TOKEN}` } })) },
  { name: "a reset while the answer arrives", start: resetMidAnswer },
  {
    name: "a closed port",
    start: async () => ({ url: `http://127.0.0.1:${await closedPort()}`, close: async () => {}, seen: [] })
  }
]

const options = { retries: 1, timeout: "500 millis", backoff: "10 millis", maxResponseBytes: 10_000 } as const
const Client = PeerClient.layerWithoutRecording.pipe(Layer.provide(FaztRemote.httpTransport(options)))
/** The Effect loop: the same Node client, taken as any HttpClient. */
const LoopClient = PeerClient.layerWithoutRecording.pipe(
  Layer.provide(FaztRemote.httpTransportWith(options).pipe(Layer.provide(EarlyAnswerHttpClient.layer({ lookup: loopbackLookup }))))
)
/** `status` of `peer` through the Effect loop. */
const statusByLoop = (peer: Peer) => Effect.either(Effect.flatMap(PeerClient, (c) => c.status(peer))).pipe(Effect.provide(LoopClient))

/** An error as a plain object: what a program or the JSON output sees of it. */
const seenAs = (result: Either.Either<unknown, { readonly _tag: string }>) =>
  Either.match(result, {
    // Each copy of a peer listens on its own port: the URL in an error is not compared.
    onLeft: (e) => ({ error: { ...e, _tag: e._tag, ...("url" in e ? { url: "(its URL)" } : {}) } }),
    onRight: (a) => ({ ok: a })
  })

describe("statusAll answers as status does, peer by peer", () => {
  for (const scenario of scenarios) {
    it.live(scenario.name, () =>
      Effect.gen(function* () {
        const client = yield* PeerClient
        const alone = yield* Effect.promise(scenario.start)
        const inFleet = yield* Effect.promise(scenario.start)
        try {
          const single = yield* statusByLoop(peerAt("p", alone.url))
          const [fleet] = yield* client.statusAll([peerAt("p", inFleet.url)])
          expect(seenAs(fleet!)).toEqual(seenAs(single))
          // The same requests: as many attempts and hops.
          expect(inFleet.seen.length).toBe(alone.seen.length)
        } finally {
          yield* Effect.promise(() => Promise.all([alone.close(), inFleet.close()]))
        }
      }).pipe(Effect.provide(Client)), 10_000)
  }

  it.live("a fleet of all of them at once: each row as its peer alone, in the peers' order, each handed over as it came", () =>
    Effect.gen(function* () {
      const client = yield* PeerClient
      const alone = yield* Effect.promise(() => Promise.all(scenarios.map((s) => s.start())))
      const inFleet = yield* Effect.promise(() => Promise.all(scenarios.map((s) => s.start())))
      try {
        const singles = yield* Effect.forEach(alone, (s, i) => statusByLoop(peerAt(`p${i}`, s.url)), { concurrency: "unbounded" })
        const handed: Array<number> = []
        const fleet = yield* client.statusAll(inFleet.map((s, i) => peerAt(`p${i}`, s.url)), {
          concurrency: 4,
          onAnswer: (index) => handed.push(index)
        })
        expect(fleet.map(seenAs)).toEqual(singles.map(seenAs))
        expect([...handed].sort((a, b) => a - b)).toEqual(scenarios.map((_, i) => i))
      } finally {
        yield* Effect.promise(() => Promise.all([...alone, ...inFleet].map((s) => s.close())))
      }
    }).pipe(Effect.provide(Client)), 20_000)

  it.live("no peers: an empty list at once", () =>
    Effect.gen(function* () {
      expect(yield* (yield* PeerClient).statusAll([])).toEqual([])
    }).pipe(Effect.provide(Client)))
})

describe("statusAll records what it saw as status does, in one transaction", () => {
  const Recording = (filename: string) =>
    PeerClient.layer.pipe(
      Layer.provideMerge(PeerStore.layer),
      Layer.provide(FaztRemote.httpTransport(options)),
      Layer.provideMerge(Database.layer({ filename }))
    )

  it.live("the last_* columns after status of each peer and after statusAll of all", () =>
    Effect.gen(function* () {
      const picked = scenarios.filter((s) => ["healthy", "the key refused", "an HTML 502 from a proxy", "a closed port", "the token echoed back"].includes(s.name))
      const columns = (filename: string, servers: ReadonlyArray<{ url: string }>, fleet: boolean) =>
        Effect.gen(function* () {
          const store = yield* PeerStore
          for (const [i, s] of servers.entries()) yield* store.add({ name: `p${i}`, url: s.url, token: Redacted.make(TOKEN) })
          const peers = yield* store.list
          const client = yield* PeerClient
          if (fleet) yield* client.statusAll(peers)
          else yield* Effect.forEach(peers, (p) => Effect.either(client.status(p)))
          return (yield* store.list).map((p) => [p.name, p.lastStatus, p.lastVersion, p.lastSeenAt === null])
        }).pipe(Effect.provide(Recording(filename)))
      const alone = yield* Effect.promise(() => Promise.all(picked.map((s) => s.start())))
      const inFleet = yield* Effect.promise(() => Promise.all(picked.map((s) => s.start())))
      try {
        const single = yield* columns(tempDbFile(), alone, false)
        const fleet = yield* columns(tempDbFile(), inFleet, true)
        expect(fleet).toEqual(single)
        expect(fleet.map((row) => row[1])).toEqual(["healthy", "unauthorized", "error", "healthy", "unreachable"])
      } finally {
        yield* Effect.promise(() => Promise.all([...alone, ...inFleet].map((s) => s.close())))
      }
    }), 20_000)
})

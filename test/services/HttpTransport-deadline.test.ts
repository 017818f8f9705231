import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { PeerUnreachable } from "../../src/domain/errors.js"
import { Peer } from "../../src/domain/Peer.js"
import * as EarlyAnswerHttpClient from "../../src/services/client/earlyAnswerHttpClient.js"
import { PeerTransport, type TransportOptions } from "../../src/services/client/PeerTransport.js"
import { FaztRemote } from "../../src/FaztRemote.js"
import { hang, HEALTHY, json, loopbackServer, type Reply, scriptedPeer } from "../support/scriptedPeer.js"

// The timeout of one attempt covers all of it (connect, every redirect hop,
// the body read), whether it is our client's Deadline timer or, on a host's
// own HttpClient, Effect.timeoutFail; each attempt gets a fresh one.

const peer = (url: string) =>
  new Peer({
    id: "x", name: "p", url, token: Redacted.make("fzt_deadline_test_token_00"), description: null, isDefault: true,
    lastSeenAt: null, lastVersion: null, lastStatus: null, nodeId: null, createdAt: null, updatedAt: null
  })

const health = (url: string) =>
  Effect.flatMap(PeerTransport, (t) => t.send(peer(url), { method: "GET", path: "/api/system/health", retry: "transient" }))

const server = (make: () => ReturnType<typeof loopbackServer>) =>
  Effect.acquireRelease(Effect.promise(make), (s) => Effect.promise(s.close))

const timedOut = (error: unknown) => {
  expect(error).toBeInstanceOf(PeerUnreachable)
  expect((error as PeerUnreachable).kind).toBe("timeout")
  expect((error as PeerUnreachable).reason).toContain("no complete answer within")
}

/** Headers at once, then a byte of body every 50 ms, never ending. */
const trickle = (status: number, headers: Record<string, string> = {}): Reply => (_req, res) => {
  res.writeHead(status, { "content-type": "application/json", ...headers })
  res.write("{\"data\":")
  const t = setInterval(() => res.write(" "), 50)
  res.on("close", () => clearInterval(t))
}

const later = (millis: number, reply: Reply): Reply => (req, res) => void setTimeout(() => reply(req, res), millis)

const ours = (options: Partial<TransportOptions>) => FaztRemote.httpTransport({ retries: 0, ...options })
const hosts = (options: Partial<TransportOptions>) =>
  FaztRemote.httpTransportWith({ retries: 0, ...options }).pipe(Layer.provide(EarlyAnswerHttpClient.layer()))

describe("the timeout of an attempt", () => {
  it.scopedLive("fires while the body is arriving, and the connection is dropped", () =>
    Effect.gen(function* () {
      let closed = false
      const s = yield* server(() =>
        scriptedPeer([(req, res) => {
          res.on("close", () => (closed = true))
          trickle(200)(req, res)
        }])
      )
      timedOut(yield* Effect.flip(health(s.url)))
      // The trickling answer is not read on in the background.
      yield* Effect.promise(async () => {
        for (let i = 0; i < 100 && !closed; i++) await new Promise((r) => setTimeout(r, 10))
      })
      expect(closed).toBe(true)
    }).pipe(Effect.provide(ours({ timeout: "400 millis" }))))

  it.scopedLive("covers every redirect hop together: hops that each come in time still time out", () =>
    Effect.gen(function* () {
      // Four hops of 300 ms each: every one well inside 700 ms, all of them not.
      const s = yield* server(() =>
        loopbackServer((req, res) => {
          req.resume()
          const hop = Number(/\/hop\/(\d+)/.exec(req.url ?? "")?.[1] ?? "0")
          later(300, hop < 4 ? json(302, {}, { location: `/hop/${hop + 1}` }) : json(200, HEALTHY))(req, res)
        })
      )
      timedOut(yield* Effect.flip(health(s.url)))
      expect(s.seen.length).toBeLessThan(5)
    }).pipe(Effect.provide(ours({ timeout: "700 millis" }))))

  it.scopedLive("fires while a redirect's own body is being drained", () =>
    Effect.gen(function* () {
      const s = yield* server(() => scriptedPeer([trickle(302, { location: "/elsewhere" }), json(200, HEALTHY)]))
      timedOut(yield* Effect.flip(health(s.url)))
      expect(s.seen).toHaveLength(1)
    }).pipe(Effect.provide(ours({ timeout: "400 millis" }))))

  it.scopedLive("starts afresh for each attempt: a retry gets the whole timeout again", () =>
    Effect.gen(function* () {
      // Each attempt takes 900 ms of a 1.5 s timeout; both together take longer.
      const s = yield* server(() => scriptedPeer([later(900, json(503, {})), later(900, json(200, HEALTHY))]))
      const answer = yield* health(s.url)
      expect(answer.status).toBe(200)
      expect(s.seen).toHaveLength(2)
    }).pipe(Effect.provide(ours({ timeout: "1500 millis", retries: 1, backoff: "1 millis" }))))

  it.scopedLive("…and a retry that hangs is cut off at its own timeout", () =>
    Effect.gen(function* () {
      const s = yield* server(() => scriptedPeer([json(503, {}), hang]))
      timedOut(yield* Effect.flip(health(s.url)))
      expect(s.seen).toHaveLength(2)
    }).pipe(Effect.provide(ours({ timeout: "400 millis", retries: 1, backoff: "1 millis" }))))

  it.scopedLive("on a host's own HttpClient too, across hops and mid-body", () =>
    Effect.gen(function* () {
      const hanging = yield* server(() => scriptedPeer([hang]))
      timedOut(yield* Effect.flip(health(hanging.url)))
      const trickling = yield* server(() => scriptedPeer([trickle(200)]))
      timedOut(yield* Effect.flip(health(trickling.url)))
    }).pipe(Effect.provide(hosts({ timeout: "400 millis" }))))
})

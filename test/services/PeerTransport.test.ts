import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Chunk, Clock, Duration, Effect, Exit, Fiber, Layer, Option, Queue, Redacted, TestClock } from "effect"
import { Peer } from "../../src/domain/Peer.js"
import { MAX_BACKOFF_MILLIS, MAX_RETRIES } from "../../src/domain/transportPolicy.js"
import { FaztRemote } from "../../src/FaztRemote.js"
import { type PeerRequest, PeerTransport, type RetryEvent, type TransportOptions } from "../../src/services/client/PeerTransport.js"
import { failingLookup } from "../support/http.js"
import { HEALTHY, json, type Reply, scriptedPeer } from "../support/scriptedPeer.js"

const peer = (url: string, token: string | null = "fzt_transport_test_token_000") =>
  new Peer({
    id: "x", name: "p", url, token: token === null ? null : Redacted.make(token), description: null, isDefault: true, lastSeenAt: null,
    lastVersion: null, lastStatus: null, nodeId: null, createdAt: null, updatedAt: null
  })

// Node's own HTTP client, with a resolver that fails the way a missing name
// does: no DNS server is ever asked, so the test stays on this machine.
const lookedUp: Array<string> = []
const failingDns = NodeHttpClient.makeAgentLayer({ lookup: failingLookup(lookedUp) })

const TransportWithFailingDns = FaztRemote.httpTransportWith({ retries: 1, backoff: "10 millis" }).pipe(
  Layer.provide(NodeHttpClient.layerWithoutAgent),
  Layer.provide(failingDns)
)

describe("PeerTransport", () => {
  it.live("DNS failure → PeerUnreachable naming DNS", () =>
    Effect.gen(function* () {
      const transport = yield* PeerTransport
      const error = yield* Effect.flip(transport.send(peer("https://nowhere.example"), { method: "GET", path: "/api/system/health", retry: "transient" }))
      expect(error._tag).toBe("PeerUnreachable")
      expect(error.message).toContain("DNS lookup of nowhere.example failed (ENOTFOUND)")
      // The stand-in resolver answered, not the system's; a missing name is not retried.
      expect(lookedUp).toEqual(["nowhere.example"])
    }).pipe(Effect.provide(TransportWithFailingDns)))

  it.live("refuses a token over plain http to a host that is not loopback, before any lookup", () =>
    Effect.gen(function* () {
      const transport = yield* PeerTransport
      const error = yield* Effect.flip(transport.send(peer("http://example.com"), { method: "GET", path: "/", retry: "transient" }))
      expect(error._tag).toBe("PlainHttpRefused")
      expect(error.message).toBe("refusing to send the token of 'p' over plain http to example.com")
      expect(lookedUp).not.toContain("example.com")
    }).pipe(Effect.provide(TransportWithFailingDns)))
})

// The retry schedule on the TestClock: real requests to a scripted loopback
// peer, virtual waits. Each announced retry is checked to be waited for in
// full (one millisecond short of its delay the call is still asleep), then the
// clock is moved on by exactly that delay; at the end the virtual time spent
// is the sum of the delays, so no other wait hid anywhere.
describe("the retry schedule, on the TestClock", () => {
  const health: PeerRequest = { method: "GET", path: "/api/system/health", retry: "transient" }
  const busy = json(503, { error: { code: "BUSY", message: "busy" } })
  const limited = (seconds: string) => json(429, { error: { code: "RATE_LIMIT_EXCEEDED", message: "slow down" } }, { "retry-after": seconds })

  const retriedCall = (script: ReadonlyArray<Reply>, options: Partial<TransportOptions>) =>
    Effect.gen(function* () {
      const server = yield* Effect.acquireRelease(Effect.promise(() => scriptedPeer(script)), (s) => Effect.promise(() => s.close()))
      const events = yield* Queue.unbounded<RetryEvent>()
      const layer = FaztRemote.httpTransport({ ...options, onRetry: (event) => Queue.offer(events, event).pipe(Effect.asVoid) })
      const send = Effect.flatMap(PeerTransport, (t) => t.send(peer(server.url), health)).pipe(Effect.provide(layer))
      const fiber = yield* Effect.fork(send)
      const delays: Array<number> = []
      for (;;) {
        const next = yield* Effect.raceFirst(
          Effect.map(Fiber.await(fiber), (exit) => ({ _tag: "Done" as const, exit })),
          Effect.map(Queue.take(events), (event) => ({ _tag: "Retry" as const, event }))
        )
        if (next._tag === "Done") {
          return { exit: next.exit, delays, requests: server.seen.length, elapsed: yield* Clock.currentTimeMillis }
        }
        const { attempt, delay } = next.event
        const ms = Duration.toMillis(delay)
        delays.push(ms)
        // The failure of attempt `attempt` is announced: that many requests reached the peer.
        expect(server.seen).toHaveLength(attempt)
        yield* TestClock.adjust(Duration.millis(ms - 1))
        const now = yield* Clock.currentTimeMillis
        expect(Chunk.toReadonlyArray(yield* TestClock.sleeps())).toContain(now + 1)
        expect(server.seen).toHaveLength(attempt)
        yield* TestClock.adjust(Duration.millis(1))
      }
    })

  it.scoped("backs off exponentially with jitter, each wait capped at 10 s, then succeeds", () =>
    Effect.gen(function* () {
      const run = yield* retriedCall([busy, busy, busy, busy, json(200, HEALTHY)], { retries: 10, backoff: "4 seconds" })
      expect(Exit.isSuccess(run.exit) && run.exit.value.status).toBe(200)
      expect(run.requests).toBe(5)
      // 4 s, 8 s (each ±20 % jitter), then 16 s and 32 s capped at 10 s.
      expect(run.delays).toHaveLength(4)
      expect(run.delays[0]).toBeGreaterThanOrEqual(3_200)
      expect(run.delays[0]).toBeLessThanOrEqual(4_800)
      expect(run.delays[1]).toBeGreaterThanOrEqual(6_400)
      expect(run.delays[1]).toBeLessThanOrEqual(9_600)
      expect(run.delays.slice(2)).toEqual([MAX_BACKOFF_MILLIS, MAX_BACKOFF_MILLIS])
      expect(run.elapsed).toBe(run.delays.reduce((a, b) => a + b, 0))
    }))

  it.scoped("at most 10 retries, however many are asked for: 11 requests, then the last answer", () =>
    Effect.gen(function* () {
      const run = yield* retriedCall([busy], { retries: 50, backoff: "1 second" })
      expect(run.requests).toBe(MAX_RETRIES + 1)
      expect(run.delays).toHaveLength(MAX_RETRIES)
      expect(Math.max(...run.delays)).toBe(MAX_BACKOFF_MILLIS)
      expect(Exit.isSuccess(run.exit) && run.exit.value.status).toBe(503)
      expect(run.elapsed).toBe(run.delays.reduce((a, b) => a + b, 0))
    }))

  it.scoped("a Retry-After of up to 30 s is honoured over a shorter backoff", () =>
    Effect.gen(function* () {
      const run = yield* retriedCall([limited("30"), limited("20"), json(200, HEALTHY)], { retries: 3, backoff: "100 millis" })
      expect(run.delays).toEqual([30_000, 20_000])
      expect(run.requests).toBe(3)
      expect(Exit.isSuccess(run.exit) && run.exit.value.status).toBe(200)
      expect(run.elapsed).toBe(50_000)
    }))

  it.scoped("a Retry-After over 30 s is refused at once: one request, no wait", () =>
    Effect.gen(function* () {
      const run = yield* retriedCall([limited("31"), json(200, HEALTHY)], { retries: 3, backoff: "100 millis" })
      expect(run.requests).toBe(1)
      expect(run.delays).toEqual([])
      expect(run.elapsed).toBe(0)
      const error = Exit.isFailure(run.exit) ? Option.getOrUndefined(Cause.failureOption(run.exit.cause)) : undefined
      expect(error?._tag).toBe("PeerApiError")
      expect(error?.message).toContain("longer than the 30 s fazt waits")
    }))

  it.scoped("does not retry a 400: exactly one request reaches the peer, and its answer comes back", () =>
    Effect.gen(function* () {
      const run = yield* retriedCall([json(400, { error: { code: "BAD_REQUEST", message: "no" } }), json(200, HEALTHY)], {
        retries: 3,
        backoff: "100 millis"
      })
      expect(run.requests).toBe(1)
      expect(run.delays).toEqual([])
      expect(run.elapsed).toBe(0)
      expect(Exit.isSuccess(run.exit) && run.exit.value.status).toBe(400)
    }))
})

import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { Peer } from "../../src/domain/Peer.js"
import { PeerTransport } from "../../src/services/client/PeerTransport.js"

const peer = (url: string, token: string | null = "fzt_transport_test_token_000") =>
  new Peer({
    id: "x", name: "p", url, token: token === null ? null : Redacted.make(token), description: null, isDefault: true, lastSeenAt: null,
    lastVersion: null, lastStatus: null, nodeId: null, createdAt: null, updatedAt: null
  })

// Node's own HTTP client, with a resolver that fails the way a missing name
// does: no DNS server is ever asked, so the test stays on this machine.
const lookedUp: Array<string> = []
const failingDns = NodeHttpClient.makeAgentLayer({
  lookup: ((hostname: string, _options: unknown, callback: (err: NodeJS.ErrnoException) => void) => {
    lookedUp.push(hostname)
    const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`)
    error.code = "ENOTFOUND"
    process.nextTick(() => callback(error))
  }) as never
})

const TransportWithFailingDns = PeerTransport.layerWith({ retries: 1, backoff: "10 millis" }).pipe(
  Layer.provide(NodeHttpClient.layerWithoutAgent),
  Layer.provide(failingDns)
)

describe("PeerTransport", () => {
  it.effect("DNS failure → PeerUnreachable naming DNS", () =>
    Effect.gen(function* () {
      const transport = yield* PeerTransport
      const error = yield* Effect.flip(transport.send(peer("https://nowhere.example"), { method: "GET", path: "/api/system/health", retry: "transient" }))
      expect(error._tag).toBe("PeerUnreachable")
      expect(error.message).toContain("DNS lookup of nowhere.example failed (ENOTFOUND)")
      // The stand-in resolver answered, not the system's; a missing name is not retried.
      expect(lookedUp).toEqual(["nowhere.example"])
    }).pipe(Effect.provide(TransportWithFailingDns)))

  it.effect("refuses a token over plain http to a host that is not loopback, before any lookup", () =>
    Effect.gen(function* () {
      const transport = yield* PeerTransport
      const error = yield* Effect.flip(transport.send(peer("http://example.com"), { method: "GET", path: "/", retry: "transient" }))
      expect(error._tag).toBe("PlainHttpRefused")
      expect(error.message).toBe("refusing to send the token of 'p' over plain http to example.com")
      expect(lookedUp).not.toContain("example.com")
    }).pipe(Effect.provide(TransportWithFailingDns)))
})

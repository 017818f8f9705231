import { describe, expect, it } from "@effect/vitest"
import { Effect, Inspectable, Logger, Redacted } from "effect"
import * as util from "node:util"
import { maskToken, nameProblem, Peer, toIsoTime, validatePeerUrl, viewPeer } from "../../src/domain/Peer.js"
import { fazt } from "../../src/commands/fazt.js"
import { globalFlagNames, hoistGlobalFlags, parseDuration } from "../../src/commands/globals.js"
import { commandSpec } from "../../src/commands/spec.js"
import { isLoopbackHost } from "../../src/domain/transportPolicy.js"
import { Duration, Option } from "effect"

describe("peer names", () => {
  it("accepts 1–63 lowercase letters, digits and inner dashes", () => {
    for (const ok of ["a", "zyt", "home-1", "a".repeat(63), "0"]) expect(nameProblem(ok)).toBeUndefined()
    for (const bad of ["", "A", "a_b", "-a", "a-", "a".repeat(64), "a.b", "é"]) expect(nameProblem(bad)).toBeDefined()
  })
})

describe("peer URLs", () => {
  it.effect("normalise and refuse what fazt cannot use", () =>
    Effect.gen(function* () {
      expect(yield* validatePeerUrl("https://admin.zyt.app/")).toBe("https://admin.zyt.app")
      expect(yield* validatePeerUrl("http://127.0.0.1:8080")).toBe("http://127.0.0.1:8080")
      for (const bad of ["ftp://x", "https://u:p@x", "x", "https://x/?q", "https://x/#f", "file:///etc/passwd"]) {
        const e = yield* Effect.flip(validatePeerUrl(bad))
        expect(e._tag).toBe("InvalidPeerUrl")
        expect(e.message).not.toContain("u:p")
      }
    }))
})

describe("helpers", () => {
  it("masks tokens", () => {
    expect(maskToken("fzt_fixture_laptop_3b1f0c9e5d7a4b2c8e6f1a0d9c7b5e3f")).toBe("fzt_…e3f")
    expect(maskToken("short")).toBe("…")
    expect(maskToken(null)).toBeNull()
  })
  it("reads both of fazt's time formats", () => {
    expect(toIsoTime("2026-11-25 17:01:21")).toBe("2026-11-25T17:01:21.000Z")
    expect(toIsoTime("2026-11-25T18:01:21+01:00")).toBe("2026-11-25T17:01:21.000Z")
    expect(toIsoTime(null)).toBeNull()
  })
  it("parses durations", () => {
    expect(Option.map(parseDuration("30s"), Duration.toMillis)).toEqual(Option.some(30_000))
    expect(Option.map(parseDuration("500ms"), Duration.toMillis)).toEqual(Option.some(500))
    expect(Option.map(parseDuration("2m"), Duration.toMillis)).toEqual(Option.some(120_000))
    expect(Option.map(parseDuration("5"), Duration.toMillis)).toEqual(Option.some(5_000))
    expect(parseDuration("soon")).toEqual(Option.none())
    expect(parseDuration("0")).toEqual(Option.none())
  })
  it("hoists global flags, leaving what follows -- alone", () => {
    const globals = globalFlagNames(commandSpec(fazt).flags)
    expect(hoistGlobalFlags(["remote", "add", "--json", "x", "--db=/a", "y", "--", "--json"], globals)).toEqual([
      "--json", "--db", "/a", "remote", "add", "x", "y", "--", "--json"
    ])
    expect(hoistGlobalFlags(["remote", "status", "--timeout", "2s", "zyt"], globals)).toEqual(["--timeout", "2s", "remote", "status", "zyt"])
  })
  it("knows loopback hosts", () => {
    for (const h of ["localhost", "127.0.0.1", "127.5.5.5", "[::1]", "site.localhost"]) expect(isLoopbackHost(h)).toBe(true)
    for (const h of ["10.0.0.1", "example.com", "localhost.example.com", "128.0.0.1"]) expect(isLoopbackHost(h)).toBe(false)
  })
})

describe("a peer's token is Redacted", () => {
  const token = "fzt_0123456789abcdef0123456789abcdef"
  const peer = new Peer({
    id: "1", name: "zyt", url: "https://admin.zyt.app", token: Redacted.make(token), description: null,
    isDefault: true, lastSeenAt: null, lastVersion: null, lastStatus: null, nodeId: null, createdAt: null, updatedAt: null
  })

  it("JSON.stringify, util.inspect, String and template strings never show it", () => {
    for (const text of [
      JSON.stringify(peer),
      JSON.stringify({ peers: [peer] }),
      util.inspect(peer, { depth: 10 }),
      util.inspect({ nested: { peer } }, { depth: 10 }),
      String(peer),
      `${peer}`,
      util.format("%o %O %j %s", peer, peer, peer, peer)
    ]) {
      expect(text).not.toContain(token)
      expect(text).not.toContain(token.slice(4, 20))
    }
    expect(JSON.parse(JSON.stringify(peer)).token).toBe("<redacted>")
  })

  it.effect("nor does Effect's own logging of a peer", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      const logger = Logger.make(({ message }) => lines.push(util.inspect(message, { depth: 10 })))
      yield* Effect.log(peer).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
      yield* Effect.log(Inspectable.toStringUnknown(peer)).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
      expect(lines.length).toBe(2)
      for (const line of lines) expect(line).not.toContain(token)
    }))

  it("views mask it; only --show-token reveals it", () => {
    expect(viewPeer(peer).token).toBe("fzt_…def")
    expect(viewPeer(peer, true).token).toBe(token)
    expect(maskToken(Redacted.make(""))).toBeNull()
  })
})

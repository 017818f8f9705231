// The listing's rows are viewed without building a `Peer` (issue 26); a plain
// http(s) URL skips `new URL` and `redactUrl`. These tests hold the fast path
// to the slow one: `viewStored` of a row's fields must be, key for key and in
// the same order, `viewPeer` of the `Peer` those fields make.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { Peer, peerProblem, redactUrl, viewPeer } from "../../src/domain/Peer.js"
import { PLAIN_HTTP_URL, storedProblem, type StoredPeer, viewStored } from "../../src/domain/peerView.js"
import { listViews, PeerStore } from "../../src/services/client/PeerStore.js"
import { Database } from "../../src/services/db/Database.js"
import { freshDatabase } from "../support/layers.js"

const peerOf = (s: StoredPeer): Peer =>
  new Peer({
    id: s.name,
    name: s.name,
    url: s.url,
    token: s.token === null ? null : Redacted.make(s.token),
    description: s.description,
    isDefault: s.isDefault,
    lastSeenAt: s.lastSeenAt,
    lastVersion: s.lastVersion,
    lastStatus: s.lastStatus,
    nodeId: null,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt
  })

const stored = (url: string, token: string | null = "fzt_0123456789abcdef", more: Partial<StoredPeer> = {}): StoredPeer => ({
  name: "p",
  url,
  token,
  description: null,
  isDefault: false,
  lastSeenAt: "2026-12-07 20:00:00",
  lastVersion: "0.29.0",
  lastStatus: "healthy",
  createdAt: null,
  updatedAt: null,
  ...more
})

/** The slow path's verdict on a URL alone. */
const slowUrlProblem = (url: string) => peerProblem({ url, token: null })

// Accepted by `new URL` or not, usable or not, with or without userinfo.
const TRICKY_URLS = [
  "http://127.0.0.1:9", "https://admin.zyt.app", "http://localhost:8080/admin/", "https://a-b.example.com/x_y/~z",
  "http://1.2.3.256", "http://1.2.3.4.5", "http://256.1.1.1", "http://01.2.3.4", "http://0x7f.1", "http://a.123",
  "http://a.0x1f", "http://123", "http://xn--nxasmq6b.example", "http://xn--a.example", "http://ex.xn--zz",
  "http://[::1]:8080", "http://[::1", "http://[1:2:3]", "https://u:p@host", "https://u:pa/ss@host/x", "https://@host",
  "http://host:0", "http://host:65535", "http://host:65536", "http://host:080", "http://host:", "http://host//evil",
  "http://host/.//evil", "http://host/x/..//evil", "http://host/\\evil", "http://host/%2e%2e//x", "http://host/./x",
  "http://host/../x", "http://host/a/.", "http://host/?q", "http://host/#f", "HTTP://HOST", "http://Host.example",
  "http://hé.example", "http://host/é", "http://host/a b", "http://ho st", "http://host\t", "http://host/\u001b[2J",
  "http://-host", "http://host-", "http://a..b", "http://host.", "http://under_score", "http://" + "a".repeat(64),
  "http://" + "a".repeat(63), "ftp://host", "file:///etc/passwd", "host:80", "fzt_0123456789abcdefghij",
  "https://", "http://", "", "not a url", "1.5", "x'ff'", "javascript:alert(1)", "http:/host", "http:host"
]

describe("a plainly safe http(s) URL (the listing's fast path)", () => {
  it("is one the slow path finds usable and redactUrl leaves as it is; everything else goes the slow way", () => {
    const accepted = TRICKY_URLS.filter((url) => PLAIN_HTTP_URL.test(url))
    expect(accepted).toEqual([
      "http://127.0.0.1:9", "https://admin.zyt.app", "http://localhost:8080/admin/", "https://a-b.example.com/x_y/~z",
      "http://host:65535", "http://" + "a".repeat(63)
    ])
    for (const url of accepted) {
      expect(slowUrlProblem(url)).toBeNull()
      expect(redactUrl(url)).toBe(url)
    }
  })

  it("never claims a URL the slow path refuses or would redact (30,000 random URL-like strings)", () => {
    let seed = 2026
    const random = (n: number) => {
      // mulberry32: every bit random (an LCG's low bits repeat with a short period).
      seed = (seed + 0x6d2b79f5) | 0
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
      return ((t ^ (t >>> 14)) >>> 0) % n
    }
    const pick = (xs: ReadonlyArray<string>) => xs[random(xs.length)]!
    // Hosts of labels WHATWG reads as names, as IPv4 numbers (decimal, octal, hex) or refuses.
    const names = ["a", "z", "ab-c", "com", "x1", "localhost"]
    const numbers = ["1", "0", "01", "9", "255", "256", "4294967296", "0x1", "0xg"]
    const odd = ["a-", "-a", "xn--a", "xn--nxasmq6b", "é", "A", "_", ""]
    const label = () => pick(random(2) === 0 ? names : random(3) === 0 ? odd : numbers)
    const ports = ["", "", "", ":", ":0", ":1", ":80", ":080", ":65535", ":65536", ":99999", ":x"]
    const segment = () => pick(random(4) > 0 ? ["x", "x_y", "~z", "-", "a.b", "v1"] : [".", "..", ".x", "", "%2f", "\\", "é", " ", "@", "?", "#"])
    const soup = ["a", "-", ".", "1", "0x1", ":", ":80", "/", "//", "/..", "@", "u:p@", "?", "#", "%2f", "\\", "[::1]", "é", " ", "\t", "\u001b"]
    let fast = 0
    for (let i = 0; i < 30_000; i++) {
      let url = pick(["http://", "https://", "http://", "https://", "HTTP://", "http:/", "ftp://"])
      if (random(4) === 0) {
        for (let k = 1 + random(8); k > 0; k--) url += pick(soup)
      } else {
        const host = random(6) === 0 ? Array.from({ length: 4 }, () => pick(numbers)) : Array.from({ length: 1 + random(4) }, label)
        url += host.join(".") + pick(ports)
        for (let k = random(4); k > 0; k--) url += "/" + segment()
        if (random(5) === 0) url += "/"
      }
      if (!PLAIN_HTTP_URL.test(url)) continue
      fast++
      expect([url, slowUrlProblem(url)]).toEqual([url, null])
      expect(redactUrl(url)).toBe(url)
    }
    // The fuzz reaches the fast path often, not by luck.
    expect(fast).toBeGreaterThan(1_000)
  })
})

describe("viewStored", () => {
  const TOKENS = [null, "", "fzt_0123456789abcdef", "short", "has space in it", "ctl\u0007token-0123456789", "tökén-0123456789", "x".repeat(4097)]

  it("is viewPeer of the Peer the same fields make, key for key, for tricky URLs, tokens, times and text", () => {
    let compared = 0
    for (const url of TRICKY_URLS) {
      for (const token of TOKENS) {
        for (const more of [
          {},
          { isDefault: true, description: "a \u001b[31mred\u001b[0m note", lastVersion: null, lastStatus: null },
          { lastSeenAt: "2026-12-07T21:00:00+01:00", createdAt: "2026-02-30 10:00:00", updatedAt: "yesterday" },
          { name: "\u202eevil", lastSeenAt: "", createdAt: "2026-12-07 20:00:00.123" }
        ]) {
          const fields = stored(url, token, more)
          expect(JSON.stringify(viewStored(fields))).toBe(JSON.stringify(viewPeer(peerOf(fields))))
          expect(storedProblem(url, token)).toBe(peerProblem(peerOf(fields)))
          compared++
        }
      }
    }
    expect(compared).toBe(TRICKY_URLS.length * TOKENS.length * 4)
  })

  it("marks what cannot be used as the slow path does", () => {
    expect(viewStored(stored("https://u:p@host")).url).toBe("https://***@host")
    expect(viewStored(stored("https://u:p@host")).problem).toBeNull()
    expect(viewStored(stored("http://1.2.3.256")).problem).toBe("its URL is not an http(s) URL")
    expect(viewStored(stored("http://host//evil")).problem).toMatch(/^its URL cannot be used: its path '\/\/evil' begins with '\/\/'/)
    expect(viewStored(stored("http://host", "has space")).problem).toMatch(/^its token cannot be sent: it may only hold visible ASCII/)
  })
})

describe("listViews", () => {
  const rows = (layer: ReturnType<typeof freshDatabase>, inserts: ReadonlyArray<string>) =>
    Effect.gen(function* () {
      const db = yield* Database
      for (const insert of inserts) yield* db.exec(insert)
      const store = yield* PeerStore
      const slow = (yield* store.list).map((p) => viewPeer(p))
      const fast = yield* listViews
      return { slow, fast }
    }).pipe(Effect.provide(PeerStore.layer.pipe(Layer.provideMerge(layer))))

  it.live("gives what store.list then viewPeer give, for rows another tool stored oddly", () =>
    Effect.gen(function* () {
      const { slow, fast } = yield* rows(freshDatabase(), [
        `INSERT INTO peers (name, url, token, description, is_default, last_seen_at, last_version, last_status, created_at, updated_at) VALUES
          ('plain', 'http://127.0.0.1:9', 'fzt_0123456789abcdef', NULL, 0, datetime('now'), '0.29.0', 'healthy', datetime('now'), datetime('now')),
          ('userinfo', 'https://u:pa/ss@host.example', 'fzt_x', 'n', 0, '2026-12-07T21:00:00+01:00', '', '', NULL, 'garbage'),
          ('ipv6', 'http://[::1]:8080', '', 'é \u001b[31m', 0, NULL, NULL, NULL, '2026-02-30 10:00:00', NULL),
          ('badport', 'http://host:65536', 'has space', NULL, '1', '', 'v', 'unreachable', NULL, NULL),
          ('ipv4', 'http://1.2.3.256', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
          ('authority', 'http://host/x/..//evil', 'tökén-0123456789', NULL, 0, NULL, NULL, NULL, NULL, NULL),
          ('token-like', 'fzt_abcdefghijklmnopqrstuvwxyz0123', NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL)`,
        `INSERT INTO peers (name, url, token, is_default) VALUES (x'fffe', x'68747470733a2f2f626c6f622e6578616d706c65', x'c328', 0), (42, 1.5, 123456789012345, 0)`
      ])
      expect(fast).toHaveLength(9)
      expect(JSON.stringify(fast)).toBe(JSON.stringify(slow))
    }))

  it.live("reads a peers table made without some of the columns it shows whole, as list does", () =>
    Effect.gen(function* () {
      const { slow, fast } = yield* rows(freshDatabase(), [
        "DROP TABLE peers",
        "CREATE TABLE peers (id, name, url, token, is_default)",
        "INSERT INTO peers (name, url, token, is_default) VALUES ('b', 'https://b.example', 'fzt_0123456789abcdef', 1), ('a', 'http://[::1]', NULL, 0)"
      ])
      expect(fast.map((v) => [v.name, v.is_default, v.description, v.last_seen_at])).toEqual([["a", false, null, null], ["b", true, null, null]])
      expect(JSON.stringify(fast)).toBe(JSON.stringify(slow))
    }))

  it.live("marks the only peer the default when none is marked, as list does", () =>
    Effect.gen(function* () {
      const { slow, fast } = yield* rows(freshDatabase(), [`INSERT INTO peers (name, url, is_default) VALUES ('only', 'https://only.example', 0)`])
      expect(fast.map((v) => v.is_default)).toEqual([true])
      expect(JSON.stringify(fast)).toBe(JSON.stringify(slow))
    }))
})

import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Option } from "effect"
import { PeerStore } from "../../src/services/client/PeerStore.js"
import { freshDatabase } from "../support/layers.js"

const StoreLive = () => PeerStore.layer.pipe(Layer.provideMerge(freshDatabase()))

describe("PeerStore", () => {
  it.live("resolves: no peers, the only one, several without default, the marked default, a name", () =>
    Effect.gen(function* () {
      const store = yield* PeerStore
      expect((yield* Effect.flip(store.resolve(Option.none())))._tag).toBe("NoPeers")
      yield* store.add({ name: "a", url: "https://a.example" })
      expect((yield* store.resolve(Option.none())).name).toBe("a")
      yield* store.add({ name: "b", url: "https://b.example" })
      expect((yield* store.resolve(Option.none())).name).toBe("a")
      // The only peer left after removing the default is marked the default (issue 24).
      yield* store.remove("a")
      expect((yield* store.get("b")).isDefault).toBe(true)
      yield* store.add({ name: "c", url: "https://c.example" })
      expect((yield* store.resolve(Option.none())).name).toBe("b")
      // Two left of three, the default removed: none is marked.
      yield* store.add({ name: "d", url: "https://d.example" })
      yield* store.remove("b")
      const e = yield* Effect.flip(store.resolve(Option.none()))
      expect(e._tag).toBe("NoDefaultPeer")
      expect(e.message).toBe("2 peers and none is the default")
      yield* store.setDefault("c")
      expect((yield* store.resolve(Option.none())).name).toBe("c")
      expect((yield* store.resolve(Option.some("d"))).name).toBe("d")
      expect((yield* Effect.flip(store.resolve(Option.some("zz"))))._tag).toBe("PeerNotFound")
    }).pipe(Effect.provide(StoreLive())))

  it.live("validates names and URLs only on the way in", () =>
    Effect.gen(function* () {
      const store = yield* PeerStore
      const bad = yield* Effect.exit(store.add({ name: "UPPER", url: "https://x.example" }))
      expect(Exit.isFailure(bad) && bad.cause._tag === "Fail" && bad.cause.error._tag).toBe("InvalidPeerName")
      const badUrl = yield* Effect.flip(store.add({ name: "ok", url: "https://x.example#frag" }))
      expect(badUrl._tag).toBe("InvalidPeerUrl")
      expect((yield* store.list)).toHaveLength(0)
      const peer = yield* store.add({ name: "ok", url: "HTTPS://X.Example:443/admin/" })
      expect(peer.url).toBe("https://x.example/admin")
      expect((yield* Effect.flip(store.setUrl("ok", "mailto:me@x")))._tag).toBe("InvalidPeerUrl")
      expect((yield* Effect.flip(store.rename("ok", "-bad")))._tag).toBe("InvalidPeerName")
    }).pipe(Effect.provide(StoreLive())))

  it.live("records contacts in the last_* columns", () =>
    Effect.gen(function* () {
      const store = yield* PeerStore
      yield* store.add({ name: "n", url: "https://n.example" })
      yield* store.updateStatus("n", { status: "healthy", version: "0.29.0" })
      const seen = yield* store.get("n")
      expect(seen).toMatchObject({ lastStatus: "healthy", lastVersion: "0.29.0" })
      expect(seen.lastSeenAt).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/)
      yield* store.updateStatus("n", { status: "unreachable" })
      const after = yield* store.get("n")
      expect(after).toMatchObject({ lastStatus: "unreachable", lastVersion: "0.29.0", lastSeenAt: seen.lastSeenAt })
    }).pipe(Effect.provide(StoreLive())))
})

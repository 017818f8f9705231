import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { afterAll, describe, expect, it } from "@effect/vitest"
import Sqlite from "better-sqlite3"
import { Effect, Layer, Redacted } from "effect"
import { Peer } from "../../src/domain/Peer.js"
import { Database } from "../../src/services/db/Database.js"
import { PeerClient } from "../../src/services/client/PeerClient.js"
import { PeerStore } from "../../src/services/client/PeerStore.js"
import { FaztRemote } from "../../src/FaztRemote.js"
import { HEALTHY, json, scriptedPeer } from "../support/scriptedPeer.js"
import { tempDbFile } from "../support/layers.js"

// A resolver that answers 127.0.0.1 for every name, so a peer can have a
// hostname that is not loopback by name while the test never leaves this machine.
const lookedUp: Array<string> = []
const loopbackDns = NodeHttpClient.makeAgentLayer({
  lookup: ((hostname: string, options: { all?: boolean }, callback: (...a: Array<unknown>) => void) => {
    lookedUp.push(hostname)
    process.nextTick(() =>
      options?.all ? callback(null, [{ address: "127.0.0.1", family: 4 }]) : callback(null, "127.0.0.1", 4)
    )
  }) as never
})

const peer = await scriptedPeer([json(200, HEALTHY)])
afterAll(() => peer.close())

const filename = tempDbFile()
const Services = PeerClient.layer.pipe(
  Layer.provideMerge(PeerStore.layer),
  Layer.provide(FaztRemote.httpTransportWith({ retries: 0 }).pipe(Layer.provide(NodeHttpClient.layerWithoutAgent), Layer.provide(loopbackDns))),
  Layer.provideMerge(Database.layer({ filename }))
)

describe("a peer row written by fazt itself", () => {
  it.live("token '' is no token: no Authorization header, and plain http to a non-loopback name is not refused", () =>
    Effect.gen(function* () {
      const store = yield* PeerStore
      yield* store.list // the database exists and is migrated
      const db = new Sqlite(filename)
      // As fazt's `peer add` without --token stores it (internal/remote/peer.go).
      db.prepare("INSERT INTO peers (name, url, token, description) VALUES ('far', ?, '', '')").run(`http://fazt-peer.example:${peer.port}`)
      db.close()
      const far = yield* store.get("far")
      expect(far.token).toBeNull()
      const health = yield* (yield* PeerClient).status(far)
      expect(health.version).toBe("0.29.0")
      expect(lookedUp).toContain("fazt-peer.example")
      expect(peer.seen).toHaveLength(1)
      expect(peer.seen[0]!.headers.host).toBe(`fazt-peer.example:${peer.port}`)
      expect(peer.seen[0]!.headers.authorization).toBeUndefined()
      const after = yield* store.get("far")
      expect(after).toMatchObject({ lastStatus: "healthy", lastVersion: "0.29.0" })
    }).pipe(Effect.provide(Services)))

  it.live("a host's Peer with Redacted.make('') is no token either", () =>
    Effect.gen(function* () {
      const before = peer.seen.length
      yield* (yield* PeerClient).status(Peer.at({ name: "hosted", url: `http://fazt-peer.example:${peer.port}`, token: Redacted.make("") }))
      expect(peer.seen).toHaveLength(before + 1)
      expect(peer.seen[before]!.headers.authorization).toBeUndefined()
    }).pipe(Effect.provide(Services)))
})

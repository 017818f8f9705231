// Issue 24: a JavaScript caller (no types to stop it) that passes a plain string
// where a Redacted token belongs gets a typed error, never effect's defect
// "Unable to get redacted value".
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import * as path from "node:path"
import { FaztRemote, Peer, PeerClient, PeerStore } from "../../src/index.js"
import { tempHome } from "../support/cli.js"

const layer = () => {
  const filename = path.join(tempHome(), "data.db")
  return FaztRemote.layer({ filename, legacyConfigPath: `${filename}.none` })
}
const plain = "fzt_plain_text_token_0123456789" as unknown as Redacted.Redacted<string>

describe("a plain string token", () => {
  it.effect("PeerStore.add and updateToken: InvalidToken, nothing stored", () =>
    Effect.gen(function* () {
      const store = yield* PeerStore
      const error = yield* Effect.flip(store.add({ name: "p", url: "http://127.0.0.1:9", token: plain }))
      expect(error._tag).toBe("InvalidToken")
      expect(error.message).toContain("pass it as Redacted.make(token)")
      expect(error.message).not.toContain("fzt_plain")
      expect(yield* store.list).toHaveLength(0)
      yield* store.add({ name: "p", url: "http://127.0.0.1:9", token: Redacted.make("fzt_real_token_0123456789") })
      const updated = yield* Effect.flip(store.updateToken("p", plain))
      expect(updated._tag).toBe("InvalidToken")
    }).pipe(Effect.provide(layer())))

  it.effect("PeerClient.status on a peer carrying plain text: UnusableToken, no request sent", () =>
    Effect.gen(function* () {
      const client = yield* PeerClient
      // What a JavaScript caller can build: a Peer whose token skipped validation.
      const peer = new Peer({ ...Peer.at({ name: "js", url: "http://127.0.0.1:9" }), token: plain }, true)
      const error = yield* Effect.flip(client.status(peer))
      expect(error._tag).toBe("UnusableToken")
      expect(error.message).toContain("plain text")
      expect(error.message).not.toContain("fzt_plain")
    }).pipe(Effect.provide(layer())))
})

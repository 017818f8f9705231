import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import { originOf, viewPeer } from "../../domain/Peer.js"
import { PeerStore } from "../../services/client/PeerStore.js"
import { emit, notice, warn } from "../output.js"
import { peerName } from "./args.js"

export const setUrl = Command.make(
  "set-url",
  {
    name: peerName,
    url: Args.text({ name: "url" }).pipe(Args.withDescription("The new admin URL")),
    keepToken: Options.boolean("keep-token").pipe(
      Options.withDescription("Keep the token when the URL moves to another host (by default it is cleared)")
    )
  },
  ({ keepToken, name, url }) =>
    Effect.gen(function* () {
      const store = yield* PeerStore
      const before = yield* store.get(name)
      const peer = yield* store.setUrl(name, url, { keepToken })
      yield* notice(`Peer '${peer.name}' now points at ${peer.url}`)
      if (before.token !== null && peer.token === null) {
        yield* warn(
          `the token was cleared: it belonged to ${originOf(before.url)}, not ${originOf(peer.url)}; set one with 'fazt remote set-token ${peer.name} --token-stdin' (or pass --keep-token to move it along)`
        )
      }
      yield* emit(viewPeer(peer), () => null)
    })
).pipe(Command.withDescription("Change a peer's URL.\n\nExample: fazt remote set-url home https://home.example.com"))

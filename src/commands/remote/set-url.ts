import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import { viewPeer } from "../../domain/Peer.js"
import { PeerStore } from "../../services/client/PeerStore.js"
import { emit, notice } from "../output.js"
import { peerName } from "./args.js"

export const setUrl = Command.make(
  "set-url",
  { name: peerName, url: Args.text({ name: "url" }).pipe(Args.withDescription("The new admin URL")) },
  ({ name, url }) =>
    Effect.gen(function* () {
      const store = yield* PeerStore
      const peer = yield* store.setUrl(name, url)
      yield* notice(`Peer '${peer.name}' now points at ${peer.url}`)
      yield* emit(viewPeer(peer), () => null)
    })
).pipe(Command.withDescription("Change a peer's URL.\n\nExample: fazt remote set-url home https://home.example.com"))

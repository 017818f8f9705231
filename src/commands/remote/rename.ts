import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import { viewPeer } from "../../domain/Peer.js"
import { PeerStore } from "../../services/client/PeerStore.js"
import { emit, notice } from "../output.js"
import { storedPeer } from "../spec.js"

export const rename = Command.make(
  "rename",
  {
    from: storedPeer(Args.text({ name: "old" })).pipe(Args.withDescription("The peer's current name")),
    to: Args.text({ name: "new" }).pipe(Args.withDescription("Its new name"))
  },
  ({ from, to }) =>
    Effect.gen(function* () {
      const store = yield* PeerStore
      const peer = yield* store.rename(from, to)
      yield* notice(`Renamed peer '${from}' to '${peer.name}'`)
      yield* emit(viewPeer(peer), () => null)
    })
).pipe(Command.withDescription("Rename a peer.\n\nExample: fazt remote rename Office_Box office"))

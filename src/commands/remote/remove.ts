import { Command } from "@effect/cli"
import { Effect } from "effect"
import { viewPeer } from "../../domain/Peer.js"
import { PeerStore } from "../../services/PeerStore.js"
import { emit, notice } from "../output.js"
import { peerName } from "./args.js"

export const remove = Command.make("remove", { name: peerName }, ({ name }) =>
  Effect.gen(function* () {
    const store = yield* PeerStore
    const peer = yield* store.remove(name)
    yield* notice(`Removed peer '${peer.name}'${peer.isDefault ? " (it was the default)" : ""}`)
    if (peer.isDefault && (yield* store.list).length > 1) {
      yield* notice("No peer is the default now: choose one with 'fazt remote default <name>'")
    }
    yield* emit(viewPeer(peer), () => null)
  })).pipe(Command.withDescription("Forget a peer (nothing is sent to it).\n\nExample: fazt remote remove pi"))

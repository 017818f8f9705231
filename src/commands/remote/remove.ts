import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import { viewPeer } from "../../domain/Peer.js"
import { PeerStore } from "../../services/client/PeerStore.js"
import { emit, notice } from "../output.js"
import { peerName } from "./args.js"

export const remove = Command.make("remove", { name: peerName }, ({ name }) =>
  Effect.gen(function* () {
    const store = yield* PeerStore
    const peer = yield* store.remove(name)
    yield* notice(`Removed peer '${peer.name}'${peer.isDefault ? " (it was the default)" : ""}`)
    if (peer.isDefault) {
      const left = yield* store.list
      // The only peer left counts as the default (as in fazt); with several, none is.
      if (left.length === 1) yield* notice(`'${left[0]!.name}' is the only peer left, so it is the default`)
      if (left.length > 1) yield* notice("No default peer is left: choose one with 'fazt remote default <name>'")
    }
    yield* emit(viewPeer(peer), () => null)
  })).pipe(Command.withDescription("Forget a peer (nothing is sent to it).\n\nExample: fazt remote remove pi"))

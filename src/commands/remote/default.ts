import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import { viewPeer } from "../../domain/Peer.js"
import { PeerStore } from "../../services/client/PeerStore.js"
import { emit, notice } from "../output.js"
import { peerName } from "./args.js"

export const setDefault = Command.make("default", { name: peerName }, ({ name }) =>
  Effect.gen(function* () {
    const store = yield* PeerStore
    const peer = yield* store.setDefault(name)
    yield* notice(`'${peer.name}' is now the default peer`)
    yield* emit(viewPeer(peer), () => null)
  })).pipe(
    Command.withDescription("Make a peer the one commands use when no name is given.\n\nExample: fazt remote default zyt")
  )

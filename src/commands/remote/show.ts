import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import { viewPeer } from "../../domain/Peer.js"
import { PeerStore } from "../../services/client/PeerStore.js"
import { emit } from "../output.js"
import { peerName } from "./args.js"
import { describePeer } from "./describe.js"

export const show = Command.make(
  "show",
  {
    name: peerName,
    showToken: Options.boolean("show-token").pipe(Options.withDescription("Print the whole token instead of a mask"))
  },
  ({ name, showToken }) =>
    Effect.gen(function* () {
      const store = yield* PeerStore
      const peer = yield* store.get(name)
      yield* emit(viewPeer(peer, showToken), describePeer)
    })
).pipe(Command.withDescription("Show one peer as stored (no network).\n\nExample: fazt remote show zyt"))

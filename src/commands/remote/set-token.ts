import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { UsageError } from "../../domain/errors.js"
import { viewPeer } from "../../domain/Peer.js"
import { PeerStore } from "../../services/client/PeerStore.js"
import { emit, notice } from "../output.js"
import { readToken, tokenOptions } from "../token.js"
import { peerName } from "./args.js"

export const setToken = Command.make("set-token", { name: peerName, ...tokenOptions }, (args) =>
  Effect.gen(function* () {
    const token = yield* readToken(args, args.name)
    if (Option.isNone(token)) {
      return yield* new UsageError({ message: "no token given: pipe it to --token-stdin, or set FAZT_TOKEN" })
    }
    const store = yield* PeerStore
    const peer = yield* store.updateToken(args.name, token.value)
    yield* notice(`Stored a new token for '${peer.name}'`)
    yield* emit(viewPeer(peer), () => null)
  })).pipe(
    Command.withDescription(
      "Replace a peer's API key.\n\nExample: printf %s \"$KEY\" | fazt remote set-token zyt --token-stdin"
    )
  )

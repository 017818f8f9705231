import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { PeerStore } from "../../services/client/PeerStore.js"
import { GlobalFlags } from "../globals.js"
import { notice } from "../output.js"

/**
 * The peer a command works on: the name typed, else `--peer`/`fazt @name`,
 * else `FAZT_PEER` (with a note when it overrides the stored default), else
 * the stored default.
 */
export const selectPeer = (name: Option.Option<string>) =>
  Effect.gen(function* () {
    const store = yield* PeerStore
    if (Option.isSome(name)) return yield* store.get(name.value)
    const flags = yield* GlobalFlags
    if (Option.isSome(flags.peer)) return yield* store.get(flags.peer.value)
    const fromEnv = yield* Config.option(Config.nonEmptyString("FAZT_PEER")).pipe(Effect.orDie)
    if (Option.isNone(fromEnv)) return yield* store.resolve(Option.none())
    const peer = yield* store.get(fromEnv.value)
    const stored = yield* Effect.option(store.resolve(Option.none()))
    if (Option.isSome(stored) && stored.value.name !== peer.name) {
      yield* notice(`using '${peer.name}' from FAZT_PEER (the default is '${stored.value.name}')`)
    }
    return peer
  })

import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { UsageError } from "../../domain/errors.js"
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
    const flags = yield* GlobalFlags
    if (Option.isSome(name)) {
      if (Option.isSome(flags.peer)) return yield* namedTwice(flags.peer.value, `'${name.value}'`)
      return yield* store.get(name.value)
    }
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

/**
 * `fazt @second status local`: two peers named for one command. A usage
 * error naming both (as gh refuses `--repo` with a conflicting argument),
 * never one silently winning.
 */
export const namedTwice = (flagPeer: string, other: string) =>
  new UsageError({ message: `two peers named: @${flagPeer} (or --peer ${flagPeer}) and ${other}; name one` })

/** `--peer`/`@name` given to a command that works on no single peer (`status --all`, `add`): a usage error. */
export const noPeerFlag = (what: string) =>
  Effect.flatMap(GlobalFlags, (flags) =>
    Option.isSome(flags.peer) ? namedTwice(flags.peer.value, what) : Effect.void)

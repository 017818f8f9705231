import { Effect, Layer } from "effect"
import { Database, resolvePath } from "../services/Database.js"
import { LegacyConfig } from "../services/LegacyConfig.js"
import { PeerStore } from "../services/PeerStore.js"
import { GlobalFlags } from "./globals.js"

/** The services of `fazt remote …` on the client database (`--db`, `FAZT_DB`, XDG). */
export const RemoteLayer = Layer.unwrapEffect(
  Effect.gen(function* () {
    const flags = yield* GlobalFlags
    const filename = yield* resolvePath(flags.db, "client")
    return Layer.mergeAll(PeerStore.layer, LegacyConfig.layer).pipe(Layer.provideMerge(Database.layer({ filename })))
  })
)

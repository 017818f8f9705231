import { Duration, Effect, Layer } from "effect"
import { Database, resolvePath } from "../services/Database.js"
import { LegacyConfig } from "../services/LegacyConfig.js"
import { Migrator } from "../services/Migrator.js"
import { NodeKeys } from "../services/NodeKeys.js"
import { NodeSites } from "../services/NodeSites.js"
import { nodeMigrations } from "../migrations/index.js"
import { PeerClient } from "../services/PeerClient.js"
import { PeerStore } from "../services/PeerStore.js"
import { PeerTransport } from "../services/PeerTransport.js"
import { SiteArchive } from "../services/SiteArchive.js"
import { GlobalFlags } from "./globals.js"

/** The services of `fazt remote …` on the client database (`--db`, `FAZT_DB`, XDG). */
export const RemoteLayer = Layer.unwrapEffect(
  Effect.gen(function* () {
    const flags = yield* GlobalFlags
    const filename = yield* resolvePath(flags.db, "client")
    return Layer.mergeAll(PeerStore.layer, LegacyConfig.layer).pipe(Layer.provideMerge(Database.layer({ filename })))
  })
)

/** For the verbs that talk to peers: the client on the transport the global flags describe. */
export const NetworkLayer = Layer.unwrapEffect(
  Effect.gen(function* () {
    const flags = yield* GlobalFlags
    const transport = PeerTransport.layer({
      timeout: Duration.toMillis(flags.timeout),
      retries: flags.retries,
      insecure: flags.insecure
    })
    return Layer.merge(PeerClient.layer.pipe(Layer.provide(transport)), SiteArchive.layer)
  })
)

/** The services of `fazt server …`: the node's database (`./data.db` by default) with its own tables. */
export const ServerLayer = Layer.unwrapEffect(
  Effect.gen(function* () {
    const flags = yield* GlobalFlags
    const filename = yield* resolvePath(flags.db, "server")
    const migrated = Layer.effectDiscard(Effect.flatMap(Migrator, (m) => m.apply(nodeMigrations))).pipe(
      Layer.provide(Migrator.layer)
    )
    return Layer.mergeAll(NodeKeys.layer, NodeSites.layer, migrated).pipe(
      Layer.provideMerge(Database.layer({ filename }))
    )
  })
)

import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Database, resolvePath } from "../services/db/Database.js"
import { LegacyConfig } from "../services/client/LegacyConfig.js"
import { Migrator } from "../services/db/Migrator.js"
import { NodeKeys } from "../services/node/NodeKeys.js"
import { NodeSites } from "../services/node/NodeSites.js"
import { nodeMigrations } from "../migrations/index.js"
import { PeerClient } from "../services/client/PeerClient.js"
import { PeerStore } from "../services/client/PeerStore.js"
import { PeerTransport } from "../services/client/PeerTransport.js"
import { SiteArchive } from "../services/client/SiteArchive.js"
import type { Peer } from "../domain/Peer.js"
import type { RetryEvent } from "../services/client/PeerTransport.js"
import { GlobalFlags } from "./globals.js"
import { formatWait, liveLine, whileWaiting } from "./progress.js"

/** The services of `fazt remote …` on the client database (`--db`, `FAZT_DB`, XDG). */
export const RemoteLayer = Layer.unwrapEffect(
  Effect.gen(function* () {
    const flags = yield* GlobalFlags
    const filename = yield* resolvePath(flags.db, "client")
    return Layer.mergeAll(PeerStore.layer, LegacyConfig.layer).pipe(Layer.provideMerge(Database.layer({ filename })))
  })
)

/** Retries are announced on stderr, on a terminal or not (a JSON line under --json). */
const announceRetry = (json: boolean) => (e: RetryEvent) =>
  Effect.sync(() => {
    const line = json
      ? JSON.stringify({ retry: { peer: e.peer, reason: e.reason, delay_ms: Math.round(Duration.toMillis(e.delay)), attempt: e.attempt, retries: e.retries } })
      : `${e.peer}: ${e.reason}, retrying in ${formatWait(e.delay)} (${e.attempt}/${e.retries})`
    liveLine.above(() => process.stderr.write(`${line}\n`))
  })

// Deploy draws its own phases (upload, then the node unpacking); every other call shows who it waits for.
const OWN_FEEDBACK: ReadonlySet<string> = new Set(["deploy", "deployFolder"])
const withLiveLine = (client: PeerClient.Service): PeerClient.Service =>
  Object.fromEntries(Object.entries(client).map(([name, call]) => [
    name,
    typeof call !== "function" || OWN_FEEDBACK.has(name)
      ? call
      : (peer: Peer, ...rest: Array<unknown>) => whileWaiting(() => `Waiting for ${peer?.name} (${peer?.url})…`, call(peer, ...rest))
  ])) as unknown as PeerClient.Service

/** For the verbs that talk to peers: the client on the transport the global flags describe. */
export const NetworkLayer = Layer.unwrapEffect(
  Effect.gen(function* () {
    const flags = yield* GlobalFlags
    const transport = PeerTransport.layer({
      timeout: Duration.toMillis(flags.timeout),
      retries: flags.retries,
      insecure: flags.insecure,
      onRetry: announceRetry(flags.json)
    })
    const client = Layer.effect(PeerClient, Effect.map(PeerClient, withLiveLine)).pipe(
      Layer.provide(PeerClient.layer.pipe(Layer.provide(transport)))
    )
    return Layer.merge(client, SiteArchive.layer)
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

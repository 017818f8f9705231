// Where the CLI composes its services, per verb. Every implementation a verb
// may not need is named here through `lazyLayer`, so it is loaded only when
// that verb's layer is built: listing peers loads no HTTP client, and only
// `deploy` loads the scanner and zip writer.
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { type Peer, redactUrl } from "../domain/Peer.js"
import { lazyLayer } from "../lazy.js"
import { nodeMigrations } from "../migrations/index.js"
import { LegacyConfig } from "../services/client/LegacyConfig.js"
import { LegacyDatabase } from "../services/client/LegacyDatabase.js"
import { PeerClient } from "../services/client/PeerClient.js"
import { PeerStore } from "../services/client/PeerStore.js"
import { defaultTransportOptions, type RetryEvent } from "../services/client/PeerTransport.js"
import { Database, legacyClientPaths, resolvePath } from "../services/db/Database.js"
import { NodeKeys } from "../services/node/NodeKeys.js"
import { NodeSites } from "../services/node/NodeSites.js"
import * as fs from "node:fs"
import { legacyConfigPath } from "../services/client/LegacyConfig.js"
import { checkDbVariables, CommandPath, GlobalFlags } from "./globals.js"
import { formatWait } from "../domain/wait.js"
import { liveLine, whileWaiting, whileWaitingForEach } from "./progress.js"

/**
 * The services of `fazt remote …` on the client database (`--db`,
 * `FAZT_DB_PATH`, `FAZT_DB`, `~/.fazt/data.db`), made by one scoped effect rather than composed from a layer per
 * service: every `fazt remote` builds it, and the layers' own bookkeeping cost
 * ~1,300 Effect operations a start (README "Performance").
 */
export const RemoteLayer = Layer.scopedContext(
  Effect.gen(function* () {
    const flags = yield* GlobalFlags
    yield* checkDbVariables
    const filename = yield* resolvePath(flags.db, "client")
    const database = yield* Database.make({ filename: (yield* createsNothing(filename)) ? ":memory:" : filename })
    const peers = yield* Effect.provide(PeerStore.make, database)
    const withPeers = database.pipe(Context.add(PeerStore, peers))
    const legacy = yield* Effect.provide(LegacyConfig.make, withPeers)
    const legacyDatabase = yield* Effect.provide(LegacyDatabase.make, withPeers)
    return withPeers.pipe(Context.add(LegacyConfig, legacy), Context.add(LegacyDatabase, legacyDatabase))
  })
)

/** The verbs that may create the client database: every other one only reads it, or changes a peer it holds. */
const CREATING_VERBS: ReadonlySet<string> = new Set(["add"])

/**
 * True when the database file is missing and this command has nothing to put
 * in it (not `add`, no old config or older database to bring in): it then reads an empty
 * in-memory database ("No peers yet", "no peer named …") and creates no file
 * or folder, as git and gh never create configuration to read it.
 */
const createsNothing = (filename: string) =>
  Effect.gen(function* () {
    if (fs.statSync(filename, { throwIfNoEntry: false }) !== undefined) return false
    const path = yield* Effect.serviceOption(CommandPath)
    const verb = Option.match(path, { onNone: () => "", onSome: (p) => p[p.length - 1] ?? "" })
    if (CREATING_VERBS.has(verb)) return false
    // Something to bring in: the old config, or the database fazt remote used before.
    const olds = [yield* legacyConfigPath, ...(yield* legacyClientPaths)]
    return olds.every((old) => fs.statSync(old, { throwIfNoEntry: false }) === undefined)
  })

/** Retries are announced on stderr, on a terminal or not (a JSON line under --json). */
const announceRetry = (json: boolean) => (e: RetryEvent) =>
  Effect.sync(() => {
    const line = json
      ? JSON.stringify({ retry: { peer: e.peer, reason: e.reason, delay_ms: Math.round(Duration.toMillis(e.delay)), attempt: e.attempt, retries: e.retries } })
      : `${e.peer}: ${e.reason}, retrying in ${formatWait(e.delay)} (${e.attempt}/${e.retries})`
    liveLine.print(2, `${line}\n`)
  })

/** A call to one peer, shown as "Waiting for zyt (https://…)…" on the live line while it runs. */
const waiting = <Rest extends ReadonlyArray<unknown>, A, E, R>(call: (peer: Peer, ...rest: Rest) => Effect.Effect<A, E, R>) =>
(peer: Peer, ...rest: Rest): Effect.Effect<A, E, R> =>
  whileWaiting(() => `Waiting for ${peer.name} (${redactUrl(peer.url)})…`, call(peer, ...rest), peer.name)

/**
 * The client with each call's feedback on the terminal. Every method is named
 * here (the result is a whole `PeerClient.Service`), so a method added to
 * PeerClient does not compile until it is given its feedback.
 */
export const withLiveLine = (client: PeerClient.Service): PeerClient.Service => ({
  status: waiting(client.status),
  statusAll: (peers, options) =>
    whileWaitingForEach(peers, (index) => `Waiting for ${peers[index]!.name} (${redactUrl(peers[index]!.url)})…`, (answer) =>
      client.statusAll(peers, {
        ...options,
        onAnswer: (index, result) => {
          answer(index)
          options?.onAnswer?.(index, result)
        }
      })),
  apps: waiting(client.apps),
  upgrade: waiting(client.upgrade),
  removeApp: waiting(client.removeApp),
  command: waiting(client.command),
  // Deploy draws its own phases (upload, then the node unpacking), to one peer or many.
  deploy: client.deploy,
  deployFolder: client.deployFolder,
  deployFolderTo: client.deployFolderTo
})

/** For the verbs that talk to peers: the client on the transport the global flags describe. */
export const NetworkLayer = Layer.unwrapEffect(
  Effect.gen(function* () {
    const flags = yield* GlobalFlags
    const transport = lazyLayer(() => import("../services/client/HttpTransport.js"), (http) =>
      http.layer({
        ...defaultTransportOptions,
        timeout: Duration.toMillis(flags.timeout),
        retries: flags.retries,
        insecure: flags.insecure,
        onRetry: announceRetry(flags.json)
      }))
    const client = Layer.effect(PeerClient, Effect.map(PeerClient, withLiveLine)).pipe(
      Layer.provide(PeerClient.layer.pipe(Layer.provide(transport)))
    )
    return client
  })
)

const ArchiveLayer = lazyLayer(() => import("../services/client/SiteArchiveZip.js"), (archive) => archive.layer)
const BuildLayer = lazyLayer(() => import("../services/client/SiteBuildProcess.js"), (build) => build.layer)

/** For `deploy`: the network client, the folder scanner and zip writer it ships with, and the build step before. */
export const DeployLayer = Layer.mergeAll(NetworkLayer, ArchiveLayer, BuildLayer)

/**
 * For `deploy --dry-run`: the scanner and the build step, and no network
 * layer (it cost as much to build as a whole `status` of one peer). A dry
 * run never asks a peer; a call that did would be a bug, and dies saying so.
 */
export const DryRunDeployLayer = Layer.mergeAll(
  Layer.succeed(
    PeerClient,
    new Proxy({} as PeerClient.Service, {
      get: (_, name) => () => Effect.dieMessage(`a dry run sends nothing (PeerClient.${String(name)} was called)`)
    })
  ),
  ArchiveLayer,
  BuildLayer
)

/** The services of `fazt server …`: the node's database (`./data.db` by default) with its own tables. */
export const ServerLayer = Layer.unwrapEffect(
  Effect.gen(function* () {
    const flags = yield* GlobalFlags
    yield* checkDbVariables
    const filename = yield* resolvePath(flags.db, "server")
    return Layer.mergeAll(NodeKeys.layer, NodeSites.layer).pipe(
      Layer.provideMerge(Database.layer({ filename, migrations: nodeMigrations }))
    )
  })
)

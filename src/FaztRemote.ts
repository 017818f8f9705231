// The library's composition root: how a host gets fazt remote's services
// wired. The implementations a host may not need (the HTTP client, the
// folder scanner and zip writer) are named here through `lazyLayer`, so
// importing the library loads neither; building a layer that names one does.
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as SqlClient from "@effect/sql/SqlClient"
import * as Layer from "effect/Layer"
import type { DatabaseError } from "./domain/errors.js"
import { lazyLayer } from "./lazy.js"
import { LegacyConfig } from "./services/client/LegacyConfig.js"
import { PeerClient } from "./services/client/PeerClient.js"
import { PeerStore } from "./services/client/PeerStore.js"
import { defaultTransportOptions, type PeerTransport, type TransportOptions } from "./services/client/PeerTransport.js"
import type { SiteArchive } from "./services/client/SiteArchive.js"
import type { SiteBuild } from "./services/client/SiteBuild.js"
import { Database } from "./services/db/Database.js"

export interface FaztRemoteOptions {
  /** The fazt SQLite file (created 0600 when missing; the peers migration is applied). */
  readonly filename: string
  /** Timeout, retries (and `retrySchedule`), `insecure` and the response cap of every call to a peer. */
  readonly transport?: Partial<TransportOptions>
  /** Where `LegacyConfig` looks for fazt's old client config (default `~/.fazt/config.json`). */
  readonly legacyConfigPath?: string
  /** Record each contact in the peer's `last_*` columns (default true). */
  readonly recordContacts?: boolean
}

/** Every service of fazt remote, wired for a host program. */
export type FaztRemoteServices = Database | SqlClient.SqlClient | PeerStore | LegacyConfig | PeerTransport | PeerClient | SiteArchive

const loadHttpTransport = () => import("./services/client/HttpTransport.js")

/** HTTP with Node's client, keep-alive connections shared by all peers (loaded when the layer is built). */
const httpTransport = (options: Partial<TransportOptions> = {}): Layer.Layer<PeerTransport> =>
  lazyLayer(loadHttpTransport, (http) => http.layer({ ...defaultTransportOptions, ...options }))

/** HTTP on a client you provide (tests, custom agents). */
const httpTransportWith = (options: Partial<TransportOptions> = {}): Layer.Layer<PeerTransport, never, HttpClient.HttpClient> =>
  lazyLayer(loadHttpTransport, (http) => http.layerWith({ ...defaultTransportOptions, ...options }))

/** The folder scanner and streaming zip writer `PeerClient.deployFolder` needs (loaded when the layer is built). */
const siteArchive: Layer.Layer<SiteArchive> = lazyLayer(() => import("./services/client/SiteArchiveZip.js"), (archive) => archive.layer)

/**
 * The build step of fazt's `app deploy` (`SiteBuild`: a package.json `build`
 * script run with npm, pnpm, yarn or bun), for hosts that build before
 * `deployFolder`/`deployFolderTo`; not in `layer` (loaded when built).
 */
const siteBuild: Layer.Layer<SiteBuild> = lazyLayer(() => import("./services/client/SiteBuildProcess.js"), (build) => build.layer)

export const FaztRemote = {
  /**
   * The whole set on one database: `Effect.provide(program, FaztRemote.layer({ filename }))`.
   * Nothing is opened or loaded until the layer is built.
   */
  layer: (options: FaztRemoteOptions): Layer.Layer<FaztRemoteServices, DatabaseError> => {
    const database = Database.layer({ filename: options.filename })
    const transport = httpTransport(options.transport ?? {})
    const legacy = options.legacyConfigPath === undefined ? LegacyConfig.layer : LegacyConfig.layerAt(options.legacyConfigPath)
    const store = PeerStore.layer
    const client = options.recordContacts === false ? PeerClient.layerWithoutRecording : PeerClient.layer
    return Layer.mergeAll(
      client.pipe(Layer.provideMerge(transport)),
      legacy,
      siteArchive
    ).pipe(Layer.provideMerge(store), Layer.provideMerge(database))
  },
  httpTransport,
  httpTransportWith,
  siteArchive,
  siteBuild
}

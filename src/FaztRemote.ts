import type * as SqlClient from "@effect/sql/SqlClient"
import * as Layer from "effect/Layer"
import type { DatabaseError } from "./domain/errors.js"
import { Database } from "./services/db/Database.js"
import { LegacyConfig } from "./services/client/LegacyConfig.js"
import { PeerClient } from "./services/client/PeerClient.js"
import { PeerStore } from "./services/client/PeerStore.js"
import { PeerTransport, type TransportOptions } from "./services/client/PeerTransport.js"
import { SiteArchive } from "./services/client/SiteArchive.js"

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

export const FaztRemote = {
  /**
   * The whole set on one database: `Effect.provide(program, FaztRemote.layer({ filename }))`.
   * Nothing is opened or loaded until the layer is built.
   */
  layer: (options: FaztRemoteOptions): Layer.Layer<FaztRemoteServices, DatabaseError> => {
    const database = Database.layer({ filename: options.filename })
    const transport = PeerTransport.layer(options.transport ?? {})
    const legacy = options.legacyConfigPath === undefined ? LegacyConfig.layer : LegacyConfig.layerAt(options.legacyConfigPath)
    const store = PeerStore.layer
    const client = options.recordContacts === false ? PeerClient.layerWithoutRecording : PeerClient.layer
    return Layer.mergeAll(
      client.pipe(Layer.provideMerge(transport), Layer.provideMerge(store)),
      legacy,
      SiteArchive.layer
    ).pipe(Layer.provideMerge(database))
  }
}

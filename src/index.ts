// Library entry: the services, layers, errors and schemas of fazt remote, for
// Effect programs that embed them. Importing this module has no side effects:
// it reads no environment, no argv, and opens nothing.
export * from "./domain/errors.js"
export * from "./domain/Peer.js"
export * as Json from "./domain/json.js"
export * as Wire from "./domain/wire.js"
export { isLoopbackHost } from "./domain/transportPolicy.js"
export { FaztRemote, type FaztRemoteOptions, type FaztRemoteServices } from "./FaztRemote.js"
export {
  Database,
  type DatabaseMode,
  type DatabaseOptions,
  defaultClientPath,
  legacyClientPaths,
  resolvePath
} from "./services/db/Database.js"
export { LegacyConfig, LegacyConfigFile, type LegacyImport } from "./services/client/LegacyConfig.js"
export { LegacyDatabase, type LegacyDatabaseImport } from "./services/client/LegacyDatabase.js"
export * as Migrator from "./services/db/Migrator.js"
export type { MigrationReport, MigrationSource } from "./services/db/Migrator.js"
export {
  type DeployUpload,
  PeerClient,
  type PeerClientError,
  type PeerDeployError,
  type PeerRequestError,
  type UpgradeOptions
} from "./services/client/PeerClient.js"
export {
  type DeployedFolder,
  type DeployFolderOptions,
  type DeployFolderToOptions,
  type DeployProgress,
  type FolderDeployedTo,
  type PeerDeployResult
} from "./services/client/deployFolder.js"
export { BUILD_OUTPUTS, type BuildOptions, type BuildOutcome, type BuildPlan, type PackageManagerName, SiteBuild } from "./services/client/SiteBuild.js"
export { siteUrl } from "./domain/SiteUrl.js"
export { type AdoptedPeer, type Adoption, type ContactResult, type NewPeer, PeerStore } from "./services/client/PeerStore.js"
export {
  type AttemptFailure,
  defaultTransportOptions,
  type PeerRequest,
  type PeerResponse,
  PeerTransport,
  type RequestBody,
  type RetryEvent,
  type TransportError,
  type TransportOptions
} from "./services/client/PeerTransport.js"
export { SiteArchive } from "./services/client/SiteArchive.js"
export type { ScanOptions, SiteFileEntry, SiteListing } from "./domain/SiteListing.js"

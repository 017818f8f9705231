// Library entry: the services, layers, errors and schemas of fazt remote, for
// Effect programs that embed them. Importing this module has no side effects.
export * from "./domain/errors.js"
export * from "./domain/Peer.js"
export { isLoopbackHost } from "./domain/transportPolicy.js"
export { Database, type DatabaseOptions, type DatabaseMode, resolvePath } from "./services/Database.js"
export { Migrator, type MigrationReport, type MigrationSource } from "./services/Migrator.js"
export { PeerStore, type NewPeer, type ContactResult } from "./services/PeerStore.js"
export { LegacyConfig, LegacyConfigFile, type LegacyImport } from "./services/LegacyConfig.js"

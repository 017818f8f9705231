import * as Schema from "effect/Schema"
import { PeerView } from "./Peer.js"
import { AppView, Health } from "./wire.js"

/**
 * What each command prints under `--json`, as schemas: docs/JSON.md lists
 * them and the tests decode the real output with these same definitions.
 * Success is `{"data": …}` on stdout; failure `{"error": …}` on stderr.
 */

export const SuccessEnvelope = <A, I, R>(data: Schema.Schema<A, I, R>) => Schema.Struct({ data })

export const ErrorEnvelope = Schema.Struct({
  error: Schema.Struct({
    code: Schema.String,
    message: Schema.String,
    details: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
  })
})

export { PeerView }

/** `fazt remote`: every peer. */
export const PeerList = Schema.Array(PeerView)

/** `remote status` (one peer) and each row of `remote status --all`. */
export const StatusReport = Schema.Struct({
  name: Schema.String,
  url: Schema.String,
  status: Schema.Literal("healthy", "unreachable", "unauthorized", "error"),
  version: Schema.NullOr(Schema.String),
  uptime_seconds: Schema.NullOr(Schema.Number),
  health: Schema.NullOr(Health),
  error: Schema.NullOr(Schema.Struct({ code: Schema.String, message: Schema.String }))
})
export type StatusReport = typeof StatusReport.Type

export const StatusReports = Schema.Array(StatusReport)

export const AppList = Schema.Array(AppView)

export const UpgradeOutput = Schema.Struct({
  peer: Schema.String,
  success: Schema.Boolean,
  message: Schema.String,
  current_version: Schema.String,
  new_version: Schema.optional(Schema.NullOr(Schema.String)),
  action: Schema.optional(Schema.String)
})

/**
 * The build before a deploy (fazt's `app deploy`): `source` (no build script:
 * the folder ships; then `build` is null in DeployOutput), `skipped`
 * (`--no-build`), `build` (run with `package_manager`), `existing` (no package
 * manager on PATH: an earlier build ships). `output`: the folder that ships
 * (`dist`, …), null when the source folder ships or before a build decides it.
 */
export const BuildInfo = Schema.Struct({
  method: Schema.Literal("source", "skipped", "build", "existing"),
  package_manager: Schema.NullOr(Schema.Literal("bun", "pnpm", "yarn", "npm")),
  lock_file: Schema.NullOr(Schema.String),
  install: Schema.Boolean,
  command: Schema.NullOr(Schema.String),
  output: Schema.NullOr(Schema.String),
  /** How long the install and build took; null in a plan. */
  ms: Schema.NullOr(Schema.Number)
})

export const DeployOutput = Schema.Struct({
  peer: Schema.String,
  site: Schema.String,
  file_count: Schema.Number,
  size_bytes: Schema.Number,
  message: Schema.optional(Schema.NullOr(Schema.String)),
  /** Where the site is served (see `siteUrl`); null when it cannot be known. */
  url: Schema.NullOr(Schema.String),
  /** Null when the folder has no build script. */
  build: Schema.NullOr(BuildInfo)
})

/** One peer's row of a deploy to many (`--to`, `--all`): what it serves, or its error. */
export const FleetDeployRow = Schema.Struct({
  peer: Schema.String,
  site: Schema.NullOr(Schema.String),
  url: Schema.NullOr(Schema.String),
  file_count: Schema.NullOr(Schema.Number),
  size_bytes: Schema.NullOr(Schema.Number),
  message: Schema.NullOr(Schema.String),
  ms: Schema.Number,
  error: Schema.NullOr(Schema.Struct({ code: Schema.String, message: Schema.String }))
})

export const FleetDeployOutput = Schema.Struct({
  site: Schema.String,
  build: Schema.NullOr(BuildInfo),
  /** The folder as scanned once: its files and their bytes, and the zip sent to each peer. */
  file_count: Schema.Number,
  size_bytes: Schema.Number,
  zip_bytes: Schema.Number,
  peers: Schema.Array(FleetDeployRow)
})

export const DeployPlan = Schema.Struct({
  site: Schema.String,
  /** The peer, or null for many (`peers` names them). */
  peer: Schema.NullOr(Schema.String),
  peers: Schema.Array(Schema.String),
  spa: Schema.Boolean,
  build: BuildInfo,
  /** Null when a build would decide what ships (`build.method` is `build`): nothing is built. */
  file_count: Schema.NullOr(Schema.Number),
  size_bytes: Schema.NullOr(Schema.Number),
  files: Schema.Array(Schema.Struct({ path: Schema.String, size: Schema.Number })),
  /** Left out because their names look private (without `--include-sensitive`). */
  left_out: Schema.Array(Schema.String),
  /** Names a node refuses: the deploy would stop (the dry run exits 2 after printing the plan). */
  refused: Schema.Array(Schema.Struct({ path: Schema.String, reason: Schema.String }))
})

export const MigrateOutput = Schema.Union(
  Schema.Struct({ outcome: Schema.Literal("absent"), path: Schema.String }),
  Schema.Struct({ outcome: Schema.Literal("malformed"), path: Schema.String, reason: Schema.String }),
  Schema.Struct({
    outcome: Schema.Literal("imported"),
    path: Schema.String,
    renamed_to: Schema.NullOr(Schema.String),
    imported: Schema.Array(Schema.String),
    kept: Schema.Array(Schema.String),
    skipped: Schema.Array(Schema.Struct({ name: Schema.String, reason: Schema.String })),
    default_peer: Schema.NullOr(Schema.String),
    rename_error: Schema.NullOr(Schema.String)
  })
)

export const CreatedKeyOutput = Schema.Struct({ id: Schema.Number, name: Schema.String, token: Schema.String })

/** `server start --json`: one line once the node listens (`--port 0` tells the port here). */
export const ServerStarted = Schema.Struct({
  url: Schema.String,
  port: Schema.Number,
  host: Schema.String,
  database: Schema.String,
  version: Schema.String,
  api_keys: Schema.Number
})

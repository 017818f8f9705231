import { Schema } from "effect"

/**
 * The admin API of a fazt node, as real nodes (Go, v0.9 to v0.29) answer it.
 * Every field an older node may lack is optional; unknown fields are ignored.
 */

export const ErrorBody = Schema.Struct({
  code: Schema.String,
  message: Schema.optional(Schema.String),
  details: Schema.optional(Schema.Unknown)
})

/** `{"data": …}` or `{"error": {code, message}}` (fazt also sends `data: null` beside an error). */
export const Envelope = Schema.Struct({
  data: Schema.optional(Schema.Unknown),
  meta: Schema.optional(Schema.Unknown),
  error: Schema.optional(Schema.NullOr(ErrorBody))
})

const OptionalNumber = Schema.optional(Schema.NullOr(Schema.Number))
const OptionalString = Schema.optional(Schema.NullOr(Schema.String))

export const Health = Schema.Struct({
  status: Schema.String,
  uptime_seconds: OptionalNumber,
  version: OptionalString,
  mode: OptionalString,
  memory: Schema.optional(Schema.NullOr(Schema.Struct({
    used_mb: OptionalNumber,
    limit_mb: OptionalNumber,
    vfs_cache_mb: OptionalNumber
  }))),
  database: Schema.optional(Schema.NullOr(Schema.Struct({
    path: OptionalString,
    open_connections: OptionalNumber,
    in_use: OptionalNumber
  }))),
  runtime: Schema.optional(Schema.NullOr(Schema.Struct({
    queued_events: OptionalNumber,
    goroutines: OptionalNumber
  })))
})
export type Health = typeof Health.Type

/** One app as any fazt version lists it: `title` since v0.10, `name` before. */
export const WireApp = Schema.Struct({
  id: OptionalString,
  title: OptionalString,
  name: OptionalString,
  visibility: OptionalString,
  source: OptionalString,
  file_count: OptionalNumber,
  size_bytes: OptionalNumber,
  created_at: OptionalString,
  updated_at: OptionalString,
  description: OptionalString,
  tags: Schema.optional(Schema.Unknown),
  source_url: OptionalString,
  aliases: Schema.optional(Schema.Unknown)
})

/** Go's nil slice arrives as `null`: an empty list. */
export const AppList = Schema.NullOr(Schema.Array(WireApp))

export const UpgradeAction = Schema.Literal("check_only", "already_latest", "upgraded", "force_restart")

export const UpgradeResult = Schema.Struct({
  success: Schema.Boolean,
  message: Schema.String,
  current_version: Schema.String,
  new_version: OptionalString,
  action: Schema.optional(Schema.String)
})
export type UpgradeResult = typeof UpgradeResult.Type

export const DeployResult = Schema.Struct({
  site: Schema.String,
  file_count: Schema.Number,
  size_bytes: Schema.Number,
  message: OptionalString
})
export type DeployResult = typeof DeployResult.Type

/** What `apps` reports for each app, whatever the node's version. */
export const AppView = Schema.Struct({
  name: Schema.String,
  id: Schema.NullOr(Schema.String),
  visibility: Schema.NullOr(Schema.String),
  source: Schema.NullOr(Schema.String),
  file_count: Schema.NullOr(Schema.Number),
  size_bytes: Schema.NullOr(Schema.Number),
  updated_at: Schema.NullOr(Schema.String)
})
export type AppView = typeof AppView.Type

export const viewApp = (app: typeof WireApp.Type): AppView => ({
  name: app.title ?? app.name ?? app.id ?? "?",
  id: app.id ?? null,
  visibility: app.visibility ?? null,
  source: app.source ?? null,
  file_count: app.file_count ?? null,
  size_bytes: app.size_bytes ?? null,
  updated_at: app.updated_at ?? app.created_at ?? null
})

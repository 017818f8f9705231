import * as Schema from "effect/Schema"

/**
 * The admin API of a fazt node, as real nodes (Go, v0.9 to v0.29) answer it.
 * Every field an older node may lack is optional; unknown fields are ignored.
 */

export const ErrorBody = Schema.Struct({
  code: Schema.String,
  message: Schema.optional(Schema.String),
  details: Schema.optional(Schema.Unknown)
})

/**
 * `{"data": …}` or `{"error": …}`. fazt has two error shapes: the API's
 * `{code, message}` object (internal/api/response.go, which also sends
 * `data: null` beside it) and a bare string from the admin middleware
 * (`{"error":"Authentication required"}`, internal/middleware/auth.go).
 */
export const Envelope = Schema.Struct({
  data: Schema.optional(Schema.Unknown),
  meta: Schema.optional(Schema.Unknown),
  error: Schema.optional(Schema.NullOr(Schema.Union(ErrorBody, Schema.String)))
})

/**
 * The command gateway's answer inside `data` (internal/handlers/cmd_gateway.go):
 * HTTP 200 once authenticated, `success` saying whether the command ran.
 * `data` is left out when the result is empty (Go's `omitempty` on a nil slice).
 */
export const GatewayAnswer = Schema.Struct({
  success: Schema.Boolean,
  data: Schema.optional(Schema.Unknown),
  output: Schema.optional(Schema.NullOr(Schema.String)),
  error: Schema.optional(Schema.NullOr(Schema.String))
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

const Strings = Schema.optional(Schema.NullOr(Schema.Array(Schema.Unknown)))

/**
 * One app as any fazt version lists it: the gateway's `app list` gives
 * `{id, title, visibility, tags?, forked_from?, aliases?}`; `GET /api/apps`
 * adds sizes and times (v0.10+) and, before v0.10, said `name` for `title`.
 */
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
  tags: Strings,
  forked_from: OptionalString,
  aliases: Strings
})

/** Go's nil slice arrives as `null` (or, from the gateway, not at all): an empty list. */
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

/** What `apps` reports for each app, whatever the node's version and route. */
export const AppView = Schema.Struct({
  id: Schema.NullOr(Schema.String),
  title: Schema.String,
  visibility: Schema.NullOr(Schema.String),
  aliases: Schema.Array(Schema.String),
  tags: Schema.Array(Schema.String),
  forked_from: Schema.NullOr(Schema.String),
  source: Schema.NullOr(Schema.String),
  file_count: Schema.NullOr(Schema.Number),
  size_bytes: Schema.NullOr(Schema.Number),
  updated_at: Schema.NullOr(Schema.String)
})
export type AppView = typeof AppView.Type

// fazt lists aliases as subdomain strings; an object with `subdomain` is read too.
const names = (list: ReadonlyArray<unknown> | null | undefined): Array<string> =>
  (list ?? []).flatMap((item) => {
    if (typeof item === "string") return [item]
    if (typeof item === "object" && item !== null && typeof (item as { subdomain?: unknown }).subdomain === "string") {
      return [(item as { subdomain: string }).subdomain]
    }
    return []
  })

export const viewApp = (app: typeof WireApp.Type): AppView => ({
  id: app.id || null,
  title: app.title || app.name || app.id || "",
  visibility: app.visibility ?? null,
  aliases: names(app.aliases),
  tags: names(app.tags),
  forked_from: app.forked_from || null,
  source: app.source ?? null,
  file_count: app.file_count ?? null,
  size_bytes: app.size_bytes ?? null,
  updated_at: app.updated_at ?? app.created_at ?? null
})

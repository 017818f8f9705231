// The command gateway, `POST /api/cmd`, as fazt's CLI uses it (`fazt @peer app list`):
// internal/handlers/cmd_gateway.go.
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Effect from "effect/Effect"
import type { NodeSites } from "../NodeSites.js"
import type { NodeOptions } from "../NodeServer.js"
import { badRequest, envelope, failure } from "./answers.js"

/** fazt's app ids: `app_` and 4–32 of [0-9a-z] (internal/appid/appid.go). */
const APP_ID = /^app_[0-9a-z]{4,32}$/

/** An answer of the command gateway: always HTTP 200 (internal/handlers/cmd_gateway.go). */
const commandResult = (result: { readonly data: unknown } | { readonly error: string }) =>
  envelope("error" in result ? { success: false, error: result.error } : { success: true, data: result.data })

const ownAddress = (host: string | undefined) => {
  const port = /:(\d+)$/.exec(host ?? "")?.[1]
  return port === undefined ? "" : `:${port}`
}

export interface CommandContext {
  readonly sites: NodeSites.Service
  readonly options: NodeOptions
  /** Why nothing more can be stored (the database file went), or undefined. */
  readonly databaseProblem: Effect.Effect<string | undefined>
}

/** The gateway's handler. */
export const commandRoute = ({ databaseProblem, options, sites }: CommandContext) => {
  // The command gateway, as fazt's CLI uses it (`fazt @peer app list`):
  // internal/handlers/cmd_gateway.go. Every site here is one app whose only
  // alias is the site's name.
  const findApp = (args: ReadonlyArray<string>) =>
    Effect.gen(function* () {
      let identifier = args[0]!
      let byId = APP_ID.test(identifier)
      args.forEach((arg, i) => {
        if ((arg === "--alias" || arg === "--id") && i + 1 < args.length) {
          identifier = args[i + 1]!
          byId = arg === "--id"
        }
      })
      const list = yield* sites.list
      return list.find((s) => (byId ? s.id === identifier : s.name === identifier))
    })

  const appCommand = (args: ReadonlyArray<string>, host: string | undefined) =>
    Effect.gen(function* () {
      const [sub, ...rest] = args
      if (sub === undefined) return { error: "missing subcommand" }
      switch (sub) {
        case "list": {
          const list = [...(yield* sites.list)].sort((a, b) => b.updated_at.localeCompare(a.updated_at))
          if (rest.includes("--aliases")) {
            const aliases = list.map((s) => ({ subdomain: s.name, type: "proxy", targets: { app_id: s.id } }))
            return { data: aliases.length === 0 ? null : aliases }
          }
          // fazt answers null, not [], when there are no apps.
          const items = list.map((s) => ({ id: s.id, title: s.name, visibility: "public", aliases: [s.name] }))
          return { data: items.length === 0 ? null : items }
        }
        case "info": {
          if (rest.length < 1) return { error: "missing required argument" }
          const app = yield* findApp(rest)
          if (!app) return { error: "not found" }
          return {
            data: {
              id: app.id,
              title: app.name,
              visibility: "public",
              source: "deploy",
              file_count: app.file_count,
              size_bytes: app.size_bytes,
              created_at: app.created_at,
              updated_at: app.updated_at,
              aliases: [app.name],
              url: `http://${app.name}.localhost${ownAddress(host)}`
            }
          }
        }
        case "remove": {
          if (rest.length < 1) return { error: "missing required argument" }
          const problem = yield* databaseProblem
          if (problem !== undefined) return { error: `${problem}: nothing more can be stored; restart the node` }
          if (rest.includes("--alias") && !rest.includes("--id")) {
            return { error: "this node keeps exactly one alias per app, its name: remove the app instead" }
          }
          const app = yield* findApp(rest)
          if (!app || !(yield* sites.remove(app.name))) return { error: "not found" }
          return { data: { id: app.id, title: app.name, deleted: 1, message: "App removed" } }
        }
        case "link":
        case "unlink":
        case "reserve":
        case "fork":
        case "lineage":
          return { error: `'app ${sub}' is not supported by this node (fazt remote ${options.version})` }
        default:
          return { error: "unknown subcommand" }
      }
    })

  const serverCommand = (args: ReadonlyArray<string>) => {
    if (args[0] === undefined) return { error: "missing subcommand" }
    if (args[0] !== "info") return { error: "unknown subcommand" }
    // No file cache here: the VFS figures are honestly zero.
    return { data: { version: options.version, domain: "localhost", env: "development", vfs: { cached_files: 0, cache_size: 0 } } }
  }

  const command = Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (Number(request.headers["content-length"] ?? "0") > 1024 * 1024) {
      return failure(413, "PAYLOAD_TOO_LARGE", "Request payload exceeds maximum size of 1MB")
    }
    const text = yield* request.text.pipe(Effect.catchTag("RequestError", () => Effect.succeed(undefined)))
    let body: unknown
    try {
      body = text === undefined ? undefined : JSON.parse(text)
    } catch {
      body = undefined
    }
    // Go decodes into {command string, args []string}: anything else is a
    // 400. Its decoder matches keys without regard to case ("Command",
    // "ARGS"), a later key overriding an earlier one, ignores unknown keys,
    // and leaves a field at its zero value for null.
    if (typeof body !== "object" || body === null || Array.isArray(body)) return badRequest("invalid request body")
    let name = ""
    let args: ReadonlyArray<unknown> = []
    for (const [key, value] of Object.entries(body)) {
      const field = key.toLowerCase()
      if (field === "command") {
        if (value !== null && typeof value !== "string") return badRequest("invalid request body")
        if (value !== null) name = value
      } else if (field === "args") {
        if (value !== null && !(Array.isArray(value) && value.every((a) => typeof a === "string" || a === null))) {
          return badRequest("invalid request body")
        }
        args = value ?? []
      }
    }
    if (name === "") return badRequest("command is required")
    const argv = args.map((a) => (typeof a === "string" ? a : ""))
    if (name === "app") return commandResult(yield* appCommand(argv, request.headers["host"]))
    if (name === "server") return commandResult(serverCommand(argv))
    return commandResult({ error: "unknown command" })
  })


  return command
}

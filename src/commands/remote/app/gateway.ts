// What the `fazt remote app …` verbs share: fazt v0.29's `app` commands go
// through the node's command gateway (`POST /api/cmd`), with the arguments
// fazt's own CLI sends (`cmd/server/app_v2.go`), to the peer of `--peer`,
// `fazt @name`, FAZT_PEER or the default.
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { InvalidInput } from "../../../domain/errors.js"
import { PeerClient } from "../../../services/client/PeerClient.js"
import { escapeControl } from "../../output.js"
import { selectPeer } from "../select.js"

/** Runs `app <args…>` on the chosen peer; `idempotent` calls are retried like any read. */
export const appCommand = (args: ReadonlyArray<string>, idempotent = false) =>
  Effect.gen(function* () {
    const client = yield* PeerClient
    const peer = yield* selectPeer(Option.none())
    const data = yield* client.command(peer, "app", args, { idempotent })
    return { peer, data }
  })

/** A field of a gateway answer as text (numbers too), or undefined. */
export const field = (data: unknown, key: string): string | undefined => {
  if (typeof data !== "object" || data === null) return undefined
  const value = (data as Record<string, unknown>)[key]
  return typeof value === "string" ? value : typeof value === "number" ? String(value) : undefined
}

/** A list field of a gateway answer, its text items only. */
export const listField = (data: unknown, key: string): ReadonlyArray<string> => {
  if (typeof data !== "object" || data === null) return []
  const value = (data as Record<string, unknown>)[key]
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : []
}

/** `Label:  value` lines for the fields present, aligned on every label's width, escaped for the terminal. */
export const labelled = (rows: ReadonlyArray<readonly [string, string | undefined]>): string => {
  const shown = rows.filter((r): r is readonly [string, string] => r[1] !== undefined && r[1] !== "")
  const width = Math.max(0, ...rows.map(([label]) => label.length)) + 2
  return shown.map(([label, value]) => `${`${label}:`.padEnd(width)}${escapeControl(value)}`).join("\n")
}

/** fazt's way to name an app: `<app>`, or `--alias <alias>`, or `--id <app_id>`. */
export const appReference = {
  alias: Options.text("alias").pipe(Options.withDescription("Name the app by one of its aliases (sub-domains)"), Options.optional),
  id: Options.text("id").pipe(Options.withDescription("Name the app by its ID (app_…)"), Options.optional)
}

/**
 * The gateway arguments naming one app, as fazt's CLI builds them: the word
 * typed (the node resolves an ID or an alias), or `--alias X`, or `--id X`.
 */
export const referenceArgs = (
  verb: string,
  typed: Option.Option<string>,
  ref: { readonly alias: Option.Option<string>; readonly id: Option.Option<string> },
  positionalAllowed = true
): Effect.Effect<ReadonlyArray<string>, InvalidInput> => {
  const given = [typed, ref.alias, ref.id].filter(Option.isSome).length
  if (given !== 1) {
    const how = positionalAllowed ? "an app (its ID or alias), or --alias, or --id" : "--alias or --id"
    return Effect.fail(new InvalidInput({ message: `'app ${verb}' needs ${given === 0 ? "" : "exactly one of "}${how}` }))
  }
  if (Option.isSome(ref.alias)) return Effect.succeed(["--alias", ref.alias.value])
  if (Option.isSome(ref.id)) return Effect.succeed(["--id", ref.id.value])
  return Effect.succeed([Option.getOrThrow(typed)])
}

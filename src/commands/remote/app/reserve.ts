import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import { emit, escapeControl } from "../../output.js"
import { appCommand } from "./gateway.js"
import { subdomain } from "./link.js"

export const reserve = Command.make("reserve", { subdomain }, ({ subdomain }) =>
  Effect.gen(function* () {
    const { data } = yield* appCommand(["reserve", subdomain])
    yield* emit(data, () => escapeControl(`Reserved ${subdomain}`))
  })).pipe(Command.withDescription("Keep a sub-domain from being used (fazt's 'app reserve').\n\nExample: fazt @zyt app reserve shop"))

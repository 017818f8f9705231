import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import { emit, escapeControl } from "../../output.js"
import { appCommand } from "./gateway.js"
import { subdomain } from "./link.js"

export const unlink = Command.make("unlink", { subdomain }, ({ subdomain }) =>
  Effect.gen(function* () {
    const { data } = yield* appCommand(["unlink", subdomain])
    yield* emit(data, () => escapeControl(`Unlinked ${subdomain}`))
  })).pipe(Command.withDescription("Remove a sub-domain's link (fazt's 'app unlink').\n\nExample: fazt @zyt app unlink blog"))

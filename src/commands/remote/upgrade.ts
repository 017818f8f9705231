import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import { PeerClient } from "../../services/client/PeerClient.js"
import { emit, escapeControl } from "../output.js"
import { optionalPeerName } from "./args.js"
import { selectPeer } from "./select.js"

/** One sentence for what the node answered (fazt's `action`s: internal/handlers/upgrade.go). */
const describeUpgrade = (r: {
  readonly peer: string
  readonly current_version: string
  readonly new_version?: string | null | undefined
  readonly action?: string | null | undefined
  readonly message: string
}): string => {
  switch (r.action) {
    case "check_only":
      // A node without a release channel answers check_only with no new version: say what it said.
      return r.new_version
        ? `${r.peer} runs fazt ${r.current_version}; ${r.new_version} is available: run 'fazt remote upgrade ${r.peer}'`
        : `${r.peer} runs fazt ${r.current_version}: ${r.message}`
    case "already_latest":
      // fazt says "Already running the latest version" after checking its releases
      // (internal/handlers/upgrade_handler.go); a node that checked nothing (ours: no
      // release channel) says so, and its words are given instead of a claim it never made.
      return /no release channel|not checked|cannot check/i.test(r.message)
        ? `${r.peer} runs fazt ${r.current_version}; nothing was checked: ${r.message.charAt(0).toLowerCase()}${r.message.slice(1)}`
        : `${r.peer} runs fazt ${r.current_version}, the latest release`
    case "upgraded":
      return `${r.peer} upgraded from fazt ${r.current_version} to ${r.new_version ?? "the latest release"} and is restarting`
    case "force_restart":
      return `${r.peer} runs fazt ${r.current_version} and is restarting`
    default:
      return `${r.peer}: ${r.message}`
  }
}

export const upgrade = Command.make(
  "upgrade",
  {
    name: optionalPeerName,
    check: Options.boolean("check").pipe(Options.withDescription("Only ask whether a newer version exists")),
    force: Options.boolean("force").pipe(Options.withDescription("Restart the node even if it is up to date"))
  },
  ({ check, force, name }) =>
    Effect.gen(function* () {
      const client = yield* PeerClient
      const peer = yield* selectPeer(name)
      const result = yield* client.upgrade(peer, { check, force })
      yield* emit({ peer: peer.name, ...result }, (r) => escapeControl(describeUpgrade(r)))
    })
).pipe(
  Command.withDescription(
    "Upgrade a peer to the latest fazt release (never retried once it may have reached the node).\n\nExample: fazt remote upgrade zyt --check"
  )
)

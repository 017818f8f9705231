import { Command, Options } from "@effect/cli"
import { Effect } from "effect"
import { PeerClient } from "../../services/PeerClient.js"
import { emit } from "../output.js"
import { optionalPeerName } from "./args.js"
import { selectPeer } from "./select.js"

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
      yield* emit({ peer: peer.name, ...result }, (r) =>
        `${r.peer}: ${r.current_version} → ${r.new_version ?? "?"} (${r.action ?? "unknown"}): ${r.message}`)
    })
).pipe(
  Command.withDescription(
    "Upgrade a peer to the latest fazt release (never retried once it may have reached the node).\n\nExample: fazt remote upgrade zyt --check"
  )
)

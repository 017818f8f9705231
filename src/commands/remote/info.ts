import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import { PeerClient } from "../../services/client/PeerClient.js"
import { emit } from "../output.js"
import { field, labelled } from "./app/gateway.js"
import { optionalPeerName } from "./args.js"
import { selectPeer } from "./select.js"

/** fazt's `fazt @zyt server info`: what the node says of itself through its gateway (`server info`). */
export const info = Command.make("info", { name: optionalPeerName }, ({ name }) =>
  Effect.gen(function* () {
    const client = yield* PeerClient
    const peer = yield* selectPeer(name)
    const data = yield* client.command(peer, "server", ["info"], { idempotent: true })
    yield* emit(data, (d) =>
      labelled([
        ["Server", peer.name],
        ["Version", field(d, "version")],
        ["Domain", field(d, "domain")],
        ["Env", field(d, "env")]
      ]))
  })).pipe(
    Command.withDescription(
      "What a peer says of itself: version, domain, environment (fazt's 'server info').\n\nExample: fazt @zyt server info"
    )
  )

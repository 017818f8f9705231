import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import { PeerClient } from "../../services/client/PeerClient.js"
import { emit, notice, table } from "../output.js"
import { optionalPeerName } from "./args.js"
import { selectPeer } from "./select.js"

export const apps = Command.make("apps", { name: optionalPeerName }, ({ name }) =>
  Effect.gen(function* () {
    const client = yield* PeerClient
    const peer = yield* selectPeer(name)
    const list = yield* client.apps(peer)
    if (list.length === 0) {
      yield* notice(`No apps on '${peer.name}' yet. Deploy one with: fazt remote deploy <dir> ${peer.name}`)
    }
    yield* emit(list, (rows) =>
      rows.length === 0 ? null : table(
        ["ID", "TITLE", "VISIBILITY", "ALIASES"],
        rows.map((a) => [a.id ?? "-", a.title || "-", a.visibility ?? "-", a.aliases.length === 0 ? "-" : a.aliases.join(", ")])
      ))
  })).pipe(Command.withDescription("List the apps on a peer, private ones included.\n\nExample: fazt remote apps zyt"))

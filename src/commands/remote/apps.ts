import { Command } from "@effect/cli"
import { Effect } from "effect"
import { toIsoTime } from "../../domain/Peer.js"
import { PeerClient } from "../../services/PeerClient.js"
import { ago, emit, formatBytes, notice, table } from "../output.js"
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
        ["NAME", "VISIBILITY", "FILES", "SIZE", "UPDATED"],
        rows.map((a) => [
          a.name,
          a.visibility ?? "-",
          a.file_count === null ? "-" : String(a.file_count),
          formatBytes(a.size_bytes),
          ago(toIsoTime(a.updated_at))
        ])
      ))
  })).pipe(Command.withDescription("List the apps on a peer, private ones included.\n\nExample: fazt remote apps zyt"))

import * as Effect from "effect/Effect"
import { viewPeer } from "../../domain/Peer.js"
import { PeerStore } from "../../services/client/PeerStore.js"
import { ago, emit, notice, table } from "../output.js"

/** `fazt remote`: the peers table, read locally only (never the network). */
export const listPeers = Effect.gen(function* () {
  const store = yield* PeerStore
  const peers = (yield* store.list).map((p) => viewPeer(p))
  if (peers.length === 0) {
    yield* notice("No peers yet. Add one with: fazt remote add <name> <url> --token-stdin")
  }
  const unusable = peers.filter((p) => p.problem !== null)
  if (unusable.length > 0) {
    const first = unusable[0]!
    yield* notice(
      `${unusable.length} peer(s) cannot be used as stored (marked unusable): '${first.name}': ${first.problem}` +
        " (fix it with 'fazt remote set-url' or 'fazt remote set-token', or remove it)" +
        (unusable.length > 1 ? "; see 'fazt remote show <name>' for the others" : "")
    )
  }
  yield* emit(peers, (views) =>
    views.length === 0 ? null : table(
      ["", "NAME", "URL", "STATUS", "VERSION", "LAST SEEN", "TOKEN"],
      views.map((p) => [
        p.is_default ? "*" : "",
        p.name,
        p.url,
        p.problem !== null ? "unusable" : p.last_status ?? "-",
        p.last_version ?? "-",
        ago(p.last_seen_at),
        p.token ?? "-"
      ])
    ))
})

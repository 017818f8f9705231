import * as Effect from "effect/Effect"
import { listViews } from "../../services/client/PeerStore.js"
import { ago, emit, notice, table } from "../output.js"

/** `fazt remote`: the peers table, read locally only (never the network). */
export const listPeers = Effect.gen(function* () {
  // What `store.list` and `viewPeer` of each give, without a `Peer` per row (issue 26).
  const peers = yield* listViews
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
  yield* emit(peers, (views) => {
    if (views.length === 0) return null
    // One clock for the whole table, and the last answer kept: a fleet's rows
    // were seen within the same few seconds (`status --all` records them).
    const now = Date.now()
    let seen: string | null = null
    let seenAgo = "-"
    const lastSeen = (iso: string | null) => (iso === seen ? seenAgo : (seenAgo = ago((seen = iso), now)))
    return table(
      ["", "NAME", "URL", "STATUS", "VERSION", "LAST SEEN", "TOKEN"],
      views.map((p) => [
        p.is_default ? "*" : "",
        p.name,
        p.url,
        p.problem !== null ? "unusable" : p.last_status ?? "-",
        p.last_version ?? "-",
        lastSeen(p.last_seen_at),
        p.token ?? "-"
      ])
    )
  })
})

import type { PeerView } from "../../domain/Peer.js"
import { ago, escapeControl } from "../output.js"

/** The key: value block `remote show` and `add` print for one peer. */
export const describePeer = (p: PeerView): string =>
  [
    ["Name", p.name + (p.is_default ? " (default)" : "")],
    ["URL", p.url],
    ["Description", p.description ?? "-"],
    ["Token", p.token ?? "none"],
    ["Last status", p.last_status ?? "-"],
    ["Last version", p.last_version ?? "-"],
    ["Last seen", p.last_seen_at === null ? "never" : `${p.last_seen_at} (${ago(p.last_seen_at)})`],
    ["Added", p.created_at ?? "-"],
    ...(p.problem !== null ? [["Unusable", p.problem]] : [])
  ]
    .map(([k, v]) => `${(k + ":").padEnd(14)}${escapeControl(v!)}`)
    .join("\n")

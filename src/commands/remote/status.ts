import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type { Peer } from "../../domain/Peer.js"
import type { StatusReport } from "../../domain/json.js"
import type { Health } from "../../domain/wire.js"
import { PeerClient, type PeerClientError, statusAfter } from "../../services/client/PeerClient.js"
import { fleetConcurrency } from "../../services/client/fleetConcurrency.js"
import { PeerStore } from "../../services/client/PeerStore.js"
import { emit, formatBytes, table, warn } from "../output.js"
import { stillWaiting } from "../progress.js"
import { errorCode, exitCodes } from "../failure.js"
import { GlobalFlags } from "../globals.js"
import { optionalPeerName } from "./args.js"
import { noPeerFlag, selectPeer } from "./select.js"

// Ten thousand years: anything longer is a peer making numbers up.
const MAX_UPTIME_SECONDS = 10_000 * 365 * 86400

/** `4d 0h 1m`; under a minute, seconds. */
export const formatUptime = (seconds: number | null): string => {
  if (seconds === null) return "-"
  // A peer's JSON may say 1e400 (Infinity once parsed) or -5: shown as unknown, not as NaNd.
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_UPTIME_SECONDS) return "?"
  const s = Math.floor(seconds)
  if (s < 60) return `${s}s`
  const d = Math.floor(s / 86400)
  const h = Math.floor((s % 86400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  // The two largest units, always (`5s`, `3m 5s`, `2h 3m`, `4d 0h 1m`): never `0h 3m`.
  return d > 0 ? `${d}d ${h}h ${m}m` : h > 0 ? `${h}h ${m}m` : `${m}m ${s % 60}s`
}

const formatMemory = (health: Health | null): string => {
  const used = health?.memory?.used_mb
  if (used === undefined || used === null) return "-"
  const mb = (n: number) => (Number.isFinite(n) && n >= 0 && n < 1e15 ? n : undefined)
  const limit = health?.memory?.limit_mb
  // Used of the limit, each with its unit (`84 MB of 23.5 GB`): the node's heap against what it may use.
  const size = (n: number | undefined) => n === undefined ? "?" : formatBytes(Math.round(n * 1024 * 1024))
  return limit ? `${size(mb(used))} of ${size(mb(limit))}` : size(mb(used))
}

const report = (peer: Peer, health: Health): StatusReport => ({
  name: peer.name,
  url: peer.url,
  status: health.status === "healthy" ? "healthy" : "error",
  version: health.version ?? null,
  uptime_seconds: health.uptime_seconds ?? null,
  health,
  error: null
})

const failedReport = (peer: Peer, error: PeerClientError): StatusReport => ({
  name: peer.name,
  url: peer.url,
  status: statusAfter(error),
  version: null,
  uptime_seconds: null,
  health: null,
  error: { code: errorCode(error._tag), message: error.message }
})

const render = (rows: ReadonlyArray<StatusReport>) =>
  table(
    ["NAME", "URL", "STATUS", "VERSION", "UPTIME", "MEMORY"],
    rows.map((r) => [r.name, r.url, r.status, r.version ?? "-", formatUptime(r.uptime_seconds), formatMemory(r.health)])
  )

/** Ctrl-C during `status --all`: the rows already in (in the peers' order), and who never answered. */
const interruptedFleet = (peers: ReadonlyArray<Peer>, answered: ReadonlyMap<string, StatusReport>) =>
  Effect.gen(function* () {
    const rows = peers.flatMap((p) => {
      const row = answered.get(p.name)
      return row === undefined ? [] : [row]
    })
    const missing = peers.filter((p) => !answered.has(p.name)).map((p) => p.name)
    yield* emit(rows, (all) => all.length === 0 ? null : render(all))
    yield* warn(`interrupted: ${missing.length === 0 ? "every peer had answered" : `no answer from ${stillWaiting(missing)} (${missing.length} of ${peers.length})`}`)
  }).pipe(Effect.ignore)

export const status = Command.make(
  "status",
  {
    name: optionalPeerName,
    all: Options.boolean("all").pipe(Options.withDescription("Ask every peer at once, one row each"))
  },
  ({ name, all }) =>
    Effect.gen(function* () {
      const store = yield* PeerStore
      const client = yield* PeerClient
      if (!all) {
        const peer = yield* selectPeer(name)
        const health = yield* client.status(peer)
        const row = report(peer, health)
        return yield* emit(row, (r) => render([r]))
      }
      yield* noPeerFlag("--all (every peer)")
      if (Option.isSome(name)) yield* warn("a name is ignored with --all")
      const peers = yield* store.list
      // The answers as they come in: on Ctrl-C they are printed, not thrown away (then exit 130).
      const answered = new Map<string, StatusReport>()
      const rows = (yield* client.statusAll(peers, {
        // Peers asked at once: what the open file limit allows, so a fleet takes about one round trip.
        concurrency: fleetConcurrency(),
        onAnswer: (index, result) => {
          const peer = peers[index]!
          answered.set(peer.name, Either.isRight(result) ? report(peer, result.right) : failedReport(peer, result.left))
        }
      }).pipe(Effect.onInterrupt(() => interruptedFleet(peers, answered)))).map((result, index) => ({
        row: answered.get(peers[index]!.name)!,
        error: Either.isLeft(result) ? result.left : undefined
      }))
      if (rows.length === 0) yield* warn("no peers yet: add one with 'fazt remote add <name> <url> --token-stdin'")
      // No peers: the warning alone, not a header over nothing (--json still gets its empty list).
      yield* emit(rows.map((r) => r.row), (all) => all.length === 0 ? null : render(all))
      const failed = rows.flatMap((r) => (r.error === undefined ? [] : [r.error]))
      if (failed.length === 0) return
      // The exit code when peers fail differently (README, docs/JSON.md): the lowest code
      // among them — 2 if one could not be asked (its stored URL), else 5 if any is
      // unreachable, else 6 if any refused the key, else 7. Not the order of the rows.
      const reported = failed.reduce((a, b) => (exitCodes[b._tag] < exitCodes[a._tag] ? b : a))
      // Under --json the rows carry every error; stderr gets only the one envelope.
      const flags = yield* GlobalFlags
      if (!flags.json) for (const e of failed) if (e !== reported) yield* Console.error(`error: ${e.message}`)
      return yield* Effect.fail(reported)
    })
).pipe(
  Command.withDescription(
    "Ask a peer (default: the default peer) or every peer (--all) how it is.\n\nExample: fazt remote status --all --timeout 5s"
  )
)

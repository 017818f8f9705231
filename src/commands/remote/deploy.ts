import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as path from "node:path"
import { InvalidInput, InvalidPeerName, NoPeers } from "../../domain/errors.js"
import type { Peer } from "../../domain/Peer.js"
import { siteNameFor } from "../../domain/siteName.js"
import type { ScanOptions, SiteListing } from "../../domain/SiteListing.js"
import { type DeployProgress, nothingToDeploy, type PeerDeployResult, refusedName } from "../../services/client/deployFolder.js"
import { PeerClient, type PeerClientError } from "../../services/client/PeerClient.js"
import { PeerStore } from "../../services/client/PeerStore.js"
import { SiteArchive } from "../../services/client/SiteArchive.js"
import { parseCompression } from "../../services/zip/compression.js"
import { type BuildOutcome, type BuildPlan, SiteBuild } from "../../services/client/SiteBuild.js"
import { errorCode, exitCodes } from "../failure.js"
import { GlobalFlags } from "../globals.js"
import { emit, escapeControl, formatBytes, formatCountOf, jsonLine, notice, table, warn } from "../output.js"
import { liveLine, trackUpload, type UploadProgress, uploadLabel, whileWaiting } from "../progress.js"
import { optionalPeerName } from "./args.js"
import { resolveDeployTarget } from "./deployTarget.js"
import { selectPeer } from "./select.js"

/** The site name fazt's client would use: `--name`, else the folder's own name; the peer's domain stripped as fazt's node strips it. */
const siteNameOn = (peerUrl: string, dir: string, name: Option.Option<string>) =>
  Effect.gen(function* () {
    const typed = Option.getOrElse(name, () => path.basename(path.resolve(dir)))
    const { problem, site } = siteNameFor(typed, peerUrl)
    if (problem !== undefined) {
      const hint = Option.isNone(name) ? " (taken from the folder's name; choose another with --name)" : ""
      // The library's own error (INVALID_PEER_NAME, details value/reason/kind), not a bare INVALID_INPUT.
      return yield* new InvalidPeerName({ value: typed, reason: `${problem}${hint}`, kind: "site" })
    }
    return site
  })

const refusedCount = (listing: SiteListing) => listing.refused?.length ?? 0

/** One line for the private-looking files the scan left out, naming a few. */
const reportLeftOut = (listing: SiteListing) => {
  const left = listing.leftOut ?? []
  if (left.length === 0) return Effect.void
  const named = left.slice(0, 3).join(", ") + (left.length > 3 ? ", …" : "")
  return warn(`left out ${formatCountOf(left.length, "file")} whose names look private (${named}); --include-sensitive ships them`)
}

/** Ctrl-C during a deploy: what became of it. A node drops an upload cut short; once it was all sent, the node may finish it. */
const interruptedDeploy = (site: string, peer: string, phase: UploadProgress["phase"]) =>
  phase === "scanning" || phase === "uploading"
    ? `interrupted: the upload was cut short, so nothing was deployed to ${peer} (${site} is as it was)`
    : `interrupted after the upload: ${peer} may still deploy ${site}; see 'fazt remote apps ${peer}'`

/** The build, as `--json` shows it (docs/JSON.md). */
const buildJson = (plan: BuildPlan, outcome: BuildOutcome | undefined) => ({
  method: plan.method,
  package_manager: plan.packageManager,
  lock_file: plan.lockFile,
  install: plan.install,
  command: plan.method === "build" ? `${plan.packageManager} run build` : null,
  output: outcome?.output ?? plan.output,
  ms: outcome?.ms ?? null
})

/** The one line that says what was built and what ships. */
const builtLine = (outcome: BuildOutcome, fileCount: number) => {
  const plan = outcome.plan
  const seconds = `${(outcome.ms / 1000).toFixed(1)} s`
  return plan.method === "build"
    ? `built with ${plan.packageManager}${plan.lockFile ? ` (${plan.lockFile})` : ""}${outcome.installed ? `, after ${plan.packageManager} install` : ""} in ${seconds}: deploying ${outcome.output}/ (${formatCountOf(fileCount, "file")})`
    : `deploying the earlier build in ${outcome.output}/ (${formatCountOf(fileCount, "file")})`
}

/**
 * Runs the build. Its output goes to stderr: on a terminal, the live line
 * shows its last line and the whole output is printed only if it fails;
 * elsewhere each line as it comes (a JSON line under --json).
 */
const runBuild = (plan: BuildPlan, site: string, spa: boolean) =>
  Effect.gen(function* () {
    const builder = yield* SiteBuild
    const flags = yield* GlobalFlags
    if (plan.method === "skipped" && plan.script !== null) yield* notice("not building (--no-build): deploying the folder as it is")
    for (const note of plan.notes) yield* warn(note)
    if (plan.method !== "build") return yield* builder.run(plan)
    const live = liveLine.enabled && !flags.json
    const kept: Array<string> = []
    let last = ""
    let step = ""
    const onLine = (line: string) => {
      if (live) {
        kept.push(line)
        if (kept.length > 5000) kept.shift()
        if (line.trim() !== "") last = line
      } else {
        liveLine.print(2, `${flags.json ? jsonLine({ build_output: line }) : escapeControl(line)}\n`)
      }
    }
    return yield* whileWaiting(
      () => escapeControl(`Building ${site}: ${step}${last === "" ? "" : ` · ${last}`}`),
      builder.run(plan, { onLine, onStep: (command) => (step = command), spa })
    ).pipe(
      Effect.tapError(() =>
        Effect.sync(() => {
          if (live && kept.length > 0) liveLine.print(2, kept.map((l) => `${escapeControl(l)}\n`).join(""))
        })
      )
    )
  })

/** The source folder's `.faztignore`, applied to a build output inside it. */
const sourceRulesFor = (outcome: BuildOutcome) => {
  if (outcome.output === null) return undefined
  try {
    return { text: fs.readFileSync(path.join(outcome.plan.folder, ".faztignore"), "utf8"), prefix: outcome.output }
  } catch {
    return undefined
  }
}

const privateWarning = "private/ is gitignored and was left out; --include-private ships it"

/** `--to a,b,c`: the names, in order, each once. */
const namesIn = (list: string): Array<string> => [...new Set(list.split(",").map((n) => n.trim()).filter((n) => n !== ""))]

const formatMs = (ms: number) => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`)

/** The live line of a deploy to many peers: each peer's share sent, or done/failed. */
const fleetLabel = (site: string, order: ReadonlyArray<Peer>, states: Map<string, DeployProgress | "done" | "failed">) => () => {
  const parts = order.map((p) => {
    const s = states.get(p.name)
    if (s === "done" || s === "failed") return `${p.name} ${s}`
    if (s === undefined || s.phase === "scanning") return `${p.name} …`
    if (s.phase === "processing") return `${p.name} unpacking`
    const total = s.totalBytes ?? 0
    return `${p.name} ${total > 0 ? Math.floor((100 * s.sentBytes) / total) : 0}%`
  })
  return `Deploying ${site} to ${formatCountOf(order.length, "peer")}: ${parts.join(" · ")}`
}

type FleetRow = {
  readonly peer: string
  readonly site: string | null
  readonly url: string | null
  readonly file_count: number | null
  readonly size_bytes: number | null
  readonly message: string | null
  readonly ms: number
  readonly error: { readonly code: string; readonly message: string } | null
}

const fleetRow = (r: PeerDeployResult<PeerClientError>): FleetRow =>
  Either.match(r.result, {
    onRight: (d) => ({ peer: r.peer.name, site: d.site, url: d.url, file_count: d.file_count, size_bytes: d.size_bytes, message: d.message ?? null, ms: r.ms, error: null }),
    onLeft: (e) => ({
      peer: r.peer.name,
      site: null,
      url: null,
      file_count: null,
      size_bytes: null,
      message: null,
      ms: r.ms,
      error: { code: errorCode(e._tag), message: e.message }
    })
  })

const renderFleet = (rows: ReadonlyArray<FleetRow>) =>
  table(
    ["PEER", "SITE URL", "FILES", "TIME", "RESULT"],
    rows.map((r) => [r.peer, r.url ?? (r.site ?? "-"), r.file_count === null ? "-" : String(r.file_count), formatMs(r.ms), r.error === null ? "deployed" : r.error.message])
  )

/**
 * `--compression store|fast|best|0-9`: how hard to deflate. The default,
 * level 3, was chosen by measurement (compression.ts, docs/PERFORMANCE.md).
 */
const compressionOption = Options.text("compression").pipe(
  Options.withDescription("How hard to compress: store, fast (level 1), best (9) or a level 0-9; default 3"),
  Options.withDefault("3"),
  Options.mapEffect((text) => {
    const c = parseCompression(text)
    return c === undefined
      ? Effect.fail(ValidationError.invalidValue(HelpDoc.p(`--compression is store, fast, best or a level 0-9, not '${text}'`)))
      : Effect.succeed(c)
  })
)

export const deploy = Command.make(
  "deploy",
  {
    dir: Args.text({ name: "dir" }).pipe(Args.withDescription("The folder to deploy")),
    peer: optionalPeerName,
    name: Options.text("name").pipe(Options.withDescription("Site name (default: the folder's name)"), Options.optional),
    spa: Options.boolean("spa").pipe(Options.withDescription("Serve index.html for unknown paths (also set by manifest.json's \"spa\": true)")),
    dryRun: Options.boolean("dry-run").pipe(Options.withDescription("Say what would be built and list what would ship; build nothing, send nothing")),
    // fazt v0.29's `app deploy --no-build` (cmd/server/app.go).
    noBuild: Options.boolean("no-build").pipe(Options.withDescription("Deploy the folder as it is, without running its package.json build script")),
    includePrivate: Options.boolean("include-private").pipe(Options.withDescription("Also ship a .gitignore'd private/ folder (as fazt's --include-private)")),
    includeSensitive: Options.boolean("include-sensitive").pipe(
      Options.withDescription("Also ship private-looking names: id_rsa, *.key, *.pem, credentials.json, *.sql, *~, …")
    ),
    compression: compressionOption,
    to: Options.text("to").pipe(Options.withDescription("Deploy to these peers at once: --to a,b,c"), Options.optional),
    all: Options.boolean("all").pipe(Options.withDescription("Deploy to every peer at once"))
  },
  (args) =>
    Effect.gen(function* () {
      const resolved = yield* resolveDeployTarget(args.dir, args.peer)
      args = { ...args, dir: resolved.dir, peer: resolved.peer }
      const many = Option.isSome(args.to) || args.all
      if (many && Option.isSome(args.peer)) {
        return yield* new InvalidInput({ message: `name the peers either as one <peer> or with --to/--all, not both (got '${args.peer.value}')` })
      }
      if (Option.isSome(args.to) && args.all) return yield* new InvalidInput({ message: "--to and --all cannot be combined" })
      const store = yield* PeerStore
      let peers: ReadonlyArray<Peer>
      if (Option.isSome(args.to)) {
        const names = namesIn(args.to.value)
        if (names.length === 0) return yield* new InvalidInput({ message: "--to names no peer (give --to a,b,c)" })
        peers = yield* Effect.forEach(names, (n) => store.get(n))
      } else if (args.all) {
        peers = yield* store.list
        if (peers.length === 0) return yield* new NoPeers()
      } else {
        peers = [yield* selectPeer(args.peer)]
      }
      // The name is checked against every peer before anything is built or sent.
      const sites = yield* Effect.forEach(peers, (p) => siteNameOn(p.url, args.dir, args.name))
      const site = sites[0]!
      const typedName = Option.getOrElse(args.name, () => path.basename(path.resolve(args.dir)))
      const builder = yield* SiteBuild
      const plan = yield* builder.plan(args.dir, { noBuild: args.noBuild })
      const target = peers.length === 1 ? `'${peers[0]!.name}'` : formatCountOf(peers.length, "peer")

      const scanOptions: ScanOptions = { includeSensitive: args.includeSensitive, includePrivate: args.includePrivate }
      const archive = yield* SiteArchive

      if (args.dryRun) {
        const shipped = plan.method === "existing" ? path.join(plan.folder, plan.output!) : plan.method === "build" ? undefined : plan.folder
        const listing = shipped === undefined ? undefined : yield* archive.scan(shipped, scanOptions)
        const refused = listing === undefined ? undefined : refusedName(listing)
        if (listing !== undefined && listing.files.length === 0 && refused === undefined) return yield* nothingToDeploy(args.dir)
        const spa = args.spa || (listing?.spa ?? false)
        const files = listing?.files ?? []
        if (listing !== undefined) yield* reportLeftOut(listing)
        yield* emit(
          {
            site,
            peer: peers.length === 1 ? peers[0]!.name : null,
            peers: peers.map((p) => p.name),
            spa,
            build: buildJson(plan, undefined),
            file_count: listing === undefined ? null : files.length,
            size_bytes: listing?.totalBytes ?? null,
            files: files.map((f) => ({ path: f.path, size: f.size })),
            left_out: [...(listing?.leftOut ?? [])],
            refused: [...(listing?.refused ?? [])]
          },
          (d) =>
            [
              ...d.files.map((f) => `${escapeControl(f.path)}\t${f.size}`),
              ...d.refused.map((f) => `${escapeControl(f.path)}\trefused: ${f.reason}`)
            ].join("\n") || null
        )
        if (plan.method === "build") {
          return yield* notice((
            `would run ${plan.install ? `${plan.packageManager} install, then ` : ""}${plan.packageManager} run build${plan.lockFile ? ` (${plan.lockFile})` : ""}, then deploy the first of dist/, build/, out/, .output/ holding an index.html or manifest.json as '${site}' to ${target}; nothing was built or sent`
          ))
        }
        if (listing !== undefined && refused !== undefined) {
          yield* warn(`${formatCountOf(refusedCount(listing), "name")} a node refuses (listed above): the deploy would stop before sending anything`)
        }
        if (listing?.privateLeftOut === true) yield* warn(privateWarning)
        const from = plan.method === "existing" ? ` from the earlier build in ${plan.output}/` : ""
        // The summary is prose: silent under --json, whose stderr carries only JSON lines (the data has it all).
        return yield* notice(
          `${formatCountOf(files.length, "file")}, ${formatBytes(listing?.totalBytes ?? 0)}${from} would be deployed as '${site}' to ${target}${spa ? " (SPA)" : ""}; nothing was sent`
        )
      }

      const outcome = yield* runBuild(plan, site, args.spa)
      const sourceRules = sourceRulesFor(outcome)
      const client = yield* PeerClient
      const flags = yield* GlobalFlags
      const build = plan.method === "source" ? null : buildJson(plan, outcome)

      if (!many) {
        const peer = peers[0]!
        const progress: UploadProgress = { phase: "scanning", sent: 0, folderBytes: 0 }
        const listing = yield* whileWaiting(uploadLabel(site, peer.name, progress), archive.scan(outcome.deployFolder, { ...scanOptions, sourceRules }))
        yield* reportLeftOut(listing)
        const result = yield* whileWaiting(
          uploadLabel(site, peer.name, progress),
          client.deployFolder(peer, outcome.deployFolder, {
            name: site,
            spa: args.spa ? true : undefined,
            listing,
            onProgress: trackUpload(progress),
            compression: args.compression
          })
        ).pipe(Effect.onInterrupt(() => warn(interruptedDeploy(site, peer.name, progress.phase))))
        if (result.privateLeftOut) yield* warn(privateWarning)
        if (outcome.output !== null) yield* notice(builtLine(outcome, result.file_count))
        const { file_count, message, size_bytes, url } = result
        return yield* emit({ site: result.site, file_count, size_bytes, message, peer: peer.name, url, build }, (r) =>
          escapeControl(`Deployed ${r.site} to ${r.peer}: ${formatCountOf(r.file_count, "file")}, ${formatBytes(r.size_bytes)}`) +
          (r.url === null ? "" : `\n${escapeControl(r.url)}`))
      }

      // Many peers: one scan, one zip, the uploads at once; a table of results.
      const states = new Map<string, DeployProgress | "done" | "failed">()
      const finished: Array<string> = []
      const listing = yield* whileWaiting(fleetLabel(site, peers, states), archive.scan(outcome.deployFolder, { ...scanOptions, sourceRules }))
      yield* reportLeftOut(listing)
      const deployed = yield* whileWaiting(
        fleetLabel(site, peers, states),
        client.deployFolderTo(peers, outcome.deployFolder, {
          name: typedName,
          spa: args.spa ? true : undefined,
          listing,
          compression: args.compression,
          onProgress: (peer, p) => states.set(peer.name, p),
          onResult: (r) => {
            states.set(r.peer.name, Either.isRight(r.result) ? "done" : "failed")
            finished.push(r.peer.name)
          }
        })
      ).pipe(
        Effect.onInterrupt(() =>
          Effect.sync(() => {
            const stopped = peers.map((p) => p.name).filter((n) => !finished.includes(n))
            liveLine.print(
              2,
              flags.json
                ? `${jsonLine({ interrupted: { finished, stopped } })}\n`
                : `${escapeControl(`interrupted: ${finished.length > 0 ? `finished on ${finished.join(", ")}` : "finished on no peer"}; stopped on ${stopped.join(", ") || "none"}`)}\n`
            )
          })
        )
      )
      if (deployed.privateLeftOut) yield* warn(privateWarning)
      if (outcome.output !== null) yield* notice(builtLine(outcome, deployed.file_count))
      const rows = deployed.results.map(fleetRow)
      yield* emit(
        { site, build, file_count: deployed.file_count, size_bytes: deployed.size_bytes, zip_bytes: deployed.zip_bytes, peers: rows },
        (d) => renderFleet(d.peers)
      )
      const failed = deployed.results.flatMap((r) => (Either.isLeft(r.result) ? [r.result.left] : []))
      if (failed.length === 0) return
      // The rule of `status --all` (README "Output and exit codes"): the lowest code among the failures.
      const reported = failed.reduce((a, b) => (exitCodes[b._tag] < exitCodes[a._tag] ? b : a))
      if (!flags.json) for (const e of failed) if (e !== reported) yield* Console.error(`error: ${escapeControl(e.message)}`)
      return yield* Effect.fail(reported)
    })
).pipe(
  Command.withDescription(
    "Deploy a folder to a peer or many, built first as fazt does.\n\nA package.json build script runs first (npm, pnpm, yarn or bun) and its output\nfolder ships; --no-build ships the folder as it is. The folder is zipped as\nfazt's own client zips it. --to a,b,c or --all deploy to many peers at once.\n\nExample: fazt remote deploy ./my-site zyt --dry-run"
  )
)

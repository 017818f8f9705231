import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as path from "node:path"
import { InvalidPeerName } from "../../domain/errors.js"
import { siteNameFor } from "../../domain/siteName.js"
import type { SiteListing } from "../../domain/SiteListing.js"
import { nothingToDeploy, refusedName } from "../../services/client/deployFolder.js"
import { PeerClient } from "../../services/client/PeerClient.js"
import { SiteArchive } from "../../services/client/SiteArchive.js"
import { emit, escapeControl, formatBytes, formatCountOf, notice, warn } from "../output.js"
import { trackUpload, type UploadProgress, uploadLabel, whileWaiting } from "../progress.js"
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

export const deploy = Command.make(
  "deploy",
  {
    dir: Args.text({ name: "dir" }).pipe(Args.withDescription("The folder to deploy")),
    peer: optionalPeerName,
    name: Options.text("name").pipe(Options.withDescription("Site name (default: the folder's name)"), Options.optional),
    spa: Options.boolean("spa").pipe(Options.withDescription("Serve index.html for unknown paths (also set by manifest.json's \"spa\": true)")),
    dryRun: Options.boolean("dry-run").pipe(Options.withDescription("List what would ship, send nothing")),
    // fazt v0.29's `app deploy --no-build`; fazt remote ships the folder as it is in any case.
    noBuild: Options.boolean("no-build").pipe(Options.withDescription("Deploy the folder as it is, without building (what fazt remote always does)")),
    includeSensitive: Options.boolean("include-sensitive").pipe(
      Options.withDescription("Also ship private-looking names: id_rsa, *.key, *.pem, credentials.json, *.sql, *~, …")
    )
  },
  (args) =>
    Effect.gen(function* () {
      const target = yield* resolveDeployTarget(args.dir, args.peer)
      args = { ...args, dir: target.dir, peer: target.peer }
      const peer = yield* selectPeer(args.peer)
      const site = yield* siteNameOn(peer.url, args.dir, args.name)
      const archive = yield* SiteArchive
      if (args.dryRun) {
        const listing = yield* archive.scan(args.dir, { includeSensitive: args.includeSensitive })
        const refused = refusedName(listing)
        if (listing.files.length === 0 && refused === undefined) return yield* nothingToDeploy(args.dir)
        const spa = args.spa || listing.spa
        yield* reportLeftOut(listing)
        yield* emit(
          {
            site, peer: peer.name, spa, file_count: listing.files.length, size_bytes: listing.totalBytes,
            files: listing.files.map((f) => ({ path: f.path, size: f.size })),
            left_out: [...(listing.leftOut ?? [])],
            refused: [...(listing.refused ?? [])]
          },
          (d) => [
            ...d.files.map((f) => `${escapeControl(f.path)}\t${f.size}`),
            ...d.refused.map((f) => `${escapeControl(f.path)}\trefused: ${f.reason}`)
          ].join("\n")
        )
        if (refused !== undefined) {
          yield* warn(`${formatCountOf(refusedCount(listing), "name")} a node refuses (listed above): the deploy would stop before sending anything`)
        }
        // The summary is prose: silent under --json, whose stderr carries only JSON lines (the data has it all).
        return yield* notice(
          `${formatCountOf(listing.files.length, "file")}, ${formatBytes(listing.totalBytes)} would be deployed as '${site}' to '${peer.name}'${spa ? " (SPA)" : ""}; nothing was sent`
        )
      }
      const client = yield* PeerClient
      const progress: UploadProgress = { phase: "scanning", sent: 0, folderBytes: 0 }
      const listing = yield* whileWaiting(
        uploadLabel(site, peer.name, progress),
        archive.scan(args.dir, { includeSensitive: args.includeSensitive })
      )
      yield* reportLeftOut(listing)
      const result = yield* whileWaiting(
        uploadLabel(site, peer.name, progress),
        client.deployFolder(peer, args.dir, { name: site, spa: args.spa ? true : undefined, listing, onProgress: trackUpload(progress) })
      ).pipe(Effect.onInterrupt(() => warn(interruptedDeploy(site, peer.name, progress.phase))))
      const { file_count, message, size_bytes, url } = result
      yield* emit({ site: result.site, file_count, size_bytes, message, peer: peer.name, url }, (r) =>
        escapeControl(`Deployed ${r.site} to ${r.peer}: ${formatCountOf(r.file_count, "file")}, ${formatBytes(r.size_bytes)}`) +
        (r.url === null ? "" : `\n${escapeControl(r.url)}`))
    })
).pipe(
  Command.withDescription(
    "Zip a folder (as fazt's own client does) and deploy it to a peer.\n\nExample: fazt remote deploy ./my-site zyt --dry-run"
  )
)

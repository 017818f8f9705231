import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as path from "node:path"
import { type ArchiveError, InvalidFolder, InvalidPeerName, UnzippableFile } from "../../domain/errors.js"
import type { SiteListing } from "../../domain/SiteListing.js"
import { siteNameFor } from "../../domain/siteName.js"
import type { Peer } from "../../domain/Peer.js"
import { siteUrl } from "../../domain/SiteUrl.js"
import type { DeployResult } from "../../domain/wire.js"
import type { SiteArchive } from "./SiteArchive.js"
import type { ZipOptions } from "../zip/zipWriter.js"

/**
 * Where a folder deploy stands. `sentBytes` counts the zip's bytes handed to
 * the connection; a retry starts the upload over from 0. `totalBytes` is the
 * zip's size, known once the last byte is out (the zip is written while it
 * is sent, so its size is not known before).
 */
export interface DeployProgress {
  /**
   * `scanning` the folder; `uploading` the zip (many times, once per chunk);
   * `processing`: every byte sent, the node is unpacking; `done`: it answered.
   */
  readonly phase: "scanning" | "uploading" | "processing" | "done"
  readonly sentBytes: number
  readonly totalBytes?: number
  /** The folder's files before compression, known once it is scanned. */
  readonly folderBytes?: number
}

export interface DeployFolderOptions {
  /** The site name; default the folder's own name (as fazt's client does). */
  readonly name?: string | undefined
  /** Serve index.html for unknown paths; default: `manifest.json`'s `"spa": true`. */
  readonly spa?: boolean | undefined
  /** Ship private-looking names too (`id_rsa`, `*.pem`, `credentials.json`, `*.sql`, `*~`, …); see `SENSITIVE_NAMES`. */
  readonly includeSensitive?: boolean | undefined
  /** The folder as already scanned (by `SiteArchive.scan` of the same `dir`), so it is not read twice. */
  readonly listing?: SiteListing | undefined
  /** Called synchronously as the deploy moves on; keep it cheap. If it throws, that is logged and ignored. */
  readonly onProgress?: ((progress: DeployProgress) => void) | undefined
}

/** The node's answer, plus where the site is served when that can be known. */
export interface DeployedFolder extends DeployResult {
  /** `https://<site>.<domain>/` for `admin.<domain>`, `http://<site>.localhost:<port>/` for a local node, else null. */
  readonly url: string | null
  readonly spa: boolean
}

/**
 * The site name for a folder: `name`, else the folder's base name; a name
 * ending in the peer's own domain (`blog.zyt.app`) loses it, as fazt's deploy
 * handler strips it (see `siteNameFor`).
 */
export const siteNameOf = (dir: string, name: string | undefined, peerUrl: string): Effect.Effect<string, InvalidPeerName> => {
  const typed = name ?? path.basename(path.resolve(dir))
  const { problem, site } = siteNameFor(typed, peerUrl)
  return problem === undefined ? Effect.succeed(site) : Effect.fail(new InvalidPeerName({ value: typed, reason: problem, kind: "site" }))
}

export const nothingToDeploy = (dir: string) => new InvalidFolder({ folder: dir, problem: "empty" })

/** The first name of `listing` a node would refuse, as the failure that stops the deploy before anything is sent. */
export const refusedName = (listing: SiteListing): UnzippableFile | undefined => {
  const first = listing.refused?.[0]
  if (first === undefined) return undefined
  const more = listing.refused!.length - 1
  return new UnzippableFile({
    file: first.path,
    problem: "refused-name",
    reason: `${first.reason}; rename it or list it in .faztignore${more > 0 ? ` (and ${more} more: --dry-run lists them)` : ""}`
  })
}

/** Scan, zip and upload one folder, reporting progress; shared by the library and `fazt remote deploy`. */
export const deployFolderWith = <E>(
  archive: SiteArchive.Service,
  upload: (peer: Peer, upload: { site: string; spa: boolean; archive: () => Stream.Stream<Uint8Array, ArchiveError> }) => Effect.Effect<DeployResult, E>,
  zipOptions: ZipOptions = {}
) =>
(peer: Peer, dir: string, options: DeployFolderOptions = {}): Effect.Effect<DeployedFolder, E | InvalidFolder | InvalidPeerName | UnzippableFile> =>
  Effect.gen(function* () {
    const onProgress = options.onProgress
    // A host's callback that throws must not pass for a network failure
    // mid-upload: it is logged, and the deploy goes on.
    const report = (progress: DeployProgress): Effect.Effect<void> =>
      onProgress === undefined ? Effect.void : Effect.try(() => onProgress(progress)).pipe(
        Effect.catchAll((e) => Effect.logWarning(`deployFolder: onProgress threw (${String(e.error)}); ignored`))
      )
    const site = yield* siteNameOf(dir, options.name, peer.url)
    yield* report({ phase: "scanning", sentBytes: 0 })
    const listing = options.listing ?? (yield* archive.scan(dir, { includeSensitive: options.includeSensitive }))
    const refused = refusedName(listing)
    if (refused !== undefined) return yield* refused
    if (listing.files.length === 0) {
      return yield* nothingToDeploy(dir)
    }
    const spa = options.spa ?? listing.spa
    const folderBytes = listing.totalBytes
    let zipBytes = 0
    // Each attempt (a retry re-sends the whole zip) counts from 0 again.
    const counted = () =>
      Stream.suspend(() => {
        let sentBytes = 0
        return Stream.fromEffect(report({ phase: "uploading", sentBytes: 0, folderBytes })).pipe(
          Stream.drain,
          Stream.concat(archive.zip(listing, zipOptions)),
          Stream.tap((chunk) =>
            Effect.suspend(() => {
              sentBytes += chunk.length
              return report({ phase: "uploading", sentBytes, folderBytes })
            })
          ),
          Stream.onEnd(Effect.suspend(() => {
            zipBytes = sentBytes
            return report({ phase: "processing", sentBytes, totalBytes: sentBytes, folderBytes })
          }))
        )
      })
    const result = yield* upload(peer, { site, spa, archive: onProgress ? counted : () => archive.zip(listing, zipOptions) })
    yield* report({ phase: "done", sentBytes: zipBytes, totalBytes: zipBytes, folderBytes })
    return { ...result, spa, url: siteUrl(peer.url, result.site) }
  })

import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { type ArchiveError, DatabaseError, InvalidFolder, InvalidPeerName, UnzippableFile } from "../../domain/errors.js"
import type { ScanOptions, SiteListing } from "../../domain/SiteListing.js"
import { siteNameFor } from "../../domain/siteName.js"
import type { Peer } from "../../domain/Peer.js"
import { siteUrl } from "../../domain/SiteUrl.js"
import type { DeployResult } from "../../domain/wire.js"
import type { SiteArchive } from "./SiteArchive.js"
import type { Compression } from "../zip/compression.js"
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
  /** Ship a `.gitignore`d `private/` folder too (fazt's `--include-private`). */
  readonly includePrivate?: boolean | undefined
  /** When `dir` is a build output: the source folder's `.faztignore`, applied to it (see `ScanOptions.sourceRules`). */
  readonly sourceRules?: ScanOptions["sourceRules"]
  /** The folder as already scanned (by `SiteArchive.scan` of the same `dir`), so it is not read twice. */
  readonly listing?: SiteListing | undefined
  /** Called synchronously as the deploy moves on; keep it cheap. If it throws, that is logged and ignored. */
  readonly onProgress?: ((progress: DeployProgress) => void) | undefined
  /** How hard to deflate: `store`, `fast` (the default), `best`, or a zlib level 0–9 (docs/PERFORMANCE.md). */
  readonly compression?: Compression | undefined
}

/** `deployFolderTo`'s options: one site name typed for all (each peer strips its own domain), progress per peer. */
export interface DeployFolderToOptions extends Omit<DeployFolderOptions, "onProgress"> {
  /** Called synchronously as each peer's deploy moves on (`scanning` and `zipping` are said once for all, with the first peer). */
  readonly onProgress?: ((peer: Peer, progress: DeployProgress) => void) | undefined
  /** Called as each peer's deploy ends, in the order they end (a Ctrl-C can then say which finished). */
  readonly onResult?: ((result: PeerDeployResult<unknown>) => void) | undefined
  /** Uploads at once; default 128, as `status --all`. */
  readonly concurrency?: number | undefined
}

/** One peer's outcome of `deployFolderTo`: what it serves, or why not; `ms` from the start of its upload. */
export interface PeerDeployResult<E> {
  readonly peer: Peer
  readonly result: Either.Either<DeployedFolder, E | InvalidPeerName>
  readonly ms: number
}

/** The folder as shipped to every peer: scanned and zipped once. */
export interface FolderDeployedTo<E> {
  readonly file_count: number
  /** The files' bytes before compression. */
  readonly size_bytes: number
  /** The zip's bytes, sent to each peer. */
  readonly zip_bytes: number
  /** A `.gitignore`d `private/` was left out. */
  readonly privateLeftOut: boolean
  readonly results: ReadonlyArray<PeerDeployResult<E>>
}

/** Peers deployed to at once: the bound of `status --all`. */
export const FLEET_CONCURRENCY = 128

/** The node's answer, plus where the site is served when that can be known. */
export interface DeployedFolder extends DeployResult {
  /** `https://<site>.<domain>/` for `admin.<domain>`, `http://<site>.localhost:<port>/` for a local node, else null. */
  readonly url: string | null
  readonly spa: boolean
  /** A `.gitignore`d `private/` was left out (`includePrivate` ships it). */
  readonly privateLeftOut: boolean
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

/** What the scan of a deploy is asked to ship. */
const scanOptionsOf = (options: DeployFolderOptions | DeployFolderToOptions): ScanOptions => ({
  includeSensitive: options.includeSensitive,
  includePrivate: options.includePrivate,
  sourceRules: options.sourceRules
})

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
  baseZipOptions: ZipOptions = {}
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
    const listing = options.listing ?? (yield* archive.scan(dir, scanOptionsOf(options)))
    const refused = refusedName(listing)
    if (refused !== undefined) return yield* refused
    if (listing.files.length === 0) {
      return yield* nothingToDeploy(dir)
    }
    const spa = options.spa ?? listing.spa
    const zipOptions = options.compression === undefined ? baseZipOptions : { ...baseZipOptions, compression: options.compression }
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
    return { ...result, spa, url: siteUrl(peer.url, result.site), privateLeftOut: listing.privateLeftOut === true }
  })

const CHUNK = 1024 * 1024
const RING = 4

/**
 * The temporary zip read back for one upload; each run reads it afresh (a
 * retry re-sends it whole). With `reuseBuffers` (a transport that writes each
 * chunk out before it pulls the next) the reads go into a small ring of
 * buffers: ten uploads of a 20 MB zip otherwise allocate 200 MB for the
 * garbage collector.
 */
const readZip = (file: string, reuseBuffers: boolean): Stream.Stream<Uint8Array, ArchiveError> =>
  Stream.unwrapScoped(Effect.gen(function* () {
    const unreadable = (e: unknown) =>
      new UnzippableFile({ file: "(the temporary zip)", problem: "unreadable", reason: e instanceof Error ? e.message : String(e) })
    const fd = yield* Effect.acquireRelease(
      Effect.try({ try: () => fs.openSync(file, "r"), catch: unreadable }),
      (fd) => Effect.sync(() => fs.closeSync(fd))
    )
    const ring: Array<Buffer> = []
    let turn = 0
    let position = 0
    const next = Effect.async<Uint8Array, Option.Option<ArchiveError>>((resume) => {
      const buffer = reuseBuffers ? (ring[turn++ % RING] ??= Buffer.allocUnsafe(CHUNK)) : Buffer.allocUnsafe(CHUNK)
      fs.read(fd, buffer, 0, CHUNK, position, (e, n) => {
        if (e) return resume(Effect.fail(Option.some(unreadable(e))))
        if (n === 0) return resume(Effect.fail(Option.none()))
        position += n
        resume(Effect.succeed(buffer.subarray(0, n)))
      })
    })
    return Stream.repeatEffectOption(next)
  }))

/** Writes `listing`'s zip to a fresh temporary file (removed when the scope closes) and returns its path and size. */
const zipToTempFile = (archive: SiteArchive.Service, listing: SiteListing, zipOptions: ZipOptions) =>
  Effect.gen(function* () {
    const dir = yield* Effect.acquireRelease(
      Effect.try({
        try: () => fs.mkdtempSync(path.join(os.tmpdir(), "fazt-deploy-")),
        catch: (e) => new DatabaseError({ path: os.tmpdir(), reason: `cannot make a temporary folder for the zip: ${String(e)}` })
      }),
      (d) => Effect.sync(() => fs.rmSync(d, { recursive: true, force: true }))
    )
    const file = path.join(dir, "site.zip")
    const handle = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => fs.promises.open(file, "wx", 0o600),
        catch: (e) => new DatabaseError({ path: file, reason: `cannot create the temporary zip: ${String(e)}` })
      }),
      (h) => Effect.promise(() => h.close().catch(() => undefined))
    )
    let bytes = 0
    yield* Stream.runForEach(archive.zip(listing, zipOptions), (chunk) =>
      Effect.tryPromise({
        try: async () => {
          let at = 0
          while (at < chunk.length) at += (await handle.write(chunk, at, chunk.length - at)).bytesWritten
          bytes += chunk.length
        },
        catch: (e) => new DatabaseError({ path: file, reason: `cannot write the temporary zip: ${String(e)}` })
      }))
    return { file, bytes }
  })

/**
 * One folder to many peers: scanned and zipped once, into a temporary file
 * each upload reads (measured against teeing one zip stream to every upload:
 * README "Performance"), the uploads `concurrency` at a time. A peer that
 * fails does not stop the others: each gets its result or typed error. The
 * folder's own failures (missing, empty, a file unreadable) fail the whole,
 * before anything is sent.
 */
export const deployFolderToWith = <E>(
  archive: SiteArchive.Service,
  upload: (peer: Peer, upload: { site: string; spa: boolean; archive: () => Stream.Stream<Uint8Array, ArchiveError> }) => Effect.Effect<DeployResult, E>,
  zipOptions: ZipOptions = {}
) =>
(
  peers: ReadonlyArray<Peer>,
  dir: string,
  options: DeployFolderToOptions = {}
): Effect.Effect<FolderDeployedTo<E>, ArchiveError | DatabaseError> =>
  Effect.scoped(Effect.gen(function* () {
    const onProgress = options.onProgress
    const report = (peer: Peer, progress: DeployProgress): Effect.Effect<void> =>
      onProgress === undefined ? Effect.void : Effect.try(() => onProgress(peer, progress)).pipe(
        Effect.catchAll((e) => Effect.logWarning(`deployFolderTo: onProgress threw (${String(e.error)}); ignored`))
      )
    const each = (f: (peer: Peer) => Effect.Effect<void>) => Effect.forEach(peers, f, { discard: true })
    yield* each((peer) => report(peer, { phase: "scanning", sentBytes: 0 }))
    const listing = options.listing ?? (yield* archive.scan(dir, scanOptionsOf(options)))
    const refused = refusedName(listing)
    if (refused !== undefined) return yield* refused
    if (listing.files.length === 0) return yield* nothingToDeploy(dir)
    const folderBytes = listing.totalBytes
    const spa = options.spa ?? listing.spa
    // Each chunk is written out before the next is made: its buffers can be reused whatever the transport.
    const zip = yield* zipToTempFile(archive, listing, { ...zipOptions, reuseBuffers: true, compression: options.compression })
    const one = (peer: Peer): Effect.Effect<PeerDeployResult<E>> =>
      Effect.gen(function* () {
        const started = Date.now()
        const outcome = yield* Effect.either(Effect.gen(function* () {
          const site = yield* siteNameOf(dir, options.name, peer.url)
          const counted = () =>
            Stream.suspend(() => {
              let sentBytes = 0
              return Stream.fromEffect(report(peer, { phase: "uploading", sentBytes: 0, totalBytes: zip.bytes, folderBytes })).pipe(
                Stream.drain,
                Stream.concat(readZip(zip.file, zipOptions.reuseBuffers === true)),
                Stream.tap((chunk) => Effect.suspend(() => {
                  sentBytes += chunk.length
                  return report(peer, { phase: "uploading", sentBytes, totalBytes: zip.bytes, folderBytes })
                })),
                Stream.onEnd(report(peer, { phase: "processing", sentBytes: zip.bytes, totalBytes: zip.bytes, folderBytes }))
              )
            })
          const result = yield* upload(peer, { site, spa, archive: counted })
          yield* report(peer, { phase: "done", sentBytes: zip.bytes, totalBytes: zip.bytes, folderBytes })
          return { ...result, spa, url: siteUrl(peer.url, result.site), privateLeftOut: listing.privateLeftOut === true } satisfies DeployedFolder
        }))
        const done: PeerDeployResult<E> = { peer, result: outcome, ms: Date.now() - started }
        if (options.onResult !== undefined) {
          yield* Effect.try(() => options.onResult!(done)).pipe(Effect.catchAll(() => Effect.void))
        }
        return done
      })
    const results = yield* Effect.forEach(peers, one, { concurrency: options.concurrency ?? FLEET_CONCURRENCY })
    return {
      file_count: listing.files.length,
      size_bytes: folderBytes,
      zip_bytes: zip.bytes,
      privateLeftOut: listing.privateLeftOut === true,
      results
    }
  }))

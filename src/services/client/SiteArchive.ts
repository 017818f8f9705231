import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import type { InvalidInput } from "../../domain/errors.js"
import type { SiteListing } from "../../domain/SiteListing.js"
import type { ZipOptions } from "../zip/zipWriter.js"

/**
 * A folder as fazt's own client ships it: paths relative to the folder,
 * without hidden files and folders, `node_modules`, `.git`, `.DS_Store`,
 * `*.log` and what the folder's `.gitignore` ignores; symlinks followed only
 * while they stay inside the folder; FIFOs, sockets and devices skipped.
 */
export declare namespace SiteArchive {
  export interface Service {
    readonly scan: (dir: string) => Effect.Effect<SiteListing, InvalidInput>
    /** A fresh zip stream of the listing each time it is run (so a retry re-reads the files); ZIP64 where needed. */
    readonly zip: (listing: SiteListing, options?: ZipOptions) => Stream.Stream<Uint8Array, InvalidInput>
  }
}

// The scanner and zip writer are loaded on first use, not when the layer is
// built: only a deploy pays for them.
const implementation = Effect.promise(() => import("./SiteArchiveZip.js")).pipe(Effect.map((m) => m.make))

export class SiteArchive extends Context.Tag("fazt/SiteArchive")<SiteArchive, SiteArchive.Service>() {
  static readonly layer: Layer.Layer<SiteArchive> = Layer.succeed(SiteArchive, {
    scan: (dir) => Effect.flatMap(implementation, (archive) => archive.scan(dir)),
    zip: (listing, options) => Stream.unwrap(Effect.map(implementation, (archive) => archive.zip(listing, options)))
  })
}

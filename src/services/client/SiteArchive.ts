import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import type { InvalidFolder, UnzippableFile } from "../../domain/errors.js"
import type { ScanOptions, SiteListing } from "../../domain/SiteListing.js"
import type { ZipOptions } from "../zip/zipWriter.js"

/**
 * A folder as fazt's own client ships it: paths relative to the folder,
 * without hidden files and folders, `node_modules`, `.git`, `.DS_Store`,
 * `*.log`, what the `.gitignore` and `.faztignore` files of the folder and its
 * subfolders ignore, and private-looking names (`SENSITIVE_NAMES`) unless asked;
 * `.well-known/` ships. Symlinks followed only
 * while they stay inside the folder; FIFOs, sockets and devices skipped.
 */
export declare namespace SiteArchive {
  export interface Service {
    readonly scan: (dir: string, options?: ScanOptions) => Effect.Effect<SiteListing, InvalidFolder>
    /** A fresh zip stream of the listing each time it is run (so a retry re-reads the files); ZIP64 where needed. */
    readonly zip: (listing: SiteListing, options?: ZipOptions) => Stream.Stream<Uint8Array, UnzippableFile>
  }
}

/**
 * This module holds only the Tag and its types: the scanner and zip writer
 * (`SiteArchiveZip.layer`) are loaded by the composition roots for the verbs
 * that ship a folder (`deploy`, `FaztRemote.siteArchive`), so nothing that
 * merely names the Tag pays for them.
 */
export class SiteArchive extends Context.Tag("fazt/SiteArchive")<SiteArchive, SiteArchive.Service>() {}

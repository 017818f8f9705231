/** A folder to deploy, as scanned: what the zip writer reads and the node receives. */
export interface SiteFileEntry {
  /** Relative to the folder, `/`-separated: the name inside the zip. */
  readonly path: string
  /** Where the bytes are read from (a symlink's target inside the folder). */
  readonly source: string
  readonly size: number
  /** Modification time, for the zip entry's date. */
  readonly mtimeMs: number
}

export interface SiteListing {
  readonly root: string
  readonly files: ReadonlyArray<SiteFileEntry>
  readonly totalBytes: number
  /** `manifest.json` says `"spa": true`. */
  readonly spa: boolean
}

/** A folder to deploy, as scanned: what the zip writer reads and the node receives. */
export interface SiteFileEntry {
  /** Relative to the folder, `/`-separated: the name inside the zip. */
  readonly path: string
  /** Where the bytes are read from (a symlink's target inside the folder). */
  readonly source: string
  readonly size: number
  /** Modification time, for the zip entry's date. */
  readonly mtimeMs: number
  /**
   * The device and inode the scan saw: the zip writer refuses a file it opens
   * that is not this one ("file changed as we read it"). A listing built by
   * hand may leave them out; type and size are still checked.
   */
  readonly dev?: number
  readonly ino?: number
}

export interface SiteListing {
  readonly root: string
  readonly files: ReadonlyArray<SiteFileEntry>
  readonly totalBytes: number
  /** `manifest.json` says `"spa": true`. */
  readonly spa: boolean
  /** Files left out because their names look private (keys, credentials, dumps, backups); see `ScanOptions.includeSensitive`. */
  readonly leftOut?: ReadonlyArray<string>
  /**
   * Files and folders whose names a node refuses (control characters,
   * backslashes, bytes that are not UTF-8): a deploy stops before sending
   * anything, naming the first.
   */
  readonly refused?: ReadonlyArray<{ readonly path: string; readonly reason: string }>
  /** A `.gitignore`d `private/` folder was left out (fazt ships it only with `--include-private`). */
  readonly privateLeftOut?: boolean
}

export interface ScanOptions {
  /** Ship private-looking names too (`id_rsa`, `*.key`, `*.pem`, `credentials.json`, `*.sql`, `*~`, …). */
  readonly includeSensitive?: boolean | undefined
  /** Ship a `.gitignore`d `private/` folder too (fazt's `--include-private`, cmd/server/main.go createDeployZipWithOptions). */
  readonly includePrivate?: boolean | undefined
  /**
   * When the folder is a build output inside `source`: the source folder's
   * `.faztignore` rules, which leave out a file when they match its path from
   * the source folder (`dist/stats.html`) or from the output (`stats.html`).
   */
  readonly sourceRules?: { readonly text: string; readonly prefix: string } | undefined
}

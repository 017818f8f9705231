// What `--compression` means; apart from the zip writer so the CLI can parse it without loading the writer.

/**
 * How hard to compress: `store` (no deflate), `fast` (level 1), `best`
 * (level 9), or a zlib level 0–9 (0 stores).
 */
export type Compression = "store" | "fast" | "best" | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9

/**
 * Level 3, chosen by measurement (docs/PERFORMANCE.md): on 2,855 real text
 * files (35.5 MB of JavaScript, JSON, CSS, Markdown) level 3 took 276 ms of
 * CPU for 8.28 MB, level 1 265 ms for 8.73 MB, level 6 (zip's and Go's
 * default) 541 ms for 7.54 MB. Level 3 is as cheap as 1 and 5% smaller;
 * against 6 it is faster on any link above ~22 Mbit/s and at most ~5% slower
 * on a 10 Mbit/s one.
 */
export const DEFAULT_COMPRESSION: Compression = 3

export const compressionLevel = (c: Compression | undefined): number =>
  c === undefined ? compressionLevel(DEFAULT_COMPRESSION) : c === "store" ? 0 : c === "fast" ? 1 : c === "best" ? 9 : c

/** `store`, `fast`, `best` or a digit 0–9, or undefined for anything else. */
export const parseCompression = (text: string): Compression | undefined =>
  text === "store" || text === "fast" || text === "best"
    ? text
    : /^[0-9]$/.test(text)
    ? (Number(text) as Compression)
    : undefined

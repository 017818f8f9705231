import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { GlobalFlags } from "./globals.js"
import { terminalColumns } from "./stdio.js"

/**
 * Data goes to stdout: `{"data": …}` with `--json`, else the human text.
 * Messages about what happened go to stderr, so pipes carry only data.
 */
export const emit = <A>(data: A, human: (data: A) => string | null) =>
  Effect.flatMap(GlobalFlags, (flags) => {
    if (flags.json) return Console.log(jsonLine({ data }))
    const text = human(data)
    return text === null ? Effect.void : Console.log(text)
  })

/** A message for the person at the terminal; silent under `--json`. */
export const notice = (message: string) =>
  Effect.flatMap(GlobalFlags, (flags) => (flags.json ? Effect.void : Console.error(escapeControl(message))))

/** A warning: always on stderr, since it is not data; one JSON line under `--json`. */
export const warn = (message: string) =>
  Effect.flatMap(GlobalFlags, (flags) =>
    Console.error(flags.json ? jsonLine({ warning: message }) : `warning: ${escapeControl(message)}`))

/** News a script may want too (the old config was imported): text, or one JSON line under `--json`. */
export const inform = (message: string) =>
  Effect.flatMap(GlobalFlags, (flags) => Console.error(flags.json ? jsonLine({ notice: message }) : escapeControl(message)))

// C0, DEL, C1 (U+009B is CSI on some terminals), line/paragraph separators and
// the bidirectional overrides that reorder what a reader sees.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g
const NAMED: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" }

/**
 * Text from a peer, a database or a file, made safe for a terminal: control
 * characters and escape sequences become visible `\x1b`-style escapes, so
 * nothing a peer sends can move the cursor, retitle the window or hide text.
 */
export const escapeControl = (text: string): string =>
  text.replace(CONTROL, (c) => {
    const named = NAMED[c]
    if (named !== undefined) return named
    const code = c.charCodeAt(0)
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`
  })

// JSON.stringify leaves DEL, C1 and U+2028/9 raw; as \u escapes they decode to
// the same value and never reach a terminal as bytes it acts on.
const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/** One line of JSON, faithful to the value, with nothing a terminal would interpret. */
export const jsonLine = (value: unknown): string =>
  JSON.stringify(value).replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)

/** Code points, not UTF-16 units, without building an array of them. */
const width = (text: string): number => {
  let n = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0xd800 || c > 0xdbff) n++
  }
  return n
}

/** The widest a table cell is printed, terminal or not (`--json` has every value whole). */
export const MAX_CELL = 120

/** `text` cut to `max` code points, the cut marked with …. */
const shorten = (text: string, max: number): string =>
  width(text) <= max ? text : `${[...text].slice(0, Math.max(0, max - 1)).join("")}…`

/**
 * A cell with nothing `escapeControl` would escape (no C0, DEL, C1, line
 * separator or direction override) and no surrogate (so one code point per
 * UTF-16 unit): kept as it is, as wide as it is long. Nearly every cell of a
 * listing is (a masked token's … too); only the others are escaped and
 * measured code point by code point.
 */
// eslint-disable-next-line no-control-regex
const PLAIN_CELL = /^[^\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]*$/

/** The cell as a table prints it before fitting: escaped, and cut to `MAX_CELL` (before escaping too, so a huge value is never copied whole). */
const tableCell = (cell: string): string =>
  cell.length <= MAX_CELL && PLAIN_CELL.test(cell) ? cell : shorten(escapeControl(cell.length > 4 * MAX_CELL ? cell.slice(0, 4 * MAX_CELL) : cell), MAX_CELL)

const PADS: Array<string> = [""]
/** `n` spaces (none when `n` is not above 0), each length made once. */
const spaces = (n: number): string => (n > 0 ? (PADS[n] ??= " ".repeat(n)) : "")

/**
 * Left-aligned columns, two spaces apart; the last column is not padded.
 * Cells are escaped here, at render time. Loops, not spreads: a table may have
 * hundreds of thousands of rows, more than a call's arguments can hold. On a
 * terminal the table fits its width: the widest columns (URLs, as a rule) are
 * shortened with …. Piped too, no cell is wider than `MAX_CELL` (a URL
 * another tool stored at 120 KiB would make a listing of megabytes): `--json`
 * has every value whole. Each cell is escaped and measured once (issue 26):
 * its width is kept, and a cell is cut to its column only when a column had to
 * shrink.
 */
export const table = (
  header: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string>>,
  maxWidth: number | undefined = terminalColumns(1)
): string => {
  const n = header.length
  const all: Array<ReadonlyArray<string>> = new Array(rows.length + 1)
  // The width of each of the first `n` cells of each row (a missing cell: 0).
  const cellWidths = new Int32Array((rows.length + 1) * n)
  const widths = header.map(() => 0)
  for (let k = 0; k <= rows.length; k++) {
    const raw = k === 0 ? header : rows[k - 1]!
    let r: ReadonlyArray<string> = raw
    for (let i = 0; i < raw.length; i++) {
      const cell = raw[i]!
      // A plain cell is kept as it is, and so is the row when all of its cells are.
      if (cell.length <= MAX_CELL && PLAIN_CELL.test(cell)) continue
      r = raw.map(tableCell)
      break
    }
    all[k] = r
    for (let i = 0; i < n; i++) {
      const cell = r[i] ?? ""
      const w = r === raw ? cell.length : width(cell)
      cellWidths[k * n + i] = w
      if (w > widths[i]!) widths[i] = w
    }
  }
  let shrunk = false
  if (maxWidth !== undefined && maxWidth > 0) {
    const floor = header.map((h) => Math.max(width(h), 8))
    let total = widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1)
    while (total > maxWidth) {
      let widest = -1
      for (let i = 0; i < widths.length; i++) {
        if (widths[i]! > floor[i]! && (widest < 0 || widths[i]! > widths[widest]!)) widest = i
      }
      if (widest < 0) break
      widths[widest]!--
      total--
      shrunk = true
    }
    // Narrower than the columns can shrink to (a 45-column pane): one record a
    // row, `FIELD  value` a line, as `kubectl describe` reads, instead of lines
    // that wrap and cells cut to `http://…`.
    if (total > maxWidth) return records(all, maxWidth)
  }
  const lines: Array<string> = new Array(all.length)
  for (let k = 0; k < all.length; k++) {
    const r = all[k]!
    let line = ""
    for (let i = 0; i < r.length; i++) {
      // No column shrank: each of the first `n` cells fits its column as it is.
      const fits = i < n && !shrunk
      const cell = fits ? r[i]! : shorten(r[i]!, widths[i]!)
      if (i > 0) line += "  "
      line += i === r.length - 1 ? cell : cell + spaces(widths[i]! - (fits ? cellWidths[k * n + i]! : width(cell)))
    }
    lines[k] = line.trimEnd()
  }
  return lines.join("\n")
}

const records = (all: ReadonlyArray<ReadonlyArray<string>>, maxWidth: number): string => {
  const [header = [], ...rows] = all
  const label = Math.max(...header.map(width))
  return rows.map((r) =>
    r.map((cell, i) => `${(header[i] ?? "").padEnd(label)}  ${shorten(cell, Math.max(8, maxWidth - label - 2))}`.trimEnd()).join("\n")
  ).join("\n\n")
}

/** A number from a peer for a person: `-` when absent, `?` when absurd (Infinity, negative). */
const formatCount = (n: number | null | undefined): string =>
  n === null || n === undefined ? "-" : Number.isFinite(n) && n >= 0 ? String(n) : "?"

/** "1 file", "4 files", "? files": a count with its noun, singular only for exactly one. */
export const formatCountOf = (n: number | null | undefined, noun: string): string =>
  `${formatCount(n)} ${n === 1 ? noun : `${noun}s`}`

/** `3m ago`, `2h ago`, `4d ago` from an ISO time; `-` when never. */
export const ago = (iso: string | null, now = Date.now()): string => {
  if (iso === null) return "-"
  const t = Date.parse(iso)
  if (Number.isNaN(t)) return escapeControl(iso)
  const s = Math.max(0, Math.round((now - t) / 1000))
  if (s < 60) return `${s}s ago`
  if (s < 3600) return `${Math.floor(s / 60)}m ago`
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`
  return `${Math.floor(s / 86400)}d ago`
}

/** `512 B`, `2.9 KB`, `21 MB`. */
export const formatBytes = (n: number | null | undefined): string => {
  if (n === null || n === undefined) return "-"
  if (!Number.isFinite(n) || n < 0) return "?"
  if (n < 1024) return `${n} B`
  const units = ["KB", "MB", "GB", "TB"]
  let value = n / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`
}

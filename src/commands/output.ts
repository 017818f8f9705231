import { Console, Effect } from "effect"
import { GlobalFlags } from "./globals.js"

/**
 * Data goes to stdout: `{"data": …}` with `--json`, else the human text.
 * Messages about what happened go to stderr, so pipes carry only data.
 */
export const emit = <A>(data: A, human: (data: A) => string | null) =>
  Effect.flatMap(GlobalFlags, (flags) => {
    if (flags.json) return Console.log(JSON.stringify({ data }))
    const text = human(data)
    return text === null ? Effect.void : Console.log(text)
  })

/** A message for the person at the terminal; silent under `--json`. */
export const notice = (message: string) =>
  Effect.flatMap(GlobalFlags, (flags) => (flags.json ? Effect.void : Console.error(message)))

/** A warning: always on stderr, since it is not data; one JSON line under `--json`. */
export const warn = (message: string) =>
  Effect.flatMap(GlobalFlags, (flags) =>
    Console.error(flags.json ? JSON.stringify({ warning: message }) : `warning: ${message}`))

/** News a script may want too (the old config was imported): text, or one JSON line under `--json`. */
export const inform = (message: string) =>
  Effect.flatMap(GlobalFlags, (flags) => Console.error(flags.json ? JSON.stringify({ notice: message }) : message))

/** Left-aligned columns, two spaces apart; the last column is not padded. */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const all = [header, ...rows]
  const widths = header.map((_, i) => Math.max(...all.map((r) => [...(r[i] ?? "")].length)))
  return all
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ").trimEnd())
    .join("\n")
}

/** `3m ago`, `2h ago`, `4d ago` from an ISO time; `-` when never. */
export const ago = (iso: string | null, now = Date.now()): string => {
  if (iso === null) return "-"
  const t = Date.parse(iso)
  if (Number.isNaN(t)) return iso
  const s = Math.max(0, Math.round((now - t) / 1000))
  if (s < 60) return `${s}s ago`
  if (s < 3600) return `${Math.floor(s / 60)}m ago`
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`
  return `${Math.floor(s / 86400)}d ago`
}

/** `512 B`, `2.9 KB`, `21 MB`. */
export const formatBytes = (n: number | null): string => {
  if (n === null) return "-"
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

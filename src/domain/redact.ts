import * as Redacted from "effect/Redacted"
import { maskToken } from "./Peer.js"

const replaceAll = (text: string, secret: string, mask: string): string =>
  text.includes(secret) ? text.split(secret).join(mask) : text

/**
 * `value` with every occurrence of `secret` inside its strings replaced by the
 * secret's mask (`fzt_…e3f`): a peer may echo our token back in a message, a
 * detail or a redirect, and what it sends is printed. Plain data is rebuilt;
 * tagged errors are rebuilt through their constructor.
 */
export const maskSecretIn = <A>(value: A, token: Redacted.Redacted<string> | string | null): A => {
  const secret = token === null ? "" : typeof token === "string" ? token : Redacted.value(token)
  if (secret === "") return value
  const mask = maskToken(secret) ?? "…"
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === "string") return replaceAll(v, secret, mask)
    if (typeof v !== "object" || v === null || depth > 32) return v
    if (Array.isArray(v)) {
      let changed = false
      const out: Array<unknown> = []
      for (const item of v) {
        const next = walk(item, depth + 1)
        if (next !== item) changed = true
        out.push(next)
      }
      return changed ? out : v
    }
    const proto = Object.getPrototypeOf(v)
    const plain = proto === Object.prototype || proto === null
    const tagged = v instanceof Error && "_tag" in v
    // Other class instances (Schema classes) hold no peer text here.
    if (!plain && !tagged) return v
    let changed = false
    const fields: Record<string, unknown> = {}
    const entries = Object.entries(v)
    // An error's own `message` field is not enumerable, but it is text too.
    if (tagged && Object.prototype.hasOwnProperty.call(v, "message")) entries.push(["message", (v as Error).message])
    for (const [k, item] of entries) {
      if (k === "_tag" || k === "stack") continue
      const next = walk(item, depth + 1)
      if (next !== item) changed = true
      fields[k] = next
    }
    if (!changed) return v
    if (plain) return { ...(v as object), ...fields }
    // A tagged error: rebuilt through its own constructor, so it stays that error.
    return new (v.constructor as new(args: Record<string, unknown>) => unknown)(fields)
  }
  return walk(value, 0) as A
}

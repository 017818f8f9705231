import * as Data from "effect/Data"
export { RESERVED_SITE_NAMES, siteNameProblem } from "./siteName.js"

/** A deploy the node refuses: answered 400 BAD_REQUEST (or 413 when too large). */
export class DeployRejected extends Data.TaggedError("DeployRejected")<{
  readonly status: 400 | 413
  readonly reason: string
}> {
  override get message() {
    return this.reason
  }
}

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  htm: "text/html; charset=utf-8",
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  json: "application/json",
  map: "application/json",
  txt: "text/plain; charset=utf-8",
  md: "text/markdown; charset=utf-8",
  xml: "application/xml",
  svg: "image/svg+xml",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  avif: "image/avif",
  ico: "image/x-icon",
  woff: "font/woff",
  woff2: "font/woff2",
  ttf: "font/ttf",
  otf: "font/otf",
  pdf: "application/pdf",
  wasm: "application/wasm",
  mp4: "video/mp4",
  webm: "video/webm",
  mp3: "audio/mpeg",
  wav: "audio/wav",
  zip: "application/zip",
  webmanifest: "application/manifest+json"
}

export const contentTypeOf = (path: string): string => {
  const dot = path.lastIndexOf(".")
  const ext = dot === -1 ? "" : path.slice(dot + 1).toLowerCase()
  return TYPES[ext] ?? "application/octet-stream"
}

/**
 * What the node does with a zip entry's path (fazt: internal/hosting/deploy.go,
 * DeploySiteWithSource): `keep` it under its cleaned form (`./a`, `a//b`,
 * `a/../b` → `a`, `a/b`, `b`, as Go's filepath.Clean), `skip` one that would
 * climb out (`../x`), is absolute or uses backslashes — fazt skips those
 * entries and deploys the rest — or `refuse` the whole archive for a control
 * character in a name: fazt keeps such names, but they would reach a
 * visitor's terminal or logs through listings (safety first, docs/CONFORMANCE.md).
 */
export type EntryVerdict =
  | { readonly _tag: "Keep"; readonly path: string }
  | { readonly _tag: "Skip"; readonly why: string }
  | { readonly _tag: "Refuse"; readonly why: string }

export const vetEntryPath = (name: string): EntryVerdict => {
  // eslint-disable-next-line no-control-regex -- control characters are what it refuses
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return { _tag: "Refuse", why: `${JSON.stringify(name)} contains a control character` }
  if (name.includes("\\")) return { _tag: "Skip", why: `'${name}' uses backslashes` }
  if (name.startsWith("/") || /^[a-zA-Z]:/.test(name)) return { _tag: "Skip", why: `'${name}' is absolute` }
  const parts: Array<string> = []
  for (const part of name.split("/")) {
    if (part === "" || part === ".") continue
    if (part !== "..") parts.push(part)
    else if (parts.length === 0) return { _tag: "Skip", why: `'${name}' climbs out with '..'` }
    else parts.pop()
  }
  if (parts.length === 0) return { _tag: "Skip", why: `'${name}' is an empty path` }
  return { _tag: "Keep", path: parts.join("/") }
}

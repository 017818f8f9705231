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

/** A zip entry path a node may store: relative, `/`-separated, no `..`. */
export const entryPathProblem = (path: string): string | undefined => {
  if (path.length === 0) return "an empty path"
  // NUL, escapes and other control characters: no file name needs them, and
  // they would reach a visitor's terminal or logs through listings.
  if (/[\u0000-\u001f\u007f-\u009f]/.test(path)) return `${JSON.stringify(path)} contains a control character`
  if (path.includes("\\")) return `'${path}' uses backslashes`
  if (path.startsWith("/") || /^[a-zA-Z]:/.test(path)) return `'${path}' is absolute`
  if (path.split("/").some((part) => part === "..")) return `'${path}' climbs out with '..'`
  return undefined
}

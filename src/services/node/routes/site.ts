// The node's sites: `http://<site>.localhost:<port>/<path>` answered as fazt's
// siteHandler and ServeVFS do (cmd/server/main.go, internal/hosting/handler.go).
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type { NodeSites, SiteFile } from "../NodeSites.js"
import { plainText } from "./answers.js"

/**
 * The stored path a decoded request path names, cleaned as Go's
 * filepath.Clean does for fazt's ServeVFS (empty and `.` segments dropped),
 * or undefined when it would climb out with `..`.
 */
const storedPathOf = (decoded: string): string | undefined => {
  const parts: Array<string> = []
  for (const part of decoded.split("/")) {
    if (part === "" || part === ".") continue
    if (part === "..") return undefined
    parts.push(part)
  }
  return parts.join("/")
}

/** Go's filepath.Ext: the final element's suffix from its last dot, or "". */
const extensionOf = (path: string): string => {
  const base = path.slice(path.lastIndexOf("/") + 1)
  const dot = base.lastIndexOf(".")
  return dot === -1 ? "" : base.slice(dot)
}

/** fazt's Cache-Control for a served file (internal/hosting/handler.go, ServeVFS). */
const cacheControlOf = (path: string): string =>
  path.endsWith(".html")
    ? "no-cache, must-revalidate"
    : path.startsWith("assets/") && path.slice(path.lastIndexOf("/") + 1).includes("-")
    ? "public, max-age=31536000, immutable"
    : "public, max-age=300"

/** A chunk removed while its file was being sent: the site was redeployed mid-answer. */
class ChunkGone extends Data.TaggedError("ChunkGone")<{ readonly path: string; readonly seq: number }> {}

/** The site route's handlers, over the node's sites. */
export const siteRoutes = (sites: NodeSites.Service) => {
  // Small files are sent whole; chunked ones one chunk (1 MiB) at a time, so
  // a large file is never held in memory. A chunk gone meanwhile (the site
  // was redeployed mid-answer) ends the answer short of its Content-Length:
  // the reader sees an error, never a mix of two versions.
  const sendFile = (file: SiteFile, headers: Record<string, string>) => {
    if (file.body._tag === "Whole") return HttpServerResponse.uint8Array(file.body.content, { contentType: file.mimeType, headers })
    const { deployId, path, chunks } = file.body
    const body = Stream.range(0, chunks - 1).pipe(
      Stream.mapEffect((seq) =>
        Effect.flatMap(sites.chunk(deployId, path, seq), Option.match({
          onNone: () => Effect.fail(new ChunkGone({ path, seq })),
          onSome: Effect.succeed
        }))
      )
    )
    return HttpServerResponse.stream(chunks === 0 ? Stream.empty : body, { contentType: file.mimeType, contentLength: file.size, headers })
  }

  // A site's file, as fazt's siteHandler and ServeVFS answer (cmd/server/main.go,
  // internal/hosting/handler.go): the site must exist (404); `private/` needs a
  // logged-in session, which this node never has (401); `/api/…` is for
  // serverless code, which it does not run (404); a trailing slash redirects
  // (301); then the file, a folder's index.html for a path without an
  // extension, and for an SPA index.html for one without an extension;
  // each with an ETag (304 when it matches) and fazt's Cache-Control.
  const serveSite = (site: string, url: URL, request: HttpServerRequest.HttpServerRequest) =>
    Effect.gen(function* () {
      let decoded: string
      try {
        decoded = decodeURIComponent(url.pathname)
      } catch {
        return HttpServerResponse.text("Bad Request: malformed percent-escape in the path\n", { status: 400 })
      }
      // The path as stored, cleaned: `//private/x` and `/./private/x` are
      // `private/x` here (fazt checks the path as written, then cleans it).
      const stored = storedPathOf(decoded)
      const target = stored === undefined || stored === "" ? "index.html" : stored
      const found = yield* sites.file(site, target)
      if (!found.exists) return HttpServerResponse.text("Site not found\n", { status: 404 })
      if (stored === "private" || stored?.startsWith("private/")) return plainText(401, "Unauthorized")
      if (decoded === "/api" || decoded.startsWith("/api/")) return plainText(404, "404 page not found")
      if (stored === undefined) return plainText(404, "404 page not found")
      if (decoded !== "/" && decoded.endsWith("/")) {
        // fazt redirects to the path less its slash; built from the cleaned
        // path, so `//evil.example/` cannot become a protocol-relative
        // `Location: //evil.example` that leaves the site.
        const location = `/${stored.split("/").map(encodeURIComponent).join("/")}${url.search}`
        return HttpServerResponse.empty({ status: 301, headers: { location } })
      }
      let file = found.file
      if (Option.isNone(file) && extensionOf(target) === "") file = (yield* sites.file(site, `${target}/index.html`)).file
      if (Option.isNone(file) && extensionOf(decoded) === "" && found.spa) file = (yield* sites.file(site, "index.html")).file
      if (Option.isNone(file)) return plainText(404, "404 page not found")
      const served = file.value
      const headers: Record<string, string> = {}
      if (served.hash !== undefined) {
        headers["etag"] = `"${served.hash}"`
        if ((request.headers["if-none-match"] ?? "").includes(served.hash)) {
          return HttpServerResponse.empty({ status: 304, headers })
        }
      }
      // Keyed on the file served (fazt keys it on the path asked, so an
      // SPA's index.html served for /dashboard is cached for 5 minutes).
      headers["cache-control"] = cacheControlOf(served.path)
      return sendFile(served, headers)
    })


  return { serveSite }
}

// The node's answers, as fazt words them: its JSON envelope and errors
// (internal/api/response.go), Go's plain-text http.Error, and the storage faults.
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"

export const envelope = (data: unknown, status = 200) => HttpServerResponse.unsafeJson({ data }, { status })

export const failure = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
  HttpServerResponse.unsafeJson({ error: { code, message } }, { status, headers })

export const badRequest = (message: string) => failure(400, "BAD_REQUEST", message)

/** fazt's 404 for a path no route takes. */
export const noRoute = (request: HttpServerRequest.HttpServerRequest) =>
  failure(404, "NOT_FOUND", `No route for ${request.method} ${request.url.replace(/\?.*$/, "").replaceAll("%3B", ";")}`)

/** Go's http.NotFound and http.Error answers: plain text. */
export const plainText = (status: number, text: string, headers: Record<string, string> = {}) =>
  HttpServerResponse.text(`${text}\n`, { status, headers: { "x-content-type-options": "nosniff", ...headers } })

/** A storage fault of the node's own disk: answered 507 (fazt has no status of its own for it; its answer is a 500). */
export const insufficientStorage = () =>
  failure(507, "INSUFFICIENT_STORAGE", "This node cannot store the request: its disk is full (or failing)")

/** A DatabaseError that means the disk is full or failing (src/services/db/Database.ts, describeFailure). */
export const isStorageFault = (e: unknown): boolean =>
  typeof e === "object" && e !== null && (e as { _tag?: unknown })._tag === "DatabaseError" &&
  /disk is full|disk I\/O error/.test(String((e as { reason?: unknown }).reason))

// `POST /api/deploy`: a site's zip as a multipart upload, received to a
// folder of its own and unpacked by NodeSites, as fazt's deploy handler
// answers it (internal/handlers/deploy.go), with fazt's per-client deploy limit.
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { errnoCode } from "../../../domain/errno.js"
import { makeClientWindow } from "../clientWindow.js"
import { MAX_CLIENTS_REMEMBERED } from "../NodeKeys.js"
import type { NodeSites } from "../NodeSites.js"
import type { NodeOptions } from "../NodeServer.js"
import { type ReceivedUpload, receiveUpload, UploadFailed } from "../uploadReceiver.js"
import { badRequest, envelope, failure, insufficientStorage, isStorageFault } from "./answers.js"

export interface DeployContext {
  readonly sites: NodeSites.Service
  readonly options: NodeOptions
  /** Who is asking: the limit is per client. */
  readonly clientOf: (request: HttpServerRequest.HttpServerRequest) => string
  /** `response`, once the request's body has been read to its end (NodeServer's afterBody). */
  readonly afterBody: (request: HttpServerRequest.HttpServerRequest, response: HttpServerResponse.HttpServerResponse) => Effect.Effect<HttpServerResponse.HttpServerResponse>
  /** The 413 for an upload past --max-upload. */
  readonly tooLarge: (request: HttpServerRequest.HttpServerRequest) => Effect.Effect<HttpServerResponse.HttpServerResponse>
}

/** The deploy handler. */
export const deployRoute = ({ afterBody, clientOf, options, sites, tooLarge }: DeployContext) => {
  const deploys = makeClientWindow({
    limit: Math.max(1, options.deploysPerMinute),
    windowMs: 60_000,
    maxClients: MAX_CLIENTS_REMEMBERED
  })

  const deploy = Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const client = clientOf(request)
    const wait = options.deploysPerMinute > 0 ? deploys.retryAfter(client) : undefined
    if (wait !== undefined) {
      return yield* afterBody(request, failure(
        429,
        "RATE_LIMIT_EXCEEDED",
        `At most ${options.deploysPerMinute} deploys a minute from one client; retry in ${wait} s (the node's --deploys-per-minute raises the limit)`,
        { "retry-after": String(wait) }
      ))
    }
    // Only deploys that succeed count, as in fazt (RecordDeploy after the
    // deploy, internal/handlers/deploy.go); one in progress holds its place,
    // so concurrent uploads cannot all pass the check at once.
    const at = options.deploysPerMinute > 0 ? deploys.record(client) : undefined
    const release = Effect.sync(() => at !== undefined && deploys.cancel(client, at))
    const declared = Number(request.headers["content-length"] ?? "0")
    if (declared > options.maxUploadBytes) return yield* Effect.zipRight(release, tooLarge(request))
    return yield* Effect.gen(function* () {
      // The upload lands in a folder of its own under the node's upload
      // folder, removed when the request ends: answered, failed, or cut off
      // by the client (then the request is interrupted) or by shutdown.
      const dir = yield* Effect.acquireRelease(
        Effect.try({
          try: () => fs.mkdtempSync(nodePath.join(options.uploadDir ?? os.tmpdir(), "upload-")),
          catch: (e) => {
            const code = errnoCode(e)
            return new UploadFailed({ kind: code === "ENOSPC" || code === "EDQUOT" ? "no-space" : "io", reason: `cannot make a folder for the upload (${code ?? String(e)})` })
          }
        }),
        (d) => Effect.sync(() => fs.rmSync(d, { recursive: true, force: true }))
      )
      const receiving = receiveUpload(NodeHttpServerRequest.toIncomingMessage(request), dir, options.maxUploadBytes)
      const form = yield* Effect.async<ReceivedUpload, UploadFailed>((resume) => {
        receiving.done.then((upload) => resume(Effect.succeed(upload)), (e: UploadFailed) => resume(Effect.fail(e)))
        return Effect.sync(receiving.cancel)
      })
      const field = (name: string) => form.fields[name]
      const site = field("site_name")
      if (site === undefined || site === "") return badRequest("site_name is required")
      const file = form.file
      if (file === undefined) return badRequest("file is required")
      if (!file.name.toLowerCase().endsWith(".zip")) return badRequest("file must be a .zip archive")
      const s = yield* sites.deploy({
        site,
        spa: field("spa") === "true",
        zipPath: file.path,
        limits: { maxTotalBytes: options.maxUnpackedBytes, maxFileBytes: options.maxFileBytes, maxFiles: options.maxFiles }
      })
      const skipped = s.skipped.length === 0
        ? ""
        : ` (${s.skipped.length} unsafe ${s.skipped.length === 1 ? "entry" : "entries"} skipped: ${s.skipped.slice(0, 3).join("; ")}${s.skipped.length > 3 ? "; …" : ""})`
      return envelope({
        site: s.name,
        file_count: s.file_count,
        size_bytes: s.size_bytes,
        message: `Deployed ${s.file_count} files to ${s.name}${skipped}`
      })
    }).pipe(
      Effect.scoped,
      Effect.catchTags({
        UploadFailed: (e) =>
          e.kind === "too-large"
            ? tooLarge(request)
            : e.kind === "no-space"
            ? Effect.zipRight(Effect.logError(`POST /api/deploy: ${e.reason}`), afterBody(request, insufficientStorage()))
            : e.kind === "io"
            ? Effect.die(e)
            : afterBody(request, badRequest(`Cannot read the multipart form: ${e.reason}`)),
        DeployRejected: (e) => Effect.succeed(failure(e.status, e.status === 413 ? "PAYLOAD_TOO_LARGE" : "BAD_REQUEST", e.reason)),
        DatabaseError: (e) =>
          isStorageFault(e)
            ? Effect.as(Effect.logError(`POST /api/deploy: ${e.message}`), insufficientStorage())
            : Effect.fail(e)
      }),
      Effect.tap((response) => (response.status === 200 ? Effect.void : release)),
      Effect.onError(() => release)
    )
  })

  return deploy
}

import * as Data from "effect/Data"
import * as MP from "multipasta"
import * as fs from "node:fs"
import type { IncomingMessage } from "node:http"
import * as path from "node:path"

/** A deploy form as received: its text fields and its one file, on disk. */
export interface ReceivedUpload {
  readonly fields: Readonly<Record<string, string>>
  /** The first part named `file`, written to `path`. */
  readonly file: { readonly name: string; readonly path: string } | undefined
}

/** Why an upload was not received. */
export class UploadFailed extends Data.TaggedError("UploadFailed")<{
  /** `no-space`: the upload folder's disk is full (ENOSPC, EDQUOT); `io`: it failed otherwise. */
  readonly kind: "too-large" | "malformed" | "aborted" | "no-space" | "io"
  readonly reason: string
}> {
  override get message() {
    return this.reason
  }
}

/**
 * Receives a multipart deploy form into `dir` (which the caller removes),
 * streaming its file to disk under `maxBytes`. Written for the node instead
 * of @effect/platform's multipart reader, which, when a client goes away
 * mid-upload, waits for ever with the part file open: here an abort, a
 * limit or a parse error closes the file at once and fails. `cancel` does
 * the same for an interrupted request.
 */
export const receiveUpload = (
  incoming: IncomingMessage,
  dir: string,
  maxBytes: number
): { readonly done: Promise<ReceivedUpload>; readonly cancel: () => void } => {
  const fields: Record<string, string> = {}
  let file: { name: string; path: string; out: fs.WriteStream } | undefined
  let settled = false
  let resolveDone!: (upload: ReceivedUpload) => void
  let rejectDone!: (error: UploadFailed) => void
  const done = new Promise<ReceivedUpload>((resolve, reject) => {
    resolveDone = resolve
    rejectDone = reject
  })

  // The parser may fail while it is made (no multipart Content-Type, no
  // boundary): every handler it can reach exists before it does.
  let parser: MP.Parser | undefined // eslint-disable-line prefer-const -- assigned below, after the handlers it may call
  const onData = (chunk: Buffer) => {
    if (!settled) parser?.write(chunk)
  }
  const onEnd = () => {
    if (!settled) parser?.end()
  }
  // The client went away (or the connection broke) before the body ended.
  const onClose = () => {
    if (!incoming.complete) fail("aborted", "the client went away mid-upload")
  }

  const detach = () => {
    incoming.off("data", onData)
    incoming.off("end", onEnd)
    incoming.off("close", onClose)
    incoming.off("error", onClose)
  }
  const fail = (kind: UploadFailed["kind"], message: string) => {
    if (settled) return
    settled = true
    detach()
    file?.out.destroy()
    rejectDone(new UploadFailed({ kind, reason: message }))
  }

  parser = MP.make({
    headers: Object.fromEntries(Object.entries(incoming.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : v ?? ""])),
    maxParts: 16,
    maxFieldSize: 64 * 1024,
    maxPartSize: maxBytes,
    maxTotalSize: maxBytes,
    onField: (info, value) => {
      if (!(info.name in fields)) fields[info.name] = MP.decodeField(info, value)
    },
    onFile: (info) => {
      if (info.name !== "file" || file !== undefined) return () => undefined
      const target = path.join(dir, "upload.zip")
      const out = fs.createWriteStream(target)
      out.on("error", (e: NodeJS.ErrnoException) =>
        fail(
          e.code === "ENOSPC" || e.code === "EDQUOT" ? "no-space" : "io",
          `cannot store the upload (${e.code ?? e.message})`
        ))
      file = { name: info.filename ?? "", path: target, out }
      return (chunk) => {
        if (settled) return
        if (chunk === null) return void out.end()
        // Backpressure: the request waits while the disk catches up.
        if (!out.write(chunk)) {
          incoming.pause()
          out.once("drain", () => incoming.resume())
        }
      }
    },
    onError: (error) =>
      error._tag === "ReachedLimit" && (error.limit === "MaxTotalSize" || error.limit === "MaxPartSize")
        ? fail("too-large", `larger than ${maxBytes} bytes`)
        : error._tag === "InvalidBoundary"
        ? fail("malformed", "the request's Content-Type is not multipart/form-data with a boundary")
        : fail("malformed", `a malformed multipart form (${error._tag === "ReachedLimit" ? error.limit : error._tag})`),
    onDone: () => {
      if (settled) return
      const finish = () => {
        if (settled) return
        settled = true
        detach()
        resolveDone({ fields, file: file ? { name: file.name, path: file.path } : undefined })
      }
      if (file && !file.out.closed) file.out.once("close", finish)
      else finish()
    }
  })

  if (settled) return { done, cancel: () => undefined }
  incoming.on("data", onData)
  incoming.on("end", onEnd)
  incoming.on("close", onClose)
  incoming.on("error", onClose)
  return { done, cancel: () => fail("aborted", "the request was interrupted") }
}

import * as fs from "node:fs"
import { describeErrno } from "../domain/errno.js"
import { OutputLost } from "../domain/errors.js"

/*
 * stdout and stderr, written by file descriptor. Node creates process.stdout
 * (or stderr) on first touch, and for a pipe or a terminal that loads its
 * net and stream modules and builds a socket: ~20 M instructions, a sixth of
 * a listing's start (README "Performance"). The CLI's own text goes through
 * here instead; the streams are made only for a terminal's width and for
 * writes the descriptor cannot take at once.
 */

export type Descriptor = 1 | 2

const streamOf = (fd: Descriptor): NodeJS.WriteStream => (fd === 1 ? process.stdout : process.stderr)

const terminal = new Map<Descriptor, boolean>()

/**
 * Whether `fd` is a terminal. A pipe, socket or file is known not to be one
 * from `fstat` alone; only a character device (a terminal, or /dev/null) is
 * asked of Node's tty module.
 */
export const isTerminal = (fd: Descriptor): boolean => {
  let answer = terminal.get(fd)
  if (answer === undefined) {
    try {
      answer = fs.fstatSync(fd).isCharacterDevice() && streamOf(fd).isTTY === true
    } catch {
      answer = false
    }
    terminal.set(fd, answer)
  }
  return answer
}

/** The width of the terminal on `fd`, or undefined off a terminal. */
export const terminalColumns = (fd: Descriptor): number | undefined => (isTerminal(fd) ? streamOf(fd).columns : undefined)

// Descriptors that once could not take a write at once (non-blocking and
// full): from then on their stream writes, queueing after what was written.
const throughStream = new Set<Descriptor>()

// The first write to stdout or stderr that was lost (ENOSPC, EBADF, EIO…):
// the run then ends with `OutputLost` (exit 9), never as a success.
let lost: { readonly fd: Descriptor; readonly code: string } | undefined

/** What was lost on stdout or stderr, if anything (see `write`). */
export const lostOutput = (): { readonly fd: Descriptor; readonly code: string } | undefined => lost

/** The loss as the failure that ends the run (exit 9), or undefined when nothing was lost. */
export const outputLostError = (): OutputLost | undefined =>
  lost === undefined
    ? undefined
    : new OutputLost({ stream: lost.fd === 1 ? "stdout" : "stderr", code: lost.code, reason: describeErrno(lost, { EBADF: "it is closed" }) })

const recordLoss = (fd: Descriptor, e: unknown) => {
  const code = typeof e === "object" && e !== null && "code" in e && typeof e.code === "string" ? e.code : "EIO"
  // A reader that has gone chose to stop reading: the command's outcome stands.
  if (code === "EPIPE") return
  lost ??= { fd, code }
}

/**
 * From now on stdout and stderr are written through Node's streams, which
 * queue what a reader cannot take yet: for a process that runs for long (a
 * node serving requests), where a write waiting for a full pipe would stop
 * everything, and start-up cost does not matter.
 */
export const writeThroughStreams = (): void => {
  throughStream.add(1)
  throughStream.add(2)
}

// Writes handed to a stream and not yet out of the process, and who waits for them.
let queued = 0
const waiting: Array<() => void> = []
const written = () => {
  if (--queued === 0) for (const callback of waiting.splice(0)) callback()
}

/**
 * Calls `callback` once what `write` handed to a stream has left the process
 * (at once when nothing waits): `process.exit` would drop it.
 */
export const afterQueuedWrites = (callback: () => void): void => {
  if (queued === 0) callback()
  else waiting.push(callback)
}

/**
 * Writes `text` to `fd`. A reader that has gone (EPIPE) is ignored, as Node's
 * console ignores it: the command's outcome stands. Any other failure (the
 * disk is full, a bad descriptor, an I/O error) is recorded, and the run
 * ends with `OutputLost` (exit 9) instead of a success. (A descriptor closed
 * before we start, `>&-`, cannot be told from `> /dev/null`: Node reopens it
 * on /dev/null, read-write, before any code of ours runs, as libuv opens
 * /dev/null for a child whose output is ignored.)
 */
export const write = (fd: Descriptor, text: string): void => {
  let rest: string | Buffer = text
  if (!throughStream.has(fd)) {
    let bytes = Buffer.from(text, "utf8")
    try {
      while (bytes.length > 0) bytes = bytes.subarray(fs.writeSync(fd, bytes))
      return
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") return recordLoss(fd, e)
      throughStream.add(fd)
      rest = bytes
    }
  }
  const stream = streamOf(fd)
  if (stream.listenerCount("error") === 0) stream.on("error", (e) => recordLoss(fd, e))
  queued++
  stream.write(rest, written)
}

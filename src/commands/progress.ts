import * as Effect from "effect/Effect"
import type { DeployProgress } from "../services/client/deployFolder.js"
import { formatBytes } from "./output.js"
import { type Descriptor, isTerminal, terminalColumns, write } from "./stdio.js"

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]
/** Quick answers show nothing: the line appears only once a wait is noticeable. */
const SHOW_AFTER_MS = 300
const REDRAW_MS = 100

/**
 * The one live line at the bottom of a terminal's stderr ("⠙ Waiting for
 * zyt… 2s"). Off a terminal it never draws: pipes, files and CI get only
 * whole lines. Other stderr/stdout writes go through `print`, which lifts the
 * line, writes, and puts it back, so messages never mix with it.
 */
class LiveLine {
  private label: (() => string) | undefined
  private shown = false
  private frame = 0
  private started = 0
  private timer: NodeJS.Timeout | undefined
  private showTimer: NodeJS.Timeout | undefined
  // Asked on first use: touching process.stderr at load would create it (stdio.ts).
  get enabled(): boolean {
    return isTerminal(2)
  }

  private draw() {
    if (this.label === undefined) return
    const seconds = Math.floor((Date.now() - this.started) / 1000)
    const text = `${FRAMES[this.frame++ % FRAMES.length]} ${this.label()}${seconds > 0 ? ` ${seconds}s` : ""}`
    const width = terminalColumns(2) ?? 80
    const fitted = [...text].length >= width ? `${[...text].slice(0, width - 2).join("")}…` : text
    write(2, `\r\x1b[2K${fitted}`)
    this.shown = true
  }

  private erase() {
    if (this.shown) write(2, "\r\x1b[2K")
    this.shown = false
  }

  start(label: () => string) {
    if (!this.enabled) return
    this.stop()
    this.label = label
    this.started = Date.now()
    // Unreferenced: the line never keeps the process alive.
    this.showTimer = setTimeout(() => {
      this.draw()
      this.timer = setInterval(() => this.draw(), REDRAW_MS).unref()
    }, SHOW_AFTER_MS).unref()
  }

  stop() {
    clearTimeout(this.showTimer)
    clearInterval(this.timer)
    this.timer = undefined
    this.label = undefined
    this.erase()
  }

  /** Writes `text` (whole lines) to stdout or stderr above the line, never through it. */
  print(fd: Descriptor, text: string): void {
    if (!this.shown) return write(fd, text)
    this.erase()
    try {
      write(fd, text)
    } finally {
      this.draw()
    }
  }
}

export const liveLine = new LiveLine()

/**
 * Runs `effect` with the live line showing `label` (re-read at each redraw)
 * while it waits; several at once share the line and show `done/total`.
 */
let running = 0
let finished = 0
let single: (() => string) | undefined
/** Who is still awaited, in the order asked (a name may be asked twice at once: counted). */
const awaited = new Map<string, number>()

/** `zyt`, `zyt and office`, `zyt, office and 3 more`: who the line still waits for. */
export const stillWaiting = (names: ReadonlyArray<string>): string =>
  names.length <= 2 ? names.join(" and ") : `${names.slice(0, 2).join(", ")} and ${names.length - 2} more`

const asked = (label: () => string, who: string | undefined) => {
  running++
  single = label
  if (who !== undefined) awaited.set(who, (awaited.get(who) ?? 0) + 1)
  if (running === 1) {
    finished = 0
    liveLine.start(() => {
      if (running + finished <= 1) return single!()
      const names = [...awaited.keys()]
      // A fleet's last answers are the ones people wait on: name them (`4/5 done, waiting for zyt`).
      return `Waiting for peers: ${finished}/${running + finished} done${names.length > 0 ? `, waiting for ${stillWaiting(names)}` : ""}`
    })
  }
}

const answered = (who: string | undefined) => {
  running--
  finished++
  if (who !== undefined) {
    const left = (awaited.get(who) ?? 1) - 1
    if (left > 0) awaited.set(who, left)
    else awaited.delete(who)
  }
  if (running === 0) liveLine.stop()
}

export const whileWaiting = <A, E, R>(label: () => string, effect: Effect.Effect<A, E, R>, who?: string): Effect.Effect<A, E, R> => {
  if (!liveLine.enabled) return effect
  return Effect.acquireUseRelease(Effect.sync(() => asked(label, who)), () => effect, () => Effect.sync(() => answered(who)))
}

/**
 * Many calls at once, as `whileWaiting` shows each: `run` is handed the
 * function to call with a peer's index when that peer has answered.
 */
export const whileWaitingForEach = <A, E, R>(
  peers: ReadonlyArray<{ readonly name: string }>,
  label: (index: number) => string,
  run: (answer: (index: number) => void) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> => {
  if (!liveLine.enabled) return run(() => {})
  const pending = new Set<number>()
  return Effect.acquireUseRelease(
    Effect.sync(() => {
      peers.forEach((peer, index) => {
        pending.add(index)
        asked(() => label(index), peer.name)
      })
    }),
    () =>
      run((index) => {
        if (pending.delete(index)) answered(peers[index]!.name)
      }),
    () =>
      Effect.sync(() => {
        for (const index of pending) answered(peers[index]!.name)
        pending.clear()
      })
  )
}

/**
 * Where a deploy stands, for the live line's "uploading 3.1 MB (files: 40 MB)"
 * phase; fed by `deployFolder`'s `onProgress`.
 */
export interface UploadProgress {
  phase: DeployProgress["phase"]
  sent: number
  folderBytes: number
}

export const trackUpload = (progress: UploadProgress) => (event: DeployProgress): void => {
  progress.phase = event.phase
  progress.sent = event.sentBytes
  if (event.folderBytes !== undefined) progress.folderBytes = event.folderBytes
}

export const uploadLabel = (site: string, peer: string, progress: UploadProgress) => () =>
  progress.phase === "scanning"
    ? `Deploying ${site} to ${peer}: reading the folder`
    : progress.phase === "uploading"
    ? `Deploying ${site} to ${peer}: uploading, ${formatBytes(progress.sent)} sent (files: ${formatBytes(progress.folderBytes)})`
    : `Deploying ${site} to ${peer}: ${formatBytes(progress.sent)} sent, waiting for ${peer} to unpack it`

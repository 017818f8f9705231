import { createRequire } from "node:module"
import { join } from "node:path"
import { Worker } from "node:worker_threads"

/**
 * bcrypt checks off the event loop: a few worker threads, each running one
 * check at a time, and a bounded queue. A check costs ~70 ms of CPU, so on the
 * main thread a flood of distinct wrong keys would stall every page and every
 * known key; here it can only fill the queue, and `hasRoom` lets the caller
 * answer 429 at once instead of queueing more.
 */
export interface BcryptPool {
  /** False when `maxPending` checks are already running or queued. */
  readonly hasRoom: () => boolean
  /** Index of the first hash `token` matches, or -1. */
  readonly compare: (token: string, hashes: ReadonlyArray<string>) => Promise<number>
  readonly close: () => Promise<void>
}

interface Job {
  readonly token: string
  readonly hashes: ReadonlyArray<string>
  readonly resolve: (match: number) => void
}

// Plain CommonJS evaluated in each worker; bcryptjs is required by absolute
// path, so it works from the bundle, the library and the sources alike.
const workerSource = (bcryptPath: string) => `
const { parentPort } = require("node:worker_threads")
const bcrypt = require(${JSON.stringify(bcryptPath)})
parentPort.on("message", ({ token, hashes }) => {
  let match = -1
  for (let i = 0; i < hashes.length && match < 0; i++) {
    try {
      if (bcrypt.compareSync(token, hashes[i])) match = i
    } catch {}
  }
  parentPort.postMessage(match)
})
`

const resolveBcrypt = (): string | undefined => {
  try {
    const req = typeof require === "function" ? require : createRequire(join(process.cwd(), "noop.js"))
    return req.resolve("bcryptjs")
  } catch {
    return undefined
  }
}

const compareHere = async (token: string, hashes: ReadonlyArray<string>): Promise<number> => {
  const { compare } = (await import("bcryptjs")).default
  for (let i = 0; i < hashes.length; i++) {
    // fazt's Go bcrypt writes $2a$; bcryptjs reads $2a$/$2b$/$2y$ alike.
    if (await compare(token, hashes[i]!).catch(() => false)) return i
  }
  return -1
}

export const makeBcryptPool = (options: { readonly threads: number; readonly maxPending: number }): BcryptPool => {
  const bcryptPath = resolveBcrypt()
  const queue: Array<Job> = []
  const idle: Array<Worker> = []
  const all = new Set<Worker>()
  let pending = 0

  const spawn = (path: string) => {
    const worker = new Worker(workerSource(path), { eval: true })
    worker.unref()
    all.add(worker)
    let job: Job | undefined
    const run = (next: Job) => {
      job = next
      worker.postMessage({ token: next.token, hashes: next.hashes })
    }
    const done = (match: number) => {
      const finished = job
      job = undefined
      pending--
      finished?.resolve(match)
      const next = queue.shift()
      if (next) run(next)
      else idle.push(worker)
    }
    worker.on("message", (match: number) => done(match))
    // A worker that dies fails its check closed (no match) and is replaced.
    worker.on("error", () => undefined)
    worker.on("exit", () => {
      all.delete(worker)
      runners.delete(worker)
      const i = idle.indexOf(worker)
      if (i >= 0) idle.splice(i, 1)
      const lost = job
      job = undefined
      if (lost) {
        pending--
        lost.resolve(-1)
      }
      const next = queue.shift()
      if (next) dispatch(next)
    })
    return { worker, run }
  }

  const runners = new Map<Worker, (job: Job) => void>()
  const dispatch = (job: Job) => {
    if (bcryptPath === undefined) {
      void compareHere(job.token, job.hashes).then((match) => {
        pending--
        job.resolve(match)
      })
      return
    }
    const free = idle.pop()
    if (free) return runners.get(free)!(job)
    if (all.size < options.threads) {
      const { worker, run } = spawn(bcryptPath)
      runners.set(worker, run)
      return run(job)
    }
    queue.push(job)
  }

  return {
    hasRoom: () => pending < options.maxPending,
    compare: (token, hashes) =>
      new Promise<number>((resolve) => {
        pending++
        dispatch({ token, hashes, resolve })
      }),
    close: async () => {
      await Promise.all([...all].map((w) => w.terminate()))
    }
  }
}

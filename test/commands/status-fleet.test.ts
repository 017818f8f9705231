import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { onePerTurn } from "../../src/commands/remote/status.js"

// `status --all` admits one peer per turn of the event loop, so each request
// leaves while the next is being built. Seen here through a timer: the event
// loop gets its turn (timers, I/O) between two admitted fibers.

/** Keeps the CPU busy for `millis`, as building a request does. */
const busy = (millis: number) => {
  const until = performance.now() + millis
  while (performance.now() < until) {
    // spin
  }
}

const run = (gate: Effect.Effect<void> | undefined) =>
  Effect.gen(function* () {
    const log: Array<string> = []
    let timer: ReturnType<typeof setTimeout> | undefined
    yield* Effect.forEach(
      [0, 1, 2, 3],
      (i) =>
        Effect.zipRight(
          gate ?? Effect.void,
          Effect.sync(() => {
            log.push(`peer ${i}`)
            // Due after 1 ms (which the busy CPU lets pass): it fires at the next turn of the event loop.
            if (i === 0) timer = setTimeout(() => log.push("timer"), 1)
            busy(3)
          })
        ),
      { concurrency: "unbounded" }
    )
    yield* Effect.promise(() => new Promise((r) => setTimeout(r, 5)))
    clearTimeout(timer)
    return log
  })

describe("status --all's pacing", () => {
  it.live("without it, every fiber runs before the event loop gets a turn (the problem it solves)", () =>
    Effect.gen(function* () {
      expect(yield* run(undefined)).toEqual(["peer 0", "peer 1", "peer 2", "peer 3", "timer"])
    }))

  it.live("with it, the event loop gets a turn between two peers, and every peer is admitted once, in order", () =>
    Effect.gen(function* () {
      const log = yield* run(yield* onePerTurn)
      expect(log).toEqual(["peer 0", "timer", "peer 1", "peer 2", "peer 3"])
    }))

})

import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"

/**
 * Once `fiber` has gone as far as it can on its own: it has ended, or it is
 * suspended, waiting for something (a lock, a pending check). No clock is
 * involved, so it proves a wait on a busy machine as on a quiet one.
 */
export const settled = <A, E>(fiber: Fiber.RuntimeFiber<A, E>): Effect.Effect<"Done" | "Suspended"> =>
  Effect.gen(function* () {
    for (;;) {
      const status = yield* Fiber.status(fiber)
      if (status._tag !== "Running") return status._tag
      yield* Effect.yieldNow()
    }
  })

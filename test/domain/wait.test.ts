import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import { formatWait } from "../../src/domain/wait.js"

// One way to read a wait, for a retry's line and for a Retry-After refused as too long.
describe("formatWait", () => {
  it("reads ms under a second, s under two minutes, min under three hours, then h", () => {
    expect(formatWait(Duration.millis(250))).toBe("250 ms")
    expect(formatWait(Duration.seconds(1))).toBe("1 s")
    expect(formatWait(Duration.seconds(30))).toBe("30 s")
    expect(formatWait(Duration.seconds(90))).toBe("90 s")
    expect(formatWait(Duration.seconds(3600))).toBe("60 min")
    expect(formatWait(Duration.hours(5))).toBe("5 h")
    expect(formatWait(Duration.infinity)).toBe("for ever")
  })
})

import { describe, expect, it } from "vitest"
import { concurrencyFor, fleetConcurrency, openFileLimit } from "../../src/services/client/fleetConcurrency.js"

const limits = (soft: string) =>
  `Limit                     Soft Limit           Hard Limit           Units     \nMax open files            ${soft}                1048576              files     \n`

describe("status --all: peers asked at once follow the open file limit (issue 26)", () => {
  it("reads the soft limit from /proc/self/limits, keeps 64 back, stays within 16 and 4,096", () => {
    expect(openFileLimit(() => limits("1024"))).toBe(1024)
    expect(openFileLimit(() => limits("unlimited"))).toBe(Infinity)
    expect(openFileLimit(() => "no such line")).toBe(256)
    expect(openFileLimit(() => { throw new Error("ENOENT") })).toBe(256)
    expect(concurrencyFor(1024)).toBe(960)
    expect(concurrencyFor(256)).toBe(192)
    expect(concurrencyFor(20)).toBe(16)
    expect(concurrencyFor(Infinity)).toBe(4096)
    expect(concurrencyFor(1_048_576)).toBe(4096)
  })

  it("on this machine: the limit it really has, not 128", () => {
    expect(fleetConcurrency()).toBe(concurrencyFor(openFileLimit()))
  })
})

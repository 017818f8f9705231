import { describe, expect, it } from "vitest"
import { formatCountOf, table } from "../../src/commands/output.js"

describe("table", () => {
  const rows = [["zyt", "https://admin.a-very-long-domain-name.example.com:8443", "healthy"], ["pi", "http://127.0.0.1:8080", "-"]]

  it("prints every value whole when no width is given (piped)", () => {
    const text = table(["NAME", "URL", "STATUS"], rows, undefined)
    expect(text).toContain("https://admin.a-very-long-domain-name.example.com:8443")
    expect(text).not.toContain("…")
  })

  it("fits a terminal's width, shortening the widest column with …", () => {
    const text = table(["NAME", "URL", "STATUS"], rows, 40)
    for (const line of text.split("\n")) expect([...line].length).toBeLessThanOrEqual(40)
    expect(text).toContain("https://admin.a-very-lon…")
    expect(text).toContain("http://127.0.0.1:8080")
    expect(text.split("\n")[0]).toMatch(/^NAME +URL +STATUS$/)
  })
})

describe("formatCountOf", () => {
  it("is singular for exactly one, plural otherwise, and never trusts an absurd count", () => {
    expect(formatCountOf(1, "file")).toBe("1 file")
    expect(formatCountOf(0, "file")).toBe("0 files")
    expect(formatCountOf(4, "file")).toBe("4 files")
    expect(formatCountOf(-1, "file")).toBe("? files")
    expect(formatCountOf(null, "file")).toBe("- files")
  })
})

import { describe, expect, it } from "vitest"
import { table } from "../../src/commands/output.js"

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

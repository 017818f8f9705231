import { describe, expect, it } from "vitest"
import { escapeControl, formatCountOf, MAX_CELL, table } from "../../src/commands/output.js"

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

// The table as it was before issue 26 (every cell escaped, measured and cut
// again at render time), kept verbatim as the oracle of the one-pass table.
const referenceWidth = (text: string): number => {
  let n = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0xd800 || c > 0xdbff) n++
  }
  return n
}
const referenceShorten = (text: string, max: number): string =>
  referenceWidth(text) <= max ? text : `${[...text].slice(0, Math.max(0, max - 1)).join("")}…`
const referenceRecords = (all: ReadonlyArray<ReadonlyArray<string>>, maxWidth: number): string => {
  const [header = [], ...rows] = all
  const label = Math.max(...header.map(referenceWidth))
  return rows.map((r) =>
    r.map((cell, i) => `${(header[i] ?? "").padEnd(label)}  ${referenceShorten(cell, Math.max(8, maxWidth - label - 2))}`.trimEnd()).join("\n")
  ).join("\n\n")
}
const referenceTable = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, maxWidth: number | undefined): string => {
  const cells = (r: ReadonlyArray<string>) =>
    r.map((cell) => referenceShorten(escapeControl(cell.length > 4 * MAX_CELL ? cell.slice(0, 4 * MAX_CELL) : cell), MAX_CELL))
  const all: Array<Array<string>> = [cells(header)]
  for (const r of rows) all.push(cells(r))
  const widths = header.map(() => 0)
  for (const r of all) {
    for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i]!, referenceWidth(r[i] ?? ""))
  }
  if (maxWidth !== undefined && maxWidth > 0) {
    const floor = header.map((h) => Math.max(referenceWidth(h), 8))
    let total = widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1)
    while (total > maxWidth) {
      let widest = -1
      for (let i = 0; i < widths.length; i++) {
        if (widths[i]! > floor[i]! && (widest < 0 || widths[i]! > widths[widest]!)) widest = i
      }
      if (widest < 0) break
      widths[widest]!--
      total--
    }
    if (total > maxWidth) return referenceRecords(all, maxWidth)
  }
  return all.map((r) =>
    r.map((raw, i) => {
      const cell = referenceShorten(raw, widths[i]!)
      return i === r.length - 1 ? cell : cell + " ".repeat(Math.max(0, widths[i]! - referenceWidth(cell)))
    }).join("  ").trimEnd()
  ).join("\n")
}

describe("table, one pass per cell (issue 26)", () => {
  // Plain printable ASCII (kept and measured by its length), and what must
  // take the slow path: control characters, DEL, C1, line separators and
  // direction overrides, non-ASCII, a surrogate pair (one column, two units),
  // a lone surrogate, a no-break space at the end (trimmed), cells past 120
  // and 480 characters, and empty cells.
  const pieces = [
    "", "*", "peer-1", "http://127.0.0.1:9", "healthy", "0.29.0", "5m ago", "fzt_…789", "a b", " ", "~", "-",
    "\u001b[31m", "\n", "\r", "\t", "\u007f", "\u0085", "\u009b", "\u2028", "\u202e", "\u2066", "é", "日本", "😀", "\ud800",
    "\u00a0", "x".repeat(119), "y".repeat(120), "z".repeat(121), "w".repeat(479), "v".repeat(481)
  ]
  let seed = 26
  const random = (n: number) => {
    // mulberry32: every bit random (an LCG's low bits repeat with a short period).
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) % n
  }
  const plainPieces = [...pieces.slice(1, 11), "x".repeat(119), "y".repeat(120), "z".repeat(121), "w".repeat(479), "v".repeat(481)]
  const cell = () => {
    let text = ""
    for (let k = random(3); k >= 0; k--) text += pieces[random(pieces.length)]
    return text
  }

  it("prints byte for byte what escaping and measuring every cell again printed, piped, on terminals of any width, ragged rows too", () => {
    let compared = 0
    for (let t = 0; t < 400; t++) {
      const columns = 1 + random(7)
      const header = Array.from({ length: columns }, (_, i) => (random(4) === 0 ? cell() : ["", "NAME", "URL", "STATUS", "VERSION", "LAST SEEN", "TOKEN"][i]!))
      // A quarter of the tables all plain (the fast path throughout), and some rows shorter or longer than the header.
      const plain = random(4) === 0
      const rows = Array.from({ length: random(12) }, () =>
        Array.from({ length: random(8) === 0 ? columns + random(3) - 1 : columns }, () => (plain ? plainPieces[random(random(3) === 0 ? plainPieces.length : 10)]! : cell())))
      for (const width of [undefined, 0, 10, 30, 45, 80, 200, 1000]) {
        expect(table(header, rows, width)).toBe(referenceTable(header, rows, width))
        compared++
      }
    }
    expect(compared).toBe(3200)
  })

  it("keeps a plain cell as it is and escapes every other", () => {
    const rows = [["plain text ~!", "bell\u0007 and é"], ["x".repeat(121), "\u202eevil"], ["\u00e9t\u00e9", "x".repeat(120)], ["y".repeat(121), "plain"]]
    const text = table(["A", "B"], rows, undefined)
    expect(text).toBe(referenceTable(["A", "B"], rows, undefined))
    expect(text.split("\n")).toEqual([
      `A${" ".repeat(119)}  B`,
      `plain text ~!${" ".repeat(107)}  bell\\x07 and é`,
      `${"x".repeat(119)}…  \\u202eevil`,
      `été${" ".repeat(117)}  ${"x".repeat(120)}`,
      `${"y".repeat(119)}…  plain`
    ])
  })
})

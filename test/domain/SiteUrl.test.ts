import { describe, expect, it } from "vitest"
import { siteNameFor } from "../../src/domain/siteName.js"
import { siteUrl } from "../../src/domain/SiteUrl.js"

describe("siteUrl", () => {
  it("admin.<domain> serves sites at <site>.<domain>", () => {
    expect(siteUrl("https://admin.zyt.app", "blog")).toBe("https://blog.zyt.app/")
    expect(siteUrl("https://ADMIN.Example.com/", "blog")).toBe("https://blog.example.com/")
    expect(siteUrl("https://admin.example.com:8443", "blog")).toBe("https://blog.example.com:8443/")
  })

  it("a loopback node serves sites at <site>.localhost:<port>", () => {
    expect(siteUrl("http://127.0.0.1:8080", "blog")).toBe("http://blog.localhost:8080/")
    expect(siteUrl("http://localhost:4698/", "blog")).toBe("http://blog.localhost:4698/")
    expect(siteUrl("http://[::1]:9000", "blog")).toBe("http://blog.localhost:9000/")
  })

  it("is null when the address cannot be known", () => {
    expect(siteUrl("https://203.0.113.7", "blog")).toBeNull()
    expect(siteUrl("https://fazt.example.com", "blog")).toBeNull()
    expect(siteUrl("https://example.com/fazt", "blog")).toBeNull()
    expect(siteUrl("https://admin.example.com/prefix", "blog")).toBeNull()
    expect(siteUrl("not a url", "blog")).toBeNull()
  })
})

describe("siteNameFor: the name a node takes, as fazt's deploy handler strips its own domain", () => {
  it("strips the domain the peer's URL names, case-insensitively, as internal/handlers/deploy.go does", () => {
    expect(siteNameFor("blog.zyt.app", "https://admin.zyt.app")).toEqual({ site: "blog", problem: undefined })
    expect(siteNameFor("blog.ZYT.app", "https://admin.zyt.app")).toEqual({ site: "blog", problem: undefined })
    expect(siteNameFor("hello.localhost", "http://127.0.0.1:8080")).toEqual({ site: "hello", problem: undefined })
    expect(siteNameFor("blog", "https://admin.zyt.app")).toEqual({ site: "blog", problem: undefined })
  })

  it("refuses a dotted name outside the known domain before any upload, saying which domain", () => {
    const other = siteNameFor("blog.other.com", "https://admin.zyt.app")
    expect(other.problem).toContain("a full name must end in .zyt.app")
    expect(siteNameFor("zyt.app", "https://admin.zyt.app").problem).toBeDefined()
    expect(siteNameFor("www.zyt.app", "https://admin.zyt.app").problem).toBe("'www' is reserved")
  })

  it("with the domain unknown or only guessed, sends a dotted name as typed, checking its first label", () => {
    expect(siteNameFor("blog.zyt.app", "https://203.0.113.7")).toEqual({ site: "blog.zyt.app", problem: undefined })
    expect(siteNameFor("blog.zyt.app", "http://127.0.0.1:8080")).toEqual({ site: "blog.zyt.app", problem: undefined })
    expect(siteNameFor("Bad_Name.zyt.app", "https://fazt.example.com").problem).toBeDefined()
  })
})

import { describe, expect, it } from "vitest"
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

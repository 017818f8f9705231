import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as os from "node:os"
import { describeErrno, errnoCode } from "../../src/domain/errno.js"
import { homeDirectory } from "../../src/domain/home.js"

const failure = (code: string, message = `${code}: something, open '/x'`) => Object.assign(new Error(message), { code })

describe("describeErrno: one wording per errno", () => {
  it("names the common codes in words", () => {
    expect(describeErrno(failure("EACCES"))).toBe("permission denied")
    expect(describeErrno(failure("EPERM"))).toBe("permission denied")
    expect(describeErrno(failure("ENOSPC"))).toBe("the disk is full")
    expect(describeErrno(failure("EROFS"))).toBe("the file system is read-only")
    expect(describeErrno(failure("EISDIR"))).toBe("it is a folder, not a file")
    expect(describeErrno(failure("EADDRINUSE"))).toBe("the port is in use")
  })

  it("lets the caller's context word a code, and falls back to the message's first line", () => {
    expect(describeErrno(failure("ENOENT"), { ENOENT: "it vanished" })).toBe("it vanished")
    expect(describeErrno(failure("EWHATEVER", "first line\nsecond"))).toBe("first line")
    expect(describeErrno("plain text")).toBe("plain text")
    expect(errnoCode(failure("EMFILE"))).toBe("EMFILE")
    expect(errnoCode({ code: 7 })).toBeUndefined()
  })
})

describe("homeDirectory", () => {
  const home = (env: Record<string, string>) =>
    Effect.runSync(Effect.withConfigProvider(homeDirectory, ConfigProvider.fromMap(new Map(Object.entries(env)))))

  it("reads HOME through Config, and falls back to the OS's idea when HOME is unset or empty", () => {
    expect(home({ HOME: "/home/elsewhere" })).toBe("/home/elsewhere")
    expect(home({})).toBe(os.homedir())
    expect(home({ HOME: "" })).toBe(os.homedir())
  })
})

import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Redacted } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as util from "node:util"
import { cliHint, exitCodes } from "../../src/commands/failure.js"
import {
  DatabaseError,
  OutputLost,
  type FaztError,
  InvalidFolder,
  InvalidInput,
  InvalidPeerName,
  InvalidToken,
  ListenFailed,
  InvalidPeerUrl,
  NodeAlreadyRunning,
  NoDefaultPeer,
  NoPeers,
  PeerAlreadyExists,
  PeerApiError,
  PeerNotFound,
  PeerProtocolError,
  PeerUnauthorized,
  PeerUnreachable,
  PlainHttpRefused,
  UnusableToken,
  UnzippableFile,
  UsageError,
  BuildFailed
} from "../../src/index.js"
import { DeployRejected } from "../../src/domain/node.js"

// One of every tagged error. The mapped type makes a new error in FaztError
// fail to compile here until it is added (and so checked below).
const samples: { readonly [K in FaztError["_tag"]]: Extract<FaztError, { readonly _tag: K }> } = {
  InvalidPeerName: new InvalidPeerName({ value: "Bad_Name", reason: "use lowercase letters" }),
  InvalidPeerUrl: new InvalidPeerUrl({ url: "ftp://x", reason: "scheme ftp is not supported", peer: "old" }),
  UsageError: new UsageError({ message: "unknown command 'stauts' (did you mean 'status'?)" }),
  InvalidInput: new InvalidInput({ message: "the description was refused: it holds a control character" }),
  InvalidToken: new InvalidToken({ source: "standard input", reason: "it may only hold visible ASCII characters" }),
  InvalidFolder: new InvalidFolder({ folder: "./site", problem: "missing" }),
  UnzippableFile: new UnzippableFile({ file: "a/b.txt", problem: "vanished", reason: "it vanished while the site was being zipped" }),
  BuildFailed: new BuildFailed({ folder: "app", step: "build", command: "npm run build", exit_code: 2, signal: null, last_lines: ["boom"], reason: "npm run build exited with code 2" }),
  ListenFailed: new ListenFailed({ host: "127.0.0.1", port: 8080, code: "EADDRINUSE", reason: "the port is in use" }),
  NodeAlreadyRunning: new NodeAlreadyRunning({ database: "/tmp/x.db", pid: 4242, url: "http://127.0.0.1:8080", since: "2026-12-07 17:00:00" }),
  PlainHttpRefused: new PlainHttpRefused({ peer: "lan", host: "10.0.0.5:8080" }),
  UnusableToken: new UnusableToken({ peer: "old", reason: "it may only hold visible ASCII characters" }),
  PeerNotFound: new PeerNotFound({ peer: "ghost" }),
  PeerAlreadyExists: new PeerAlreadyExists({ peer: "zyt" }),
  NoPeers: new NoPeers(),
  NoDefaultPeer: new NoDefaultPeer({ peers: ["a", "b"] }),
  DatabaseError: new DatabaseError({ path: "/tmp/x.db", reason: "file is not a database" }),
  OutputLost: new OutputLost({ stream: "stdout", code: "ENOSPC", reason: "the disk is full" }),
  PeerUnreachable: new PeerUnreachable({ peer: "zyt", url: "https://admin.zyt.app", kind: "refused", reason: "connection refused" }),
  PeerUnauthorized: new PeerUnauthorized({ peer: "zyt", status: 401, code: "INVALID_API_KEY", reason: "bad key", scope: "key", request: "GET /api/system/health" }),
  PeerApiError: new PeerApiError({ peer: "zyt", status: 500, code: "INTERNAL", reason: "boom" }),
  PeerProtocolError: new PeerProtocolError({ peer: "zyt", status: 302, reason: "a redirect to https://elsewhere" })
}
const all = [...Object.values(samples), new DeployRejected({ status: 400, reason: "a broken zip file" })]

describe("tagged errors fit Error", () => {
  it("every error's name is its tag, and printing it reads `Tag: message`", () => {
    for (const e of all) {
      expect(e).toBeInstanceOf(Error)
      expect(e.name).toBe(e._tag)
      expect(String(e)).toBe(`${e._tag}: ${e.message}`)
      expect(util.inspect(e)).toContain(`${e._tag}: ${e.message}`)
    }
  })

  it("no field shadows name, stack or cause; `message` only where it is the message itself", () => {
    for (const e of all) {
      const fields = Object.keys(e)
      expect(fields).not.toContain("name")
      expect(fields).not.toContain("stack")
      expect(fields).not.toContain("cause")
      if (fields.includes("message")) expect(["InvalidInput", "UsageError"]).toContain(e._tag)
    }
  })

  it("library messages name no CLI command or flag; the CLI adds its hints at the edge", () => {
    for (const e of all) {
      expect(e.message).not.toMatch(/fazt remote|--[a-z]/)
    }
    expect(samples.InvalidFolder.message).toBe("folder ./site does not exist")
    expect(samples.UnzippableFile.message).toBe("cannot read a/b.txt: it vanished while the site was being zipped")
    expect(samples.InvalidToken.message).toBe("the token from standard input was refused: it may only hold visible ASCII characters")
    expect(samples.PeerNotFound.message).toBe("peer 'ghost' not found")
    expect(cliHint(samples.PeerNotFound)).toBe(" (run 'fazt remote' to list peers)")
    expect(cliHint(samples.PlainHttpRefused)).toBe(": use an https URL, or pass --insecure")
    expect(cliHint(samples.PeerUnauthorized)).toContain("fazt remote set-token zyt")
    expect(cliHint(samples.PeerProtocolError)).toContain("fazt remote set-url zyt <url>")
    expect(cliHint(new PeerProtocolError({ peer: "zyt", status: 200, reason: "garbage" }))).toBe("")
    expect(cliHint(new InvalidPeerUrl({ url: "x", reason: "not an absolute URL" }))).toBe("")
    expect(Object.keys(exitCodes).sort()).toEqual(Object.keys(samples).sort())
  })

  it("no message text in the library (src/domain, src/services) names a CLI command or flag", () => {
    const dir = path.join(__dirname, "../../src")
    const files = ["domain", "services"].flatMap((d) =>
      fs.readdirSync(path.join(dir, d)).filter((f) => f.endsWith(".ts")).map((f) => path.join(dir, d, f))
    )
    for (const file of files) {
      const code = fs.readFileSync(file, "utf8").split("\n").filter((l) => !/^\s*(\/\/|\*|\/\*\*)/.test(l)).join("\n")
      expect(code, file).not.toMatch(/['"`][^'"`\n]*(?:'fazt (?:remote|server)|\bpass --|\buse --|\(use --)/)
    }
  })

  it.effect("a failure caught by tag carries the field the host asked about", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(Effect.fail(samples.PeerNotFound))
      const failure = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : undefined
      expect(failure?._tag === "Some" && failure.value.peer).toBe("ghost")
      const caught = yield* Effect.fail(samples.PeerNotFound).pipe(
        Effect.catchTag("PeerNotFound", (e) => Effect.succeed(`missing ${e.peer}`))
      )
      expect(caught).toBe("missing ghost")
      // Redacted is what errors would print if one ever carried a token.
      expect(String(Redacted.make("fzt_secret"))).toBe("<redacted>")
    }))
})

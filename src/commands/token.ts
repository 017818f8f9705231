import * as Options from "@effect/cli/Options"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { InvalidInput, InvalidToken, UsageError } from "../domain/errors.js"
import { MAX_TOKEN_LENGTH, tokenProblem } from "../domain/Peer.js"
import type { GlobalFlags } from "./globals.js"
import { warn } from "./output.js"
import { write } from "./stdio.js"

export const tokenOptions = {
  token: Options.text("token").pipe(
    Options.withDescription("API key of the peer (prefer --token-stdin or FAZT_TOKEN: flags land in shell history)"),
    Options.optional
  ),
  tokenStdin: Options.boolean("token-stdin").pipe(Options.withDescription("Read the API key from standard input"))
}

// A token and its surrounding whitespace; more is not a token, and is not read into memory.
const STDIN_LIMIT = MAX_TOKEN_LENGTH + 1024

const readStdin = Effect.async<string, InvalidInput | InvalidToken>((resume) => {
  const chunks: Array<Buffer> = []
  let size = 0
  const stdin = process.stdin
  const stop = () => {
    stdin.off("data", onData).off("end", onEnd).off("error", onError)
    stdin.pause()
  }
  const onData = (c: Buffer) => {
    chunks.push(c)
    size += c.length
    if (size > STDIN_LIMIT) {
      stop()
      resume(Effect.fail(new InvalidToken({ source: "standard input", reason: `over ${STDIN_LIMIT} bytes, that is not a token` })))
    }
  }
  const onEnd = () => resume(Effect.succeed(Buffer.concat(chunks).toString("utf8")))
  const onError = (e: Error) => resume(Effect.fail(new InvalidInput({ message: `cannot read standard input: ${e.message}` })))
  stdin.on("data", onData).once("end", onEnd).once("error", onError)
  return Effect.sync(stop)
})

/**
 * `--token-stdin` at a terminal: a prompt on stderr and the key read with echo
 * off, up to Enter (as `docker login --password-stdin`'s sibling prompt and gh's
 * "Paste your authentication token" do). Ctrl-C stops as it does anywhere (exit 130).
 */
const readHidden = (prompt: string) =>
  Effect.async<string>((resume) => {
    const stdin = process.stdin
    let text = ""
    const stop = () => {
      stdin.off("data", onData)
      if (stdin.isTTY) stdin.setRawMode(false)
      stdin.pause()
    }
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString("utf8")) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") {
          stop()
          write(2, "\n")
          return resume(Effect.succeed(text))
        }
        if (ch === "\u0003") {
          stop()
          write(2, "\n")
          // Raw mode turns Ctrl-C into a byte: send the signal it would have been.
          process.kill(process.pid, "SIGINT")
          return
        }
        if (ch === "\u007f" || ch === "\b") text = text.slice(0, -1)
        else if (ch >= " ") text += ch
      }
    }
    write(2, prompt)
    stdin.setRawMode(true)
    stdin.on("data", onData)
    stdin.resume()
    return Effect.sync(stop)
  })

const checked = (source: string, token: string): Effect.Effect<Option.Option<Redacted.Redacted<string>>, InvalidToken> => {
  const problem = tokenProblem(token)
  return problem === undefined
    ? Effect.succeed(Option.some(Redacted.make(token)))
    : Effect.fail(new InvalidToken({ source, reason: problem }))
}

/**
 * The token from `--token`, `--token-stdin` or `FAZT_TOKEN`, in that order of
 * the flags given; none at all is `None`. Surrounding whitespace (a trailing
 * newline) is dropped; anything but visible ASCII inside is refused (exit 2).
 */
export const readToken = (flags: {
  readonly token: Option.Option<string>
  readonly tokenStdin: boolean
}, peer?: string): Effect.Effect<Option.Option<Redacted.Redacted<string>>, UsageError | InvalidInput | InvalidToken, GlobalFlags> =>
  Effect.gen(function* () {
    if (Option.isSome(flags.token) && flags.tokenStdin) {
      return yield* new UsageError({ message: "give the token either with --token or with --token-stdin, not both" })
    }
    const fromFlag = Option.map(flags.token, (t) => t.trim())
    if (Option.isSome(fromFlag)) {
      if (fromFlag.value === "") return yield* new InvalidToken({ source: "--token", reason: "it is empty" })
      const token = yield* checked("--token", fromFlag.value)
      // As docker login warns: a flag's value sits in `ps` while we run, and in shell history.
      yield* warn("--token puts the key in your shell history and in 'ps' while fazt runs; prefer --token-stdin or FAZT_TOKEN")
      return token
    }
    if (flags.tokenStdin) {
      const text = (process.stdin.isTTY === true
        ? yield* readHidden(`Paste the API key${peer === undefined ? "" : ` for '${peer}'`} (input is hidden): `)
        : yield* readStdin).trim()
      if (text === "" || /\s/.test(text)) {
        return yield* new InvalidToken({ source: "standard input", reason: "expected exactly one token" })
      }
      return yield* checked("standard input", text)
    }
    const env = yield* Config.option(Config.redacted("FAZT_TOKEN")).pipe(Effect.orDie)
    const fromEnv = Option.filter(Option.map(env, (t) => Redacted.value(t).trim()), (t) => t !== "")
    return Option.isSome(fromEnv) ? yield* checked("FAZT_TOKEN", fromEnv.value) : Option.none()
  })

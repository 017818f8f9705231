import { Options } from "@effect/cli"
import { Config, Effect, Option, Redacted } from "effect"
import { InvalidInput } from "../domain/errors.js"

export const tokenOptions = {
  token: Options.text("token").pipe(
    Options.withDescription("API key of the peer (prefer --token-stdin or FAZT_TOKEN: flags land in shell history)"),
    Options.optional
  ),
  tokenStdin: Options.boolean("token-stdin").pipe(Options.withDescription("Read the API key from standard input"))
}

const readStdin = Effect.async<string, InvalidInput>((resume) => {
  const chunks: Array<Buffer> = []
  const stdin = process.stdin
  const onData = (c: Buffer) => chunks.push(c)
  const onEnd = () => resume(Effect.succeed(Buffer.concat(chunks).toString("utf8")))
  const onError = (e: Error) => resume(Effect.fail(new InvalidInput({ message: `cannot read standard input: ${e.message}` })))
  stdin.on("data", onData).once("end", onEnd).once("error", onError)
  return Effect.sync(() => {
    stdin.off("data", onData).off("end", onEnd).off("error", onError)
    stdin.pause()
  })
})

/**
 * The token from `--token`, `--token-stdin` or `FAZT_TOKEN`, in that order of
 * the flags given; none at all is `None`.
 */
export const readToken = (flags: {
  readonly token: Option.Option<string>
  readonly tokenStdin: boolean
}): Effect.Effect<Option.Option<Redacted.Redacted<string>>, InvalidInput> =>
  Effect.gen(function* () {
    if (Option.isSome(flags.token) && flags.tokenStdin) {
      return yield* new InvalidInput({ message: "give the token either with --token or with --token-stdin, not both" })
    }
    const fromFlag = Option.map(flags.token, (t) => t.trim())
    if (Option.isSome(fromFlag)) {
      if (fromFlag.value === "") return yield* new InvalidInput({ message: "--token is empty" })
      return Option.map(fromFlag, Redacted.make)
    }
    if (flags.tokenStdin) {
      const text = (yield* readStdin).trim()
      if (text === "" || /\s/.test(text)) {
        return yield* new InvalidInput({ message: "--token-stdin expects exactly one token on standard input" })
      }
      return Option.some(Redacted.make(text))
    }
    const env = yield* Config.option(Config.redacted("FAZT_TOKEN")).pipe(Effect.orDie)
    return Option.map(Option.filter(Option.map(env, (t) => Redacted.value(t).trim()), (t) => t !== ""), Redacted.make)
  })

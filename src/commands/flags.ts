import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Effect from "effect/Effect"

/**
 * How the CLI's flags are built: each with its help line, and a value flag
 * with its default and the check of its value, so a bad value stops the parse
 * itself (a usage error, exit 2) instead of a check after it.
 */

/** A value flag's text read as a value, or undefined when it does not fit. */
export type Reader<A> = (text: string) => A | undefined

const refuse = (flag: string, text: string, expected: string) =>
  ValidationError.invalidValue(HelpDoc.p(`--${flag} ${text}: expected ${expected}`))

/** `--name VALUE`, `fallback` when absent; a value `read` refuses fails as `--name VALUE: expected <expected>`. */
export const valueFlag = <A>(
  name: string,
  spec: { readonly description: string; readonly fallback: string; readonly read: Reader<A>; readonly expected: string }
): Options.Options<A> =>
  Options.text(name).pipe(
    Options.withDescription(spec.description),
    Options.withDefault(spec.fallback),
    Options.mapEffect((text) => {
      const value = spec.read(text)
      return value === undefined ? Effect.fail(refuse(name, text, spec.expected)) : Effect.succeed(value)
    })
  )

/** An on/off switch. */
export const switchFlag = (name: string, description: string): Options.Options<boolean> =>
  Options.boolean(name).pipe(Options.withDescription(description))

/** `--name TEXT`, absent by default; an empty or blank value fails with `--name is empty: <whenEmpty>`. */
export const optionalText = (name: string, description: string, whenEmpty?: string) =>
  Options.text(name).pipe(
    Options.withDescription(description),
    Options.mapEffect((text) =>
      whenEmpty !== undefined && text.trim() === ""
        ? Effect.fail(ValidationError.invalidValue(HelpDoc.p(`--${name} is empty: ${whenEmpty}`)))
        : Effect.succeed(text)
    ),
    Options.optional
  )

/** A whole number from `min` to `max`. */
export const integerIn = (min: number, max: number): Reader<number> => (text) => {
  if (!/^\s*[+-]?\d+\s*$/.test(text)) return undefined
  const n = Number(text)
  return n >= min && n <= max ? n : undefined
}

const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?$/i

/** `100MB`, `512k`, `1.5G`, a bare number of bytes; binary units. */
export const parseSize = (input: string): number | undefined => {
  const m = SIZE.exec(input.trim())
  if (!m) return undefined
  const unit = (m[2] ?? "b").toLowerCase()
  const factor = unit.startsWith("g") ? 1024 ** 3 : unit.startsWith("m") ? 1024 ** 2 : unit.startsWith("k") ? 1024 : 1
  return Math.floor(Number(m[1]) * factor)
}

/** A size of at least one byte. */
export const positiveSize: Reader<number> = (text) => {
  const bytes = parseSize(text)
  return bytes !== undefined && bytes > 0 && Number.isSafeInteger(bytes) ? bytes : undefined
}

/** `--name VALUE`, absent by default; a value not among `choices` fails as `--name VALUE: expected a or b`. */
export const optionalChoice = <C extends string>(name: string, description: string, choices: ReadonlyArray<C>) =>
  Options.text(name).pipe(
    Options.withDescription(description),
    Options.mapEffect((text) =>
      (choices as ReadonlyArray<string>).includes(text)
        ? Effect.succeed(text as C)
        : Effect.fail(refuse(name, text, choices.join(" or ")))
    ),
    Options.optional
  )

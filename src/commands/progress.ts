import { Effect, Stream } from "effect"
import { formatBytes } from "./output.js"

/**
 * Counts the bytes of an upload and, when stderr is a terminal, redraws one
 * line with the amount and rate; silent otherwise (pipes, CI, scripts).
 */
export const withUploadProgress = <E>(
  label: string,
  stream: Stream.Stream<Uint8Array, E>
): Stream.Stream<Uint8Array, E> => {
  if (!process.stderr.isTTY) return stream
  return Stream.suspend(() => {
    const started = Date.now()
    let sent = 0
    let drawn = 0
    const draw = (final: boolean) => {
      const seconds = Math.max(0.001, (Date.now() - started) / 1000)
      process.stderr.write(`\r\x1b[2K${label}: ${formatBytes(sent)} sent, ${formatBytes(Math.round(sent / seconds))}/s${final ? "\n" : ""}`)
    }
    return stream.pipe(
      Stream.tap((chunk) =>
        Effect.sync(() => {
          sent += chunk.length
          if (Date.now() - drawn > 100) {
            drawn = Date.now()
            draw(false)
          }
        })
      ),
      Stream.ensuring(Effect.sync(() => draw(true)))
    )
  })
}

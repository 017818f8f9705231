import * as ValidationError from "@effect/cli/ValidationError"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Match from "effect/Match"
import * as Option from "effect/Option"
import type { FaztError } from "../domain/errors.js"
import { maskTokensIn } from "../domain/Peer.js"
import { escapeControl, jsonLine } from "./output.js"

/** The exit-code contract with scripts (README, docs/JSON.md). The only place codes are chosen. */
export const exitCodes: { readonly [K in FaztError["_tag"]]: number } = {
  UsageError: 2,
  InvalidPeerName: 2,
  InvalidPeerUrl: 2,
  InvalidInput: 2,
  InvalidToken: 2,
  InvalidFolder: 2,
  UnzippableFile: 2,
  ListenFailed: 2,
  PlainHttpRefused: 2,
  UnusableToken: 2,
  PeerNotFound: 3,
  NoPeers: 3,
  NoDefaultPeer: 3,
  PeerAlreadyExists: 4,
  NodeAlreadyRunning: 4,
  PeerUnreachable: 5,
  PeerUnauthorized: 6,
  PeerApiError: 7,
  PeerProtocolError: 7,
  DatabaseError: 8,
  /** Output that could not be written is never success (README "Output and exit codes"). */
  OutputLost: 9,
  BuildFailed: 10
}

export const EXIT_DEFECT = 1
export const EXIT_USAGE = 2
export const EXIT_INTERRUPTED = 130
/** Stopped by SIGTERM (128 + 15), as a shell reports a process the signal killed. */
export const EXIT_TERMINATED = 143

const isFaztError = (e: unknown): e is FaztError =>
  typeof e === "object" && e !== null && "_tag" in e && typeof e._tag === "string" && e._tag in exitCodes

export const exitCodeOf = (exit: Exit.Exit<unknown, unknown>): number => {
  if (Exit.isSuccess(exit)) return 0
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure)) {
    if (isFaztError(failure.value)) return exitCodes[failure.value._tag]
    if (ValidationError.isValidationError(failure.value)) return EXIT_USAGE
    return EXIT_DEFECT
  }
  if (Cause.isInterruptedOnly(exit.cause)) return EXIT_INTERRUPTED
  return EXIT_DEFECT
}

const none = () => ""
/**
 * What to type next, added to the library's message at the CLI's edge: a host
 * program embedding the services gets the message alone.
 */
export const cliHint: (e: FaztError) => string = Match.type<FaztError>().pipe(
  Match.tagsExhaustive({
    PeerNotFound: () => " (run 'fazt remote' to list peers)",
    PeerAlreadyExists: () => " (use 'fazt remote set-url' or 'fazt remote set-token' to change it)",
    NoPeers: () => ": add one with 'fazt remote add <name> <url> --token-stdin'",
    NoDefaultPeer: () => ": name one, or run 'fazt remote default <name>'",
    // A path that wants a browser session is not the key's fault.
    PeerUnauthorized: (e) => e.scope === "key" ? `; set a new key with 'fazt remote set-token ${e.peer}'` : "",
    UnusableToken: (e) => `; replace it with 'fazt remote set-token ${e.peer} --token-stdin'`,
    PlainHttpRefused: () => ": use an https URL, or pass --insecure",
    InvalidPeerUrl: (e) => e.peer === undefined ? "" : `; fix it with 'fazt remote set-url ${e.peer} <url>'`,
    PeerProtocolError: (e) =>
      e.status >= 300 && e.status < 400 ? `; if the node moved, run 'fazt remote set-url ${e.peer} <url>'` : "",
    // 413: the upload is over the node's limit (fazt's is about 100 MB); sending it again would not help.
    // Our node names the flag of the limit it applied (--max-files, --max-unpacked, …); only another node's gets the upload flag.
    PeerApiError: (e) =>
      e.status !== 413
        ? ""
        : /--max-[a-z-]+/.test(e.reason)
        ? " (the deploy is too large for the node: ship fewer or smaller files)"
        : " (the deploy is too large for the node: ship fewer or smaller files; a 'fazt server start' node takes --max-upload)",
    ListenFailed: none,
    NodeAlreadyRunning: () => ": stop it first, or give this one another --db",
    UsageError: none,
    InvalidPeerName: none,
    InvalidInput: none,
    InvalidToken: none,
    InvalidFolder: none,
    UnzippableFile: none,
    BuildFailed: (e) => e.step === "tool" || e.step === "output" ? "; --no-build deploys the folder as it is" : "",
    PeerUnreachable: none,
    DatabaseError: none,
    OutputLost: none
  })
)

/** `PeerNotFound` → `PEER_NOT_FOUND`: the wire's error-code style; a mistake on the command line is plain `USAGE`. */
export const errorCode = (tag: string): string =>
  tag === "UsageError" ? "USAGE" : tag.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()

const details = (e: FaztError): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(e)) if (k !== "_tag") out[k] = v
  return out
}

/** Prints a failed run: one line, or the JSON envelope. No stack traces. */
export const reportFailure = (cause: Cause.Cause<unknown>, json: boolean): Effect.Effect<void> => {
  if (Cause.isInterruptedOnly(cause)) return Effect.void
  const failure = Cause.failureOption(cause)
  // @effect/cli already printed its own one-line parse error.
  if (Option.isSome(failure) && ValidationError.isValidationError(failure.value)) return Effect.void
  let code = "INTERNAL"
  let message: string
  let extra: Record<string, unknown> | undefined
  if (Option.isSome(failure) && isFaztError(failure.value)) {
    code = errorCode(failure.value._tag)
    message = failure.value.message + cliHint(failure.value)
    extra = details(failure.value)
  } else {
    const squashed = Cause.squash(cause)
    const text = squashed instanceof Error ? squashed.message : String(squashed)
    message = `internal error: ${text.split("\n")[0]}`
  }
  // Whatever was typed is echoed in errors; a key typed in the wrong place never is (`fzt_…e3f`).
  return json
    ? Console.error(maskTokensIn(jsonLine({ error: { code, message, ...(extra ? { details: extra } : {}) } })))
    : Console.error(maskTokensIn(`error: ${escapeControl(message)}`))
}

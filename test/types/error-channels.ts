// Type-level tests, compiled by tsc (`npm run typecheck`, and test/types.test.ts):
// each PeerClient method's error channel is exactly what it can fail with.
// A line here that stops compiling is a test that failed.
import * as Effect from "effect/Effect"
import type {
  ArchiveError,
  InvalidFolder,
  InvalidPeerName,
  PeerClient,
  PeerDeployError,
  PeerRequestError,
  UnzippableFile
} from "fazt-remote"

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false
type ErrorOf<K extends keyof PeerClient.Service> = PeerClient.Service[K] extends (...args: any) => Effect.Effect<any, infer E, any> ? E
  : never

// A health check cannot fail with an archive error: a host handling every error of `status` never sees InvalidFolder.
export const statusHasNoArchiveErrors: Equals<Extract<ErrorOf<"status">, ArchiveError>, never> = true
export const statusHasNoInvalidFolder: Equals<Extract<ErrorOf<"status">, InvalidFolder | UnzippableFile>, never> = true
export const statusIsARequestError: Equals<ErrorOf<"status">, PeerRequestError> = true
export const appsIsARequestError: Equals<ErrorOf<"apps">, PeerRequestError> = true
export const upgradeIsARequestError: Equals<ErrorOf<"upgrade">, PeerRequestError> = true
export const removeAppIsARequestError: Equals<ErrorOf<"removeApp">, PeerRequestError> = true
export const commandIsARequestError: Equals<ErrorOf<"command">, PeerRequestError> = true
export const deployAddsTheArchive: Equals<ErrorOf<"deploy">, PeerRequestError | ArchiveError> = true
export const deployFolderAddsTheName: Equals<ErrorOf<"deployFolder">, PeerDeployError | InvalidPeerName> = true
// Many peers: each peer's error is a deploy's, no wider.
export const deployFolderToPerPeer: Equals<
  PeerClient.Service["deployFolderTo"] extends (...args: any) => Effect.Effect<{ readonly results: ReadonlyArray<{ readonly result: infer R }> }, any, any> ? R extends import("effect/Either").Either<any, infer L> ? L : never : never,
  PeerDeployError | InvalidPeerName
> = true
// No database error on any call: recording the outcome never fails one.
export const noDatabaseError: Equals<Extract<ErrorOf<"status" | "apps" | "deploy" | "deployFolder">, { _tag: "DatabaseError" }>, never> = true

// What a host writes: handling each tag of `status` leaves nothing unhandled, without an InvalidFolder case.
export const healthCheck = (client: PeerClient.Service, peer: Parameters<PeerClient.Service["status"]>[0]) =>
  client.status(peer).pipe(
    Effect.map((h) => h.status),
    Effect.catchTags({
      PeerUnreachable: () => Effect.succeed("unreachable"),
      PeerUnauthorized: () => Effect.succeed("unauthorized"),
      PeerApiError: () => Effect.succeed("error"),
      PeerProtocolError: () => Effect.succeed("error"),
      InvalidPeerUrl: () => Effect.succeed("bad url"),
      PlainHttpRefused: () => Effect.succeed("plain http"),
      UnusableToken: () => Effect.succeed("bad token")
    })
  )
export const healthCheckCannotFail: Equals<Effect.Effect.Error<ReturnType<typeof healthCheck>>, never> = true

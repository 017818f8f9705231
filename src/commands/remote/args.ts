import * as Args from "@effect/cli/Args"

/** A peer name as stored: any row in the table, validated or not. */
export const peerName = Args.text({ name: "name" }).pipe(Args.withDescription("The peer's name"))
export const optionalPeerName = peerName.pipe(
  Args.withDescription("The peer's name (default: the default peer)"),
  Args.optional
)

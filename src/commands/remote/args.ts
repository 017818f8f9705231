import * as Args from "@effect/cli/Args"
import { storedPeer } from "../spec.js"

/**
 * A peer name as stored: any row in the table, validated or not. Marked
 * `storedPeer`: completion offers the peers' names for it, and `fazt @name
 * verb` puts the name there when it is the verb's first argument.
 */
export const peerName = storedPeer(Args.text({ name: "name" })).pipe(Args.withDescription("The peer's name"))
export const optionalPeerName = peerName.pipe(
  Args.withDescription("The peer's name (default: the default peer)"),
  Args.optional
)

// `npm run bench`: prints each figure with what it is compared against.
import { fleetStatus } from "./fleet.mjs"

const fleet = await fleetStatus()
console.log(`fleet status  30 peers @400 ms + 1 dead  median ${fleet.all.toFixed(0)} ms  (one peer: ${fleet.one.toFixed(0)} ms, +${(fleet.all - fleet.one).toFixed(0)} ms)  exit ${fleet.code}`)

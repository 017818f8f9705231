import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/**
 * A layer whose implementation module is loaded when the layer is built, not
 * when the file that composes it is imported: `lazyLayer(() => import("./X.js"), (m) => m.layer)`.
 *
 * How fazt remote defers loading its own code. Only the composition roots
 * use it (`commands/layers.ts` for the CLI's verbs, `commands/server/start.ts`
 * for the node's HTTP server, `FaztRemote.ts` for hosts; `npm run lint`
 * refuses an `import()` of our own code anywhere else, and the one exception,
 * NodeSites' zip reader, says why), so a Tag module never imports its
 * implementation, nothing imports back the module that loads it, and each
 * verb loads exactly the implementations its layer names: `remote` (listing)
 * loads no HTTP client, `status` no zip writer.
 */
export const lazyLayer = <M, ROut, E = never, RIn = never>(
  load: () => Promise<M>,
  pick: (module: M) => Layer.Layer<ROut, E, RIn>
): Layer.Layer<ROut, E, RIn> => Layer.unwrapEffect(Effect.map(Effect.promise(load), pick))

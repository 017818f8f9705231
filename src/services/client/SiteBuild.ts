import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { BuildFailed, InvalidFolder } from "../../domain/errors.js"

/** The package managers fazt v0.29 builds with (`internal/build/pkgmgr.go`), in its order of preference. */
export type PackageManagerName = "bun" | "pnpm" | "yarn" | "npm"

/** The folders a build leaves its site in, in the order fazt looks (`findBuildOutput`): the first with an index.html or manifest.json. */
export const BUILD_OUTPUTS: ReadonlyArray<string> = ["dist", "build", "out", ".output"]

/**
 * What a deploy of a folder would build, decided without running anything:
 * - `source`: no `build` script in package.json (or no package.json): the folder ships as it is;
 * - `skipped`: `--no-build`: the folder ships as it is;
 * - `build`: the script runs with `packageManager` (after an install when `node_modules` is missing);
 * - `existing`: a build script but no package manager on PATH: the build output already there ships.
 */
export interface BuildPlan {
  /** The source folder, absolute. */
  readonly folder: string
  readonly method: "source" | "skipped" | "build" | "existing"
  /** The `build` script's command line, when there is one. */
  readonly script: string | null
  readonly packageManager: PackageManagerName | null
  /** The lock file that chose the package manager (`pnpm-lock.yaml`), or null when none did. */
  readonly lockFile: string | null
  /** `node_modules` is missing: `<pm> install` runs first. */
  readonly install: boolean
  /** For `existing`: the output folder found (`dist`); null otherwise (a build decides it). */
  readonly output: string | null
  /** Things worth a line: a lock file naming a package manager that is not on PATH, … */
  readonly notes: ReadonlyArray<string>
}

/** What a build gave: the folder to ship. */
export interface BuildOutcome {
  readonly plan: BuildPlan
  /** The folder to ship, absolute: the source folder, or its build output. */
  readonly deployFolder: string
  /** The output folder's name inside the source folder (`dist`), null when the source ships. */
  readonly output: string | null
  readonly installed: boolean
  /** How long the install and build took, in ms (0 when nothing ran). */
  readonly ms: number
}

export interface BuildOptions {
  /** Each line the install and build print (stdout and stderr, as they come). */
  readonly onLine?: ((line: string) => void) | undefined
  /** Each command as it starts (`npm install`, `npm run build`). */
  readonly onStep?: ((command: string) => void) | undefined
  /** fazt sets `VITE_SPA_ROUTING=true` for an SPA build (cmd/server/app.go). */
  readonly spa?: boolean | undefined
}

export declare namespace SiteBuild {
  export interface Service {
    /** What a deploy of `dir` would build; runs nothing (`--dry-run` shows it). */
    readonly plan: (dir: string, options?: { readonly noBuild?: boolean }) => Effect.Effect<BuildPlan, BuildFailed | InvalidFolder>
    /**
     * Runs the plan: install when needed, then the build script; the child
     * processes are stopped (their whole process group) when interrupted.
     */
    readonly run: (plan: BuildPlan, options?: BuildOptions) => Effect.Effect<BuildOutcome, BuildFailed>
  }
}

/** The build step of fazt's `app deploy`; the implementation (`SiteBuildProcess.layer`) is loaded only by deploy's layer. */
export class SiteBuild extends Context.Tag("fazt/SiteBuild")<SiteBuild, SiteBuild.Service>() {}

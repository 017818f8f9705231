// Stand-in for modules the CLI bundle never calls (@effect/cli's config-file
// parsers, effect's property-testing support): they cost start-up time to
// parse, so the bundle carries this instead. Any use is a bug and says so.
const fail = () => {
  throw new Error("fazt: a module left out of the bundle was used")
}
module.exports = new Proxy(fail, { get: (_t, key) => (key === "__esModule" ? false : key === "default" ? module.exports : fail) })

// Preloaded (`node --require`) into a deploy under the benchmark: counts how
// often a file under FAZT_BENCH_FOLDER is opened and how many bytes are read
// from those files, and prints both on stderr at exit. "The folder is read
// once" means: each file opened once, its bytes read once.
const fs = require("node:fs")
const root = process.env.FAZT_BENCH_FOLDER
if (root) {
  let opens = 0
  let bytes = 0
  const fds = new Set()
  const inside = (p) => typeof p === "string" && p.startsWith(root)
  const openSync = fs.openSync
  fs.openSync = function (p, ...rest) {
    const fd = openSync.call(this, p, ...rest)
    if (inside(p)) {
      opens++
      fds.add(fd)
    }
    return fd
  }
  const readSync = fs.readSync
  fs.readSync = function (fd, ...rest) {
    const n = readSync.call(this, fd, ...rest)
    if (fds.has(fd)) bytes += n
    return n
  }
  const closeSync = fs.closeSync
  fs.closeSync = function (fd) {
    fds.delete(fd)
    return closeSync.call(this, fd)
  }
  const read = fs.read
  fs.read = function (fd, ...rest) {
    const callback = rest[rest.length - 1]
    if (fds.has(fd) && typeof callback === "function") {
      rest[rest.length - 1] = (e, n, ...more) => {
        if (!e) bytes += n
        callback(e, n, ...more)
      }
    }
    return read.call(this, fd, ...rest)
  }
  const close = fs.close
  fs.close = function (fd, ...rest) {
    fds.delete(fd)
    return close.call(this, fd, ...rest)
  }
  const open = fs.open
  fs.open = function (p, ...rest) {
    if (inside(p)) opens++
    return open.call(this, p, ...rest)
  }
  const popen = fs.promises.open
  fs.promises.open = function (p, ...rest) {
    if (inside(p)) opens++
    return popen.call(this, p, ...rest)
  }
  process.on("exit", () => process.stderr.write(`bench-folder-reads opens=${opens} bytes=${bytes}\n`))
}

import { spawn } from "node:child_process"
import { createRequire } from "node:module"

const require = createRequire(import.meta.url)
const sqlitePath = require.resolve("better-sqlite3")

/**
 * Another process that holds the database's write lock for `ms`; resolves
 * once the lock is taken, with a promise for the holder's exit.
 */
export const holdWriteLock = (file: string, ms: number) =>
  new Promise<{ done: Promise<void>; release: () => Promise<void> }>((resolve, reject) => {
    const script = `
      const Sqlite = require(${JSON.stringify(sqlitePath)})
      const db = new Sqlite(${JSON.stringify(file)})
      db.exec("BEGIN IMMEDIATE")
      process.stdout.write("locked\\n")
      setTimeout(() => { db.exec("ROLLBACK"); db.close() }, ${ms})
    `
    const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] })
    const done = new Promise<void>((r) => child.on("exit", () => r()))
    const release = () => {
      child.kill("SIGKILL")
      return done
    }
    child.stdout.setEncoding("utf8").once("data", () => resolve({ done, release }))
    child.on("error", reject)
  })

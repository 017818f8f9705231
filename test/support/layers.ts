import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Database } from "../../src/services/db/Database.js"

/** A fresh database file in its own temp folder. */
export const tempDbFile = (): string =>
  path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fazt-db-")), "data.db")

export const freshDatabase = () => Database.layer({ filename: tempDbFile() })

import Sqlite from "better-sqlite3"

/** Reads a database file directly, read-only, to check what a command left. */
export const query = <T = Record<string, unknown>>(file: string, sql: string, ...params: Array<unknown>): Array<T> => {
  const db = new Sqlite(file, { readonly: true, fileMustExist: true })
  try {
    return db.prepare(sql).all(...params) as Array<T>
  } finally {
    db.close()
  }
}

/** Every table's rows and every schema object, for before/after comparisons. */
export const snapshot = (file: string, except: ReadonlyArray<string> = []): Record<string, unknown> => {
  const schema = query<{ type: string; name: string; tbl_name: string; sql: string | null }>(
    file,
    "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
  )
  const out: Record<string, unknown> = { schema: schema.filter((s) => !except.includes(s.tbl_name)) }
  for (const t of schema.filter((s) => s.type === "table" && !except.includes(s.name))) {
    out[`rows:${t.name}`] = query(file, `SELECT * FROM "${t.name}" ORDER BY rowid`)
  }
  return out
}

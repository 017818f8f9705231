-- A file's SHA-256 (hex), computed while it is stored: its ETag, as fazt's
-- files.hash is (internal/hosting/handler.go). NULL for files stored before.
ALTER TABLE fazt_remote_files ADD COLUMN hash TEXT;

-- Which node process stages a deploy ("<host>:<pid>:<process start>"), so the
-- cleanup at start removes only unfinished deploys whose writer is gone.
-- NULL for deploys staged before: treated as gone.
ALTER TABLE fazt_remote_deploys ADD COLUMN writer TEXT;

-- The node serving this file, for the message a second node gets: the
-- lock itself is `<database>-node.lock` (see src/services/node/NodeLock.ts).
CREATE TABLE IF NOT EXISTS fazt_remote_node (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    url TEXT,
    started_at TEXT NOT NULL DEFAULT (datetime('now'))
);

-- Sites deployed to the local node, in tables whose names fazt does not use,
-- so the file stays one fazt accepts. A deploy stages its files under a new
-- deploy id, then one short transaction points the site at it and drops the
-- old files: a reader sees the old site or the new one, never a mix.
CREATE TABLE IF NOT EXISTS fazt_remote_sites (
    name TEXT PRIMARY KEY,
    id TEXT NOT NULL,
    spa INTEGER NOT NULL DEFAULT 0,
    deploy_id INTEGER NOT NULL,
    file_count INTEGER NOT NULL DEFAULT 0,
    size_bytes INTEGER NOT NULL DEFAULT 0,
    created_at TEXT DEFAULT (datetime('now')),
    updated_at TEXT DEFAULT (datetime('now'))
);

-- complete = 0 while staging; rows left at 0 by a crash are removed at start.
CREATE TABLE IF NOT EXISTS fazt_remote_deploys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site TEXT NOT NULL,
    complete INTEGER NOT NULL DEFAULT 0,
    created_at TEXT DEFAULT (datetime('now'))
);

CREATE TABLE IF NOT EXISTS fazt_remote_files (
    deploy_id INTEGER NOT NULL,
    path TEXT NOT NULL,
    content BLOB NOT NULL,
    size_bytes INTEGER NOT NULL,
    mime_type TEXT NOT NULL,
    PRIMARY KEY (deploy_id, path)
);

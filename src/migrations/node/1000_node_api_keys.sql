-- The local node's API keys, in fazt's own table and DDL (fazt's migration 2
-- also creates it IF NOT EXISTS), so keys made by fazt authenticate here and
-- fazt can still migrate the file later.
CREATE TABLE IF NOT EXISTS api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL, -- e.g. "Friend Bob"
    key_hash TEXT NOT NULL, -- bcrypt hash of the token
    scopes TEXT, -- JSON array e.g. ["deploy:blog", "read:stats"]
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    last_used_at DATETIME
);

CREATE INDEX IF NOT EXISTS idx_api_keys_key_hash ON api_keys(key_hash);

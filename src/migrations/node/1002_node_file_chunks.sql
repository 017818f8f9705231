-- A file larger than one chunk is stored in pieces of at most 1 MiB, so the
-- node never holds a whole large file in memory to store or to serve it
-- (a BLOB is always read whole). Such a file keeps an empty `content` in
-- fazt_remote_files, with chunked = 1.
ALTER TABLE fazt_remote_files ADD COLUMN chunked INTEGER NOT NULL DEFAULT 0;

CREATE TABLE IF NOT EXISTS fazt_remote_chunks (
    deploy_id INTEGER NOT NULL,
    path TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (deploy_id, path, seq)
);

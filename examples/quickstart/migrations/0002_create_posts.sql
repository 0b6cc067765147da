-- DEPENDS: 0001_create_users.sql
CREATE TABLE posts (
    id        INTEGER PRIMARY KEY,
    author_id INTEGER NOT NULL REFERENCES users (id),
    title     TEXT NOT NULL,
    body      TEXT NOT NULL DEFAULT '',
    updated_at TEXT
);

CREATE INDEX posts_author_id_idx ON posts (author_id);

-- A trigger body has semicolons of its own; the splitter keeps it in one statement.
CREATE TRIGGER posts_touch AFTER UPDATE OF body ON posts
BEGIN
    UPDATE posts SET updated_at = datetime('now') WHERE id = new.id;
END;

// Package cache is parity's response cache: a SQLite database (pure Go,
// modernc.org/sqlite) in WAL mode that maps a request key to the part of the
// model's response that scoring needs. Every batch of responses is committed
// the moment it arrives, so a run killed at any point resumes by sending only
// what is missing.
package cache

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Entry is one cached response.
type Entry struct {
	Key   string
	Value []byte
}

// Cache is safe for concurrent use.
type Cache struct {
	path string
	db   *sql.DB
	// SQLite allows one writer at a time; serialising writers here avoids
	// busy-retry loops inside the driver.
	writeMu sync.Mutex
}

const schema = `
CREATE TABLE IF NOT EXISTS responses (
	key        TEXT PRIMARY KEY,
	value      BLOB NOT NULL,
	created_at INTEGER NOT NULL DEFAULT (unixepoch())
) WITHOUT ROWID;
`

// Open opens (creating if needed) the cache database at path.
func Open(ctx context.Context, path string) (*Cache, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("cache %s: %w", path, err)
		}
	}
	// synchronous=NORMAL in WAL mode: a committed transaction survives the
	// process being killed (it is in the WAL file); only an OS crash can lose
	// the last commits, which a rerun then simply sends again.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("cache %s: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("cache %s: not a usable SQLite database: %w", path, err)
	}
	return &Cache{path: path, db: db}, nil
}

// Path is where the database lives.
func (c *Cache) Path() string { return c.path }

// Close closes the database.
func (c *Cache) Close() error { return c.db.Close() }

// maxVars stays well under SQLite's limit on bound parameters.
const maxVars = 500

// Get returns the cached values of those keys that are present.
func (c *Cache) Get(ctx context.Context, keys []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(keys))
	args := make([]any, 0, maxVars)
	for start := 0; start < len(keys); start += maxVars {
		end := min(start+maxVars, len(keys))
		args = args[:0]
		for _, k := range keys[start:end] {
			args = append(args, k)
		}
		q := "SELECT key, value FROM responses WHERE key IN (?" + strings.Repeat(",?", end-start-1) + ")"
		rows, err := c.db.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("cache %s: read: %w", c.path, err)
		}
		for rows.Next() {
			var k string
			var v []byte
			if err := rows.Scan(&k, &v); err != nil {
				rows.Close()
				return nil, fmt.Errorf("cache %s: read: %w", c.path, err)
			}
			out[k] = v
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("cache %s: read: %w", c.path, err)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("cache %s: read: %w", c.path, err)
		}
	}
	return out, nil
}

// Put stores entries in one transaction; when it returns nil they are durable.
func (c *Cache) Put(ctx context.Context, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	// The write must not be cut short by a cancelled run: a response that
	// arrived is worth keeping.
	ctx = context.WithoutCancel(ctx)
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("cache %s: write: %w", c.path, err)
	}
	stmt, err := tx.PrepareContext(ctx, "INSERT OR REPLACE INTO responses(key, value) VALUES(?, ?)")
	if err != nil {
		tx.Rollback()
		return fmt.Errorf("cache %s: write: %w", c.path, err)
	}
	for _, e := range entries {
		if _, err := stmt.ExecContext(ctx, e.Key, e.Value); err != nil {
			stmt.Close()
			tx.Rollback()
			return fmt.Errorf("cache %s: write: %w", c.path, err)
		}
	}
	stmt.Close()
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("cache %s: commit: %w", c.path, err)
	}
	return nil
}

// Len counts the cached responses.
func (c *Cache) Len(ctx context.Context) (int, error) {
	var n int
	err := c.db.QueryRowContext(ctx, "SELECT count(*) FROM responses").Scan(&n)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("cache %s: %w", c.path, err)
	}
	return n, nil
}

// Key hashes the parts that identify a response: the backend's identity
// (server, model, settings), the request kind and the exact request bytes.
func Key(backendID, kind string, request []byte) string {
	h := sha256.New()
	h.Write([]byte(backendID))
	h.Write([]byte{0})
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write(request)
	return hex.EncodeToString(h.Sum(nil))
}

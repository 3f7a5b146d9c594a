// Package backend opens the storage backend that a database URL names.
package backend

import (
	"context"
	"fmt"
	"strings"

	"github.com/patchbayhq/patchbay/internal/secrets"
	"github.com/patchbayhq/patchbay/internal/store/postgres"
	"github.com/patchbayhq/patchbay/internal/store/sqlite"
	"github.com/patchbayhq/patchbay/internal/store/sqlstore"
)

// IsPostgres reports whether url names a PostgreSQL database.
func IsPostgres(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

// SQLitePath returns the file named by a "sqlite:PATH" URL.
func SQLitePath(url string) (string, bool) {
	path, ok := strings.CutPrefix(url, "sqlite:")
	path = strings.TrimPrefix(path, "//")
	return path, ok && path != ""
}

// Open opens the database at url ("postgres://…" or "sqlite:PATH") and applies
// pending migrations. applied lists the migration versions this call applied.
func Open(ctx context.Context, url string, keys *secrets.Keyring) (s *sqlstore.Store, applied []int, err error) {
	switch path, isSQLite := SQLitePath(url); {
	case IsPostgres(url):
		s, err = postgres.Open(ctx, url, keys)
	case isSQLite:
		s, err = sqlite.Open(ctx, path, keys)
	default:
		return nil, nil, fmt.Errorf("database URL must start with postgres:// or sqlite:")
	}
	if err != nil {
		return nil, nil, err
	}
	applied, err = s.Migrate(ctx)
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return s, applied, nil
}

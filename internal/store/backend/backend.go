// Package backend opens the storage backend that a database URL names.
package backend

import (
	"context"
	"fmt"

	"github.com/patchbayhq/patchbay/internal/store/dburl"
	"github.com/patchbayhq/patchbay/internal/store/postgres"
	"github.com/patchbayhq/patchbay/internal/store/sqlite"
	"github.com/patchbayhq/patchbay/internal/store/sqlstore"
)

// Open opens the database at url ("postgres://…" or "sqlite:PATH") with o's
// keys, clock and wrap, and applies pending migrations. applied lists the
// migration versions this call applied.
func Open(ctx context.Context, url string, o sqlstore.Options) (s *sqlstore.Store, applied []int, err error) {
	switch path, isSQLite := dburl.SQLitePath(url); {
	case dburl.IsPostgres(url):
		s, err = postgres.Open(ctx, url, o)
	case isSQLite:
		s, err = sqlite.Open(ctx, path, o)
	default:
		return nil, nil, fmt.Errorf("database URL must start with postgres:// or sqlite:")
	}
	if err != nil {
		return nil, nil, err
	}
	applied, err = s.Migrate(ctx)
	if err == nil {
		err = s.Optimize(ctx)
	}
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return s, applied, nil
}

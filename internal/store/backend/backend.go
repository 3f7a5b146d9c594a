// Package backend opens the storage backend that a database URL names.
package backend

import (
	"context"
	"fmt"

	"github.com/patchbayhq/patchbay/internal/secrets"
	"github.com/patchbayhq/patchbay/internal/store/dburl"
	"github.com/patchbayhq/patchbay/internal/store/postgres"
	"github.com/patchbayhq/patchbay/internal/store/sqlite"
	"github.com/patchbayhq/patchbay/internal/store/sqlstore"
)

// Open opens the database at url ("postgres://…" or "sqlite:PATH") and applies
// pending migrations. applied lists the migration versions this call applied.
func Open(ctx context.Context, url string, keys *secrets.Keyring) (s *sqlstore.Store, applied []int, err error) {
	return OpenWrapped(ctx, url, keys, nil)
}

// OpenWrapped opens as Open does, with the driver's connector wrapped by wrap.
func OpenWrapped(ctx context.Context, url string, keys *secrets.Keyring, wrap sqlstore.Wrap) (s *sqlstore.Store, applied []int, err error) {
	switch path, isSQLite := dburl.SQLitePath(url); {
	case dburl.IsPostgres(url):
		s, err = postgres.Open(ctx, url, keys, wrap)
	case isSQLite:
		s, err = sqlite.Open(ctx, path, keys, wrap)
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

// Package dburl reads the database URLs Patchbay accepts ("postgres://…" or
// "sqlite:PATH") without loading any database driver, so configuration can
// check a URL and the backend can open it by the same rules.
package dburl

import "strings"

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

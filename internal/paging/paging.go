// Package paging turns a list request's page_size and next into the store
// window that reads the page, and the page's last item into the next value
// that continues after it. A next value is opaque to callers: the place of
// the item it follows in list order (created_at, then id).
package paging

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
)

// Cursor is k as a next value.
func Cursor(k store.ListKey) string {
	return base64.RawURLEncoding.EncodeToString([]byte(k.CreatedAt.UTC().Format(time.RFC3339Nano) + " " + k.ID))
}

// Parse reads a next value back; a value no answer gave is a problem.Invalid.
func Parse(next string) (*store.ListKey, error) {
	invalid := problem.New(problem.Invalid, "next: not a value from an earlier answer")
	raw, err := base64.RawURLEncoding.DecodeString(next)
	if err != nil {
		return nil, invalid
	}
	at, id, ok := strings.Cut(string(raw), " ")
	t, err := time.Parse(time.RFC3339Nano, at)
	if !ok || err != nil || id == "" {
		return nil, invalid
	}
	return &store.ListKey{CreatedAt: t, ID: id}, nil
}

// SizeError is the one answer to a page_size out of range, on every endpoint.
func SizeError(max int) error {
	return problem.New(problem.Invalid, "page_size: must be a whole number from 1 to %d", max)
}

// Size reads a page_size parameter: a whole number from 1 to max, or def when
// raw is empty.
func Size(raw string, def, max int) (int, error) {
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > max {
		return 0, SizeError(max)
	}
	return n, nil
}

// Window is the store window for a page of size items (1 to max) after next
// ("" for the first page). It reads one item more than the page holds, so
// that Page can tell whether another page follows.
func Window(size int, next string, max int) (store.Window, error) {
	if size < 1 || size > max {
		return store.Window{}, SizeError(max)
	}
	w := store.Window{Limit: size + 1}
	if next != "" {
		after, err := Parse(next)
		if err != nil {
			return store.Window{}, err
		}
		w.After = after
	}
	return w, nil
}

// Page cuts what Window read to size items and returns the next value after
// them, "" when no page follows.
func Page[T any](read []T, size int, key func(T) store.ListKey) ([]T, string) {
	if len(read) <= size {
		return read, ""
	}
	return read[:size], Cursor(key(read[size-1]))
}

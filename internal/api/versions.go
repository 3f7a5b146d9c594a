package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/patchbayhq/patchbay/internal/store"
)

// setETag names the version of the resource an answer shows, so that a
// client can send it back in If-Match and never overwrite a change it did
// not see.
func setETag(w http.ResponseWriter, version int64) {
	w.Header().Set("ETag", `"`+strconv.FormatInt(version, 10)+`"`)
}

// ifMatch is the version a write's If-Match names: store.AnyVersion without
// one (or with "*"). A value that is not one of Patchbay's ETags can match no
// version, so the write is refused as stale.
func ifMatch(r *http.Request) int64 {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	if v == "" || v == "*" {
		return store.AnyVersion
	}
	n, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(v, "W/"), `"`), 10, 64)
	if err != nil || n < 0 {
		return store.NoVersion
	}
	return n
}

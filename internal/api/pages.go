package api

import (
	"net/http"

	"github.com/patchbayhq/patchbay/internal/paging"
	"github.com/patchbayhq/patchbay/internal/store"
)

// maxListPage is the largest page of API keys or connector profiles, and the
// size of a page when page_size is not given.
const maxListPage = 100

// pageRequest reads a list's page_size and next into the store window that
// reads the page; a bad value is answered with 400 naming it.
func (s *Server) pageRequest(w http.ResponseWriter, r *http.Request) (int, store.Window, bool) {
	size, err := paging.Size(r.URL.Query().Get("page_size"), maxListPage, maxListPage)
	if err != nil {
		s.fail(w, r, err)
		return 0, store.Window{}, false
	}
	window, err := paging.Window(size, r.URL.Query().Get("next"), maxListPage)
	if err != nil {
		s.writeError(w, http.StatusBadRequest, err.Error())
		return 0, store.Window{}, false
	}
	return size, window, true
}

// writePage answers a page of a list: its items, and the next value that
// continues after them when another page follows.
func writePage[T any](w http.ResponseWriter, data []T, next string) {
	body := map[string]any{"data": data}
	if next != "" {
		body["next"] = next
	}
	writeJSON(w, http.StatusOK, body)
}

package api

import (
	"net/http"

	"github.com/patchbayhq/patchbay/internal/mcp"
	"github.com/patchbayhq/patchbay/internal/store"
)

// serveMCP answers POST /mcp: the MCP server of the account named by the
// x-account-id header (or the x-account-id or account_id query parameter).
func (s *Server) serveMCP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	accountID := r.Header.Get("X-Account-Id")
	for _, name := range []string{"x-account-id", "account_id"} {
		if accountID == "" {
			accountID = q.Get(name)
		}
	}
	if accountID == "" {
		s.writeError(w, http.StatusBadRequest, "x-account-id: the header (or the x-account-id query parameter) must name the linked account")
		return
	}
	opts, err := mcp.ParseOptions(q)
	if err != nil {
		s.writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	who := s.caller(r)
	who.Source = store.SourceMCP
	h, err := s.mcp.Handler(r.Context(), who, accountID, opts)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h.ServeHTTP(w, r)
}

// mcpMethodNotAllowed answers GET /mcp: the server never sends unprompted
// messages, so there is no event stream to open.
func (s *Server) mcpMethodNotAllowed(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", "POST, DELETE")
	s.writeError(w, http.StatusMethodNotAllowed, "GET /mcp: this MCP server is stateless and sends no event stream; POST each message")
}

// endMCPSession answers DELETE /mcp: sessions hold no state, so there is
// nothing to end.
func endMCPSession(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }

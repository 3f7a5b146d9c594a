package api

import (
	"net/http"

	"github.com/patchbayhq/patchbay/internal/actions"
	"github.com/patchbayhq/patchbay/internal/aiapps"

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
	opts, err := mcp.ParseOptions(q)
	if err != nil {
		s.writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if g, ok := grantOf(r.Context()); ok {
		s.serveGrantMCP(w, r, g, accountID, opts)
		return
	}
	if accountID == "" {
		s.writeError(w, http.StatusBadRequest, "x-account-id: the header (or the x-account-id query parameter) must name the linked account")
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

// serveGrantMCP serves an AI app signed in with OAuth: the accounts and
// actions of its grant. An account named in the request narrows the server to
// it; otherwise a grant of one account serves that one, and a grant of
// several serves tools that take the account as an argument.
func (s *Server) serveGrantMCP(w http.ResponseWriter, r *http.Request, g store.AIGrant, accountID string, opts mcp.Options) {
	who := actions.Caller{ProjectID: g.ProjectID, RequestID: requestID(r.Context()), Source: store.SourceMCP, Grant: aiapps.Grant(g)}
	var h http.Handler
	accounts, err := s.aiapps.Accounts(r.Context(), g)
	switch {
	case err != nil:
	case accountID != "":
		h, err = s.mcp.Handler(r.Context(), who, accountID, opts)
	case len(accounts) == 1:
		h, err = s.mcp.Handler(r.Context(), who, accounts[0].ID, opts)
	default:
		h, err = s.mcp.HandlerForAccounts(r.Context(), who, accounts, opts)
	}
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

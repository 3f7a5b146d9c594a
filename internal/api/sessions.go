package api

import (
	"hash/fnv"
	"net/http"
	"time"

	"github.com/patchbayhq/patchbay/internal/linking"
	"github.com/patchbayhq/patchbay/internal/store"
)

type sessionJSON struct {
	ID                   int64          `json:"id"`
	OrganizationID       int64          `json:"organization_id"`
	ProjectID            string         `json:"project_id"`
	OriginOwnerID        string         `json:"origin_owner_id"`
	OriginOwnerName      string         `json:"origin_owner_name"`
	OriginUsername       string         `json:"origin_username,omitempty"`
	Provider             string         `json:"provider,omitempty"`
	Categories           []string       `json:"categories,omitempty"`
	AccountID            string         `json:"account_id,omitempty"`
	Label                string         `json:"label,omitempty"`
	Metadata             map[string]any `json:"metadata,omitempty"`
	Type                 string         `json:"type,omitempty"`
	IntegrationID        string         `json:"integration_id,omitempty"`
	ExternalTriggerToken string         `json:"external_trigger_token"`
	CreatedAt            time.Time      `json:"created_at"`
	ExpiresAt            time.Time      `json:"expires_at"`
	Token                string         `json:"token,omitempty"`
	AuthLinkURL          string         `json:"auth_link_url,omitempty"`
}

func sessionView(cs store.ConnectSession) sessionJSON {
	return sessionJSON{
		ID: cs.ID, OrganizationID: organizationNumber(cs.ProjectID), ProjectID: cs.ProjectID, OriginOwnerID: cs.OriginOwnerID, OriginOwnerName: cs.OriginOwnerName,
		OriginUsername: cs.OriginUsername, Provider: cs.Provider, Categories: cs.Categories, AccountID: cs.AccountID, Label: cs.Label,
		Metadata: cs.Metadata, Type: cs.Type, IntegrationID: cs.ProfileID, ExternalTriggerToken: cs.ExternalTriggerToken,
		CreatedAt: cs.CreatedAt, ExpiresAt: cs.ExpiresAt,
	}
}

// organizationNumber stands for the project where the reference has a numeric
// organization id (its SDK insists on a number): a stable hash of the project
// id, below 2^53 so that JavaScript reads it exactly.
func organizationNumber(projectID string) int64 {
	h := fnv.New64a()
	h.Write([]byte(projectID))
	return int64(h.Sum64() & (1<<53 - 1))
}

// createSession answers POST /connect_sessions.
func (s *Server) createSession(w http.ResponseWriter, r *http.Request) {
	var in linking.SessionInput
	if !s.decodeJSON(w, r, &in) {
		return
	}
	created, err := s.linking.CreateSession(r.Context(), callerKey(r.Context()).ProjectID, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := sessionView(created.ConnectSession)
	out.Token, out.AuthLinkURL = created.Token, created.AuthLinkURL
	writeJSON(w, http.StatusCreated, out)
}

// authenticateSession answers POST /connect_sessions/authenticate.
func (s *Server) authenticateSession(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token string `json:"token"`
	}
	if !s.decodeJSON(w, r, &in) {
		return
	}
	cs, err := s.linking.AuthenticateSession(r.Context(), callerKey(r.Context()).ProjectID, in.Token)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, sessionView(cs)) // 201, as the reference (and its SDK) has it
}

package api

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/patchbayhq/patchbay/internal/store"
)

const (
	defaultSessionTTL = 1800 * time.Second
	maxSessionTTL     = 30 * 24 * time.Hour
)

var sessionCategories = []string{"ats", "hris", "hris-legacy", "hrisLegacy", "crm", "iam", "marketing", "lms", "stackone", "stackOne",
	"documents", "ticketing", "screening", "messaging", "accounting", "scheduling"}

// hashToken is how session tokens are stored: a fast hash suffices for 256 random bits.
func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

type sessionRequest struct {
	OriginOwnerID      string         `json:"origin_owner_id"`
	OriginOwnerName    string         `json:"origin_owner_name"`
	OriginUsername     string         `json:"origin_username"`
	Provider           string         `json:"provider"`
	ProviderVersion    string         `json:"provider_version"`
	ConnectorProfileID string         `json:"connector_profile_id"`
	IntegrationID      string         `json:"integration_id"`
	Categories         []string       `json:"categories"`
	AccountID          string         `json:"account_id"`
	ExpiresIn          *float64       `json:"expires_in"`
	Metadata           map[string]any `json:"metadata"`
	Multiple           bool           `json:"multiple"`
	Label              string         `json:"label"`
	Type               string         `json:"type"`
	Shared             *bool          `json:"shared"`
	Relink             *bool          `json:"relink"`
	Scopes             *bool          `json:"scopes"`
	// AllowedOrigin is where the Hub may post its result when embedded.
	AllowedOrigin string `json:"allowed_origin"`
}

type sessionJSON struct {
	ID                   int64          `json:"id"`
	OrganizationID       string         `json:"organization_id"`
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

func (s *Server) sessionView(cs store.ConnectSession) sessionJSON {
	return sessionJSON{
		ID: cs.ID, OrganizationID: cs.ProjectID, ProjectID: cs.ProjectID, OriginOwnerID: cs.OriginOwnerID, OriginOwnerName: cs.OriginOwnerName,
		OriginUsername: cs.OriginUsername, Provider: cs.Provider, Categories: cs.Categories, AccountID: cs.AccountID, Label: cs.Label,
		Metadata: cs.Metadata, Type: cs.Type, IntegrationID: cs.ProfileID, ExternalTriggerToken: cs.ExternalTriggerToken,
		CreatedAt: cs.CreatedAt, ExpiresAt: cs.ExpiresAt,
	}
}

// createSession answers POST /connect_sessions. Every problem is reported at once.
func (s *Server) createSession(w http.ResponseWriter, r *http.Request) {
	var in sessionRequest
	if !decodeJSON(w, r, &in) {
		return
	}
	ctx := r.Context()
	projectID := callerKey(ctx).ProjectID
	var errs []string
	bad := func(msg string) { errs = append(errs, msg) }
	in.OriginOwnerID, in.OriginOwnerName = strings.TrimSpace(in.OriginOwnerID), strings.TrimSpace(in.OriginOwnerName)
	if in.OriginOwnerID == "" {
		bad("origin_owner_id: required, your customer's id")
	}
	if in.OriginOwnerName == "" {
		bad("origin_owner_name: required, your customer's name")
	}
	profileID := in.ConnectorProfileID
	if profileID == "" {
		profileID = in.IntegrationID
	}
	if profileID != "" {
		p, err := s.store.GetConnectorProfile(ctx, projectID, profileID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			bad("connector_profile_id: no profile " + profileID + " in this project")
		case err != nil:
			s.internalError(w, r, err)
			return
		case in.Provider != "" && p.ConnectorKey != in.Provider:
			bad("connector_profile_id: profile " + profileID + " is for " + p.ConnectorKey + ", not " + in.Provider)
		}
	}
	if in.Provider != "" {
		if _, ok := s.registry.Get(in.Provider); !ok {
			bad("provider: unknown connector " + in.Provider)
		}
	}
	for _, c := range in.Categories {
		if !slices.Contains(sessionCategories, c) {
			bad("categories: unknown category " + c)
		}
	}
	if in.AccountID != "" {
		if _, err := s.store.GetAccount(ctx, projectID, in.AccountID); errors.Is(err, store.ErrNotFound) {
			bad("account_id: no account " + in.AccountID + " in this project")
		}
	}
	ttl := defaultSessionTTL
	if in.ExpiresIn != nil {
		ttl = time.Duration(*in.ExpiresIn * float64(time.Second))
		if ttl < time.Second || ttl > maxSessionTTL {
			bad("expires_in: must be between 1 and 2592000 seconds (30 days)")
		}
	}
	accountType := strings.ToLower(in.Type)
	if accountType != "" && accountType != "production" && accountType != "test" {
		bad("type: use PRODUCTION or TEST")
	}
	if in.AllowedOrigin != "" {
		if u, err := url.Parse(in.AllowedOrigin); err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" {
			bad("allowed_origin: must be an origin such as https://app.example.com")
		}
	}
	if len(errs) > 0 {
		writeError(w, http.StatusBadRequest, strings.Join(errs, "; "))
		return
	}
	extras := map[string]any{}
	for name, v := range map[string]*bool{"shared": in.Shared, "relink": in.Relink, "scopes": in.Scopes} {
		if v != nil {
			extras[name] = *v
		}
	}
	token := randomToken()
	cs, err := s.store.CreateConnectSession(ctx, store.ConnectSession{
		ProjectID: projectID, TokenHash: hashToken(token), OriginOwnerID: in.OriginOwnerID, OriginOwnerName: in.OriginOwnerName,
		OriginUsername: in.OriginUsername, Provider: in.Provider, ProfileID: profileID, Categories: in.Categories,
		AccountID: in.AccountID, Metadata: in.Metadata, Multiple: in.Multiple, Label: in.Label, Type: accountType,
		Extras: extras, AllowedOrigin: in.AllowedOrigin, ExternalTriggerToken: randomToken(),
		ExpiresAt: time.Now().Add(ttl).UTC(),
	})
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	out := s.sessionView(cs)
	out.Token = token
	out.AuthLinkURL = s.publicURL + "/hub?token=" + url.QueryEscape(token)
	writeJSON(w, http.StatusCreated, out)
}

// authenticateSession answers POST /connect_sessions/authenticate.
func (s *Server) authenticateSession(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token string `json:"token"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	cs, err := s.store.ConnectSessionByTokenHash(r.Context(), hashToken(in.Token))
	if err != nil || cs.ProjectID != callerKey(r.Context()).ProjectID || time.Now().After(cs.ExpiresAt) {
		writeError(w, http.StatusNotFound, "No live connect session for this token; create a new one with POST /connect_sessions")
		return
	}
	writeJSON(w, http.StatusOK, s.sessionView(cs))
}

package connectors

import (
	"net/url"
	"strings"
)

// Site is where this deployment and its simulators are reached.
type Site struct {
	PublicURL string
	// SandboxURL is where profiles in the sandbox environment reach the
	// simulators; empty means the ones mounted at {PublicURL}/sandbox.
	SandboxURL string
}

func (s Site) sandboxBase() string {
	if s.SandboxURL != "" {
		return strings.TrimRight(s.SandboxURL, "/")
	}
	return strings.TrimRight(s.PublicURL, "/") + "/sandbox"
}

// Location is where one profile's provider lives: its OAuth endpoints and API.
type Location struct {
	Endpoints
	APIBaseURL string
}

// LocationFor returns the provider's production location, or with sandbox set
// the simulator's: each production path kept, moved onto {sandbox URL}/{key}.
func (c *Connector) LocationFor(site Site, sandbox bool) Location {
	prod := c.Auth.Environments["production"]
	if !sandbox {
		return Location{Endpoints: prod, APIBaseURL: c.API.BaseURL}
	}
	base := c.APIBaseFor(site, true)
	rebase := func(raw string) string {
		if raw == "" {
			return ""
		}
		u, err := url.Parse(raw)
		if err != nil {
			return raw
		}
		return base + u.Path
	}
	return Location{Endpoints: Endpoints{AuthorizeURL: rebase(prod.AuthorizeURL), TokenURL: rebase(prod.TokenURL), RevokeURL: rebase(prod.RevokeURL)},
		APIBaseURL: base}
}

// APIBaseFor is LocationFor's APIBaseURL alone, without the OAuth endpoints:
// what every action call needs.
func (c *Connector) APIBaseFor(site Site, sandbox bool) string {
	if !sandbox {
		return c.API.BaseURL
	}
	return site.sandboxBase() + "/" + c.Key
}

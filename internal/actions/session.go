package actions

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/rawjson"
	"github.com/patchbayhq/patchbay/internal/store"
)

// Session runs one unified API operation for one account. The account and its
// profile are read once and the operation's scopes checked once; every provider
// call the operation makes then goes through the same throttle, retries and
// refresh as an action, and into one request log entry named after the
// operation. A Session is safe for concurrent use; End must be called once.
type Session struct {
	e     *Executor
	c     *connectors.Connector
	p     store.ConnectorProfile
	a     store.Account
	op    *connectors.Action
	g     grant
	entry *logEntry
	raw   []RawCall
}

// Begin opens a session for the unified operation on the account. It refuses
// an operation the account's connector does not offer (501), one the profile
// does not enable or the grant's scopes do not cover (403). When raw is true
// the session keeps every provider answer for End to return.
func (e *Executor) Begin(ctx context.Context, who Caller, accountID, operation string, raw bool) (*Session, error) {
	ctx, entry := e.begin(ctx, who, accountID, operation)
	s, err := e.session(ctx, who, accountID, operation, entry)
	if err != nil {
		e.record(entry, err)
		return nil, err
	}
	if raw {
		entry.raw = &s.raw
	}
	return s, nil
}

func (e *Executor) session(ctx context.Context, who Caller, accountID, operation string, entry *logEntry) (*Session, error) {
	a, c, p, err := e.account(ctx, who, accountID)
	if err != nil {
		return nil, err
	}
	entry.Provider = a.Provider
	op, ok := c.Action(operation)
	if !ok || op.Unified == nil {
		if known, ok := connectors.UnifiedOperationByID(operation); ok {
			entry.HTTPMethod, entry.Path = known.Method, known.Path // the call asked for, which the provider lacks
		}
		why := c.UnifiedUnsupported[operation]
		if why == "" {
			why = "Patchbay has no mapping for it yet"
		}
		return nil, fail(problem.NotImplemented, "%s does not support %s: %s", c.Name, connectors.UnifiedOperationName(operation), why)
	}
	entry.HTTPMethod, entry.Path = op.Method, op.Path
	if !slices.Contains(p.EnabledActions, op.ID) {
		return nil, fail(problem.Forbidden, "%s is not enabled on connector profile %s; enable it to request the scopes it needs (%s)", op.ID, p.ID, strings.Join(op.Scopes, ", "))
	}
	if missing := missingScopes(c, p, a, op); len(missing) > 0 {
		return nil, fail(problem.Forbidden, "The account's grant lacks the scopes %s needs: %s", op.ID, strings.Join(missing, ", "))
	}
	return &Session{e: e, c: c, p: p, a: a, op: op, g: &accountGrant{m: e.tokens, a: a}, entry: entry}, nil
}

// Connector is the account's connector.
func (s *Session) Connector() *connectors.Connector { return s.c }

// OperationID turns a caller's idempotency key into the provider's operation
// id: a hash of the project, the account and the key, so that two projects
// (or two accounts on one company) using the same key never collide at the
// provider, and the key itself is not sent on.
func (s *Session) OperationID(key string) string {
	sum := sha256.Sum256([]byte(s.a.ProjectID + "\x00" + s.a.ID + "\x00" + key))
	return "pb_" + base64.RawURLEncoding.EncodeToString(sum[:24])
}

// Setup returns one of the account's setup answers (e.g. Employment Hero's
// organisation_id), or "".
func (s *Session) Setup(key string) string { return s.a.SetupInformation[key] }

// Allowed reports whether the operation may call the action now: one it always
// uses, or an optional one the account's grant covers.
func (s *Session) Allowed(actionID string) bool {
	u := s.op.Unified
	if slices.Contains(u.Uses, actionID) {
		return true
	}
	a, ok := s.c.Action(actionID)
	return ok && slices.Contains(u.Optional, actionID) && len(missingScopes(s.c, s.p, s.a, a)) == 0
}

// Run calls one provider action for the operation. Only the actions the
// connector's definition names for the operation may run, so its declared
// scopes are the whole truth about what it reads.
func (s *Session) Run(ctx context.Context, req Request) (Result, error) {
	action, ok := s.c.Action(req.Action)
	u := s.op.Unified
	switch {
	case !ok || action.Unified != nil || !slices.Contains(u.Uses, req.Action) && !slices.Contains(u.Optional, req.Action):
		return Result{}, fmt.Errorf("%s's definition does not let %s call %s", s.c.Key, s.op.ID, req.Action)
	case !s.Allowed(req.Action):
		return Result{}, fail(problem.Forbidden, "The account's grant lacks the scopes %s needs: %s", action.ID, strings.Join(missingScopes(s.c, s.p, s.a, action), ", "))
	}
	return s.e.execute(ctx, s.c, s.p, action, req, s.a.SetupInformation, s.g, s.entry, nil)
}

// RunDecoded is Run that reads the records where the connector says they sit
// with decode while the page is checked, in the same pass, instead of handing
// them over as bytes to be read again; the Result has no Data. What decode
// reads never points into the page's buffer (rawjson.Decoder reads a copy),
// which goes back to its pool as soon as the call returns.
func (s *Session) RunDecoded(ctx context.Context, req Request, decode func(d *rawjson.Decoder) error) (Result, error) {
	req.decode = decode
	return s.Run(ctx, req)
}

// Created notes that the operation created a record: its log entry records
// the 201 Patchbay answers.
func (s *Session) Created() { s.entry.created = true }

// End records the operation's request log entry, failed when err is not nil,
// and returns the provider calls kept for raw=true.
func (s *Session) End(err error) []RawCall {
	s.e.record(s.entry, err)
	return s.raw
}

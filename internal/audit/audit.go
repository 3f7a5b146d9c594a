// Package audit is the audit trail: who changed what, when, and from where.
// Front ends say who acts (WithActor); services describe each change they
// make (Entry, Changes) and hand the entry to the store with the change, so
// that it is written in the same transaction (store.WithAudit). The service
// here lists and exports the trail, checks its hash chains (Verify) and
// drops entries past retention.
package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/store"
)

// Actor is who makes the changes of a request, and from where.
type Actor struct {
	// Name is admin:<email>, api_key:<id>, oauth_client:<id>,
	// end_user:<origin owner id> or system:<job>.
	Name      string
	RequestID string
	Address   string
}

type actorKey struct{}

// WithActor returns ctx acting as a. A front end gives each request its
// actor once, with where it comes from, and names it (Name) once the
// request is authenticated.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, &a)
}

// Name names the actor of ctx's request, which WithActor gave it: the
// request is one caller's, so its actor is named in place. Without one it
// does nothing; use As.
func Name(ctx context.Context, name string) {
	if a, ok := ctx.Value(actorKey{}).(*Actor); ok {
		a.Name = name
	}
}

// As returns ctx acting as name, from where ctx's actor acts: for work
// done on someone else's behalf (the CLI, a sign-up, a job).
func As(ctx context.Context, name string) context.Context {
	a := ActorOf(ctx)
	a.Name = name
	return WithActor(ctx, a)
}

// ActorOf is who acts in ctx; system:patchbay when no front end said.
func ActorOf(ctx context.Context) Actor {
	var a Actor
	if p, ok := ctx.Value(actorKey{}).(*Actor); ok {
		a = *p
	}
	if a.Name == "" {
		a.Name = "system:patchbay"
	}
	return a
}

// Entry is the audit entry of a change to the target in the project, by
// ctx's actor; attach it to the change's write with store.WithAudit.
func Entry(ctx context.Context, projectID, action, targetType, targetID string) *store.AuditEntry {
	a := ActorOf(ctx)
	return &store.AuditEntry{ProjectID: projectID, Actor: a.Name, Action: action, TargetType: targetType, TargetID: targetID,
		RequestID: a.RequestID, Address: a.Address}
}

// Changes gathers the fields a change sets, each as {"before", "after"}.
type Changes map[string]map[string]any

// Set notes a field whose value went from before to after; unchanged
// fields are left out, and an empty before is not shown.
func (c Changes) Set(field string, before, after any) Changes {
	switch {
	case same(before, after):
	case same(before, nil): // set for the first time
		c[field] = map[string]any{"after": after}
	default:
		c[field] = map[string]any{"before": before, "after": after}
	}
	return c
}

// same says whether two values are the same as JSON, an empty list or
// text being the same as none.
func same(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	empty := func(j []byte) bool { return slices.Contains([]string{"null", "[]", `""`, "{}"}, string(j)) }
	return bytes.Equal(ja, jb) || (empty(ja) && empty(jb))
}

// Created notes the fields of a new thing.
func (c Changes) Created(field string, value any) Changes {
	c[field] = map[string]any{"after": value}
	return c
}

// Secret notes that a secret was set or replaced, never its value.
func (c Changes) Secret(field string, changed bool) Changes {
	if changed {
		c[field] = map[string]any{"after": "changed"}
	}
	return c
}

// JSON is the changes as the entry keeps them.
func (c Changes) JSON() json.RawMessage {
	b, err := json.Marshal(c)
	if err != nil {
		return json.RawMessage(fmt.Sprintf(`{"error":%q}`, err.Error()))
	}
	return b
}

// Retention is how long entries are kept by default.
const Retention = 365 * 24 * time.Hour

// Options configure a Service.
type Options struct {
	Store store.Store
	Clock clock.Clock // nil is the system clock
	Log   *slog.Logger
	// Retention is how long entries are kept; zero means a year.
	Retention time.Duration
}

// Service reads the audit trail and keeps it.
type Service struct {
	store     store.Store
	clock     clock.Clock
	log       *slog.Logger
	retention time.Duration
}

// New returns a Service.
func New(o Options) *Service {
	s := &Service{store: o.Store, clock: clock.Or(o.Clock), log: o.Log, retention: o.Retention}
	if s.retention <= 0 {
		s.retention = Retention
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// Record appends an entry that no store write carries (a provider write).
func (s *Service) Record(ctx context.Context, e *store.AuditEntry) error {
	e.At = s.clock.Now()
	stored, err := s.store.AppendAudit(ctx, *e)
	if err != nil {
		return err
	}
	*e = stored
	return nil
}

// List returns the entries f selects, newest first.
func (s *Service) List(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error) {
	return s.store.ListAudit(ctx, f)
}

// Sweep drops entries older than the retention.
func (s *Service) Sweep(ctx context.Context) error {
	n, err := s.store.DeleteAuditBefore(ctx, s.clock.Now().Add(-s.retention))
	if n > 0 {
		s.log.InfoContext(ctx, "deleted audit entries past their retention", "count", n)
	}
	return err
}

// Break is where a chain stops holding: the entry that fails, and why.
type Break struct {
	ProjectID string
	Seq       int64
	EntryID   string
	Reason    string
}

func (b Break) Error() string {
	project := b.ProjectID
	if project == "" {
		project = "(no project)"
	}
	return fmt.Sprintf("project %s, entry %d (%s): %s", project, b.Seq, b.EntryID, b.Reason)
}

// Report is what Verify checked.
type Report struct {
	Chains  int
	Entries int
}

// Verify walks every chain from its oldest kept entry to its head and
// returns the first Break, if any: an entry whose hash does not match its
// content, one that does not follow the entry before it, a gap, or a chain
// that ends before its head (its newest entries deleted).
func (s *Service) Verify(ctx context.Context, progress func(Report)) (Report, error) {
	heads, err := s.store.AuditHeads(ctx)
	if err != nil {
		return Report{}, err
	}
	var r Report
	for _, h := range heads {
		r.Chains++
		var prev *store.AuditEntry
		after := int64(0)
		for {
			batch, err := s.store.AuditChain(ctx, h.ProjectID, after, 1000)
			if err != nil {
				return r, err
			}
			for i := range batch {
				e := &batch[i]
				if b := check(prev, e); b != "" {
					return r, Break{ProjectID: h.ProjectID, Seq: e.Seq, EntryID: e.ID, Reason: b}
				}
				prev, after = e, e.Seq
				r.Entries++
			}
			if progress != nil {
				progress(r)
			}
			if len(batch) < 1000 {
				break
			}
		}
		switch {
		case prev == nil && h.Seq > 0:
			return r, Break{ProjectID: h.ProjectID, Seq: h.Seq, Reason: "the chain's entries are gone, up to its head"}
		case prev != nil && (prev.Seq != h.Seq || !bytes.Equal(prev.Hash, h.Hash)):
			return r, Break{ProjectID: h.ProjectID, Seq: prev.Seq + 1, Reason: fmt.Sprintf("the chain ends at entry %d, its head at %d: entries after it were deleted", prev.Seq, h.Seq)}
		}
	}
	return r, nil
}

// check says what is wrong with e following prev (nil for the oldest kept).
func check(prev, e *store.AuditEntry) string {
	switch {
	case !bytes.Equal(e.Hash, store.AuditHash(e.PrevHash, *e)):
		return "its content does not match its hash: it was changed"
	case prev != nil && e.Seq != prev.Seq+1:
		return fmt.Sprintf("entries %d to %d are missing", prev.Seq+1, e.Seq-1)
	case prev != nil && !bytes.Equal(e.PrevHash, prev.Hash):
		return "it does not follow the entry before it"
	}
	return ""
}

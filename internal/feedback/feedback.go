// Package feedback keeps, per project, what agents and their users say about
// the tools they used: the StackOne AI SDK offers a tool_feedback tool in
// every tool list, and its answers are worth reading when an agent picks the
// wrong tool.
package feedback

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
)

// Limits of one piece of feedback.
const (
	MaxText     = 10_000 // characters of feedback
	MaxAccounts = 50
	MaxTools    = 100
	maxName     = 200 // characters of an account id or a tool name
)

// Service records and lists feedback.
type Service struct{ store store.Store }

// Options configure a Service.
type Options struct{ Store store.Store }

// New returns the service.
func New(o Options) *Service { return &Service{store: o.Store} }

// Input is POST /ai/tool-feedback's body, as the SDK's tool sends it.
type Input struct {
	Feedback string `json:"feedback"`
	// AccountID is one account id or a list of them.
	AccountID json.RawMessage `json:"account_id"`
	ToolNames []string        `json:"tool_names"`
}

// Record stores feedback about tools used on accounts of the project; every
// account named must be one of the project's.
func (s *Service) Record(ctx context.Context, projectID string, in Input) (store.ToolFeedback, error) {
	f := store.ToolFeedback{ProjectID: projectID, Feedback: strings.TrimSpace(in.Feedback)}
	var bad []string
	switch n := utf8.RuneCountInString(f.Feedback); {
	case n == 0:
		bad = append(bad, "feedback: required, what went well or wrong with the tools")
	case n > MaxText:
		bad = append(bad, fmt.Sprintf("feedback: at most %d characters", MaxText))
	}
	ids, err := accountIDs(in.AccountID)
	if err != nil {
		bad = append(bad, err.Error())
	}
	f.AccountIDs = ids
	for _, name := range in.ToolNames {
		if name = strings.TrimSpace(name); name != "" && utf8.RuneCountInString(name) <= maxName {
			f.ToolNames = append(f.ToolNames, name)
		} else {
			bad = append(bad, fmt.Sprintf("tool_names: each a tool's name of 1 to %d characters", maxName))
			break
		}
	}
	if len(in.ToolNames) == 0 || len(in.ToolNames) > MaxTools {
		bad = append(bad, fmt.Sprintf("tool_names: 1 to %d names of the tools the feedback is about", MaxTools))
	}
	if len(bad) > 0 {
		return store.ToolFeedback{}, problem.New(problem.Invalid, "%s", strings.Join(bad, "; "))
	}
	found, err := s.store.ListAccounts(ctx, projectID, store.AccountFilter{AccountIDs: ids})
	if err != nil {
		return store.ToolFeedback{}, err
	}
	if len(found) != len(ids) {
		return store.ToolFeedback{}, problem.New(problem.NotFound, "account_id: %s names an account this project does not have", strings.Join(ids, ", "))
	}
	return s.store.CreateToolFeedback(ctx, f)
}

// accountIDs reads account_id: one id, or a list of distinct ids.
func accountIDs(raw json.RawMessage) ([]string, error) {
	var ids []string
	var one string
	switch raw = bytes.TrimSpace(raw); {
	case len(raw) == 0, bytes.Equal(raw, []byte("null")), json.Unmarshal(raw, &one) != nil && json.Unmarshal(raw, &ids) != nil:
		return nil, fmt.Errorf("account_id: required, an account id or a list of them")
	case one != "" || raw[0] == '"':
		ids = []string{one}
	}
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id == "" || utf8.RuneCountInString(id) > maxName {
			return nil, fmt.Errorf("account_id: each an account id of 1 to %d characters", maxName)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	if len(out) == 0 || len(out) > MaxAccounts {
		return nil, fmt.Errorf("account_id: 1 to %d account ids", MaxAccounts)
	}
	return out, nil
}

// List returns the project's feedback in window, oldest first.
func (s *Service) List(ctx context.Context, projectID string, w store.Window) ([]store.ToolFeedback, error) {
	return s.store.ListToolFeedback(ctx, projectID, w)
}

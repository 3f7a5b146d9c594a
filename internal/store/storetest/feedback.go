package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/patchbayhq/patchbay/internal/store"
)

// Tool feedback is kept per project, oldest first, and pages by key.
func testToolFeedback(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	a, b := mustProject(t, s, "A"), mustProject(t, s, "B")
	var made []store.ToolFeedback
	for i, text := range []string{"picked the wrong tool", "worked", "too slow"} {
		f, err := s.CreateToolFeedback(ctx, store.ToolFeedback{ProjectID: a.ID, Feedback: text, AccountIDs: []string{"acc_1"},
			ToolNames: []string{"justworks_list_members", string(rune('a' + i))}})
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, f)
	}
	_, err := s.CreateToolFeedback(ctx, store.ToolFeedback{ProjectID: "prj_missing", Feedback: "x", AccountIDs: []string{"acc_1"}, ToolNames: []string{"t"}})
	wantErr(t, err, store.ErrNotFound)
	first, err := s.ListToolFeedback(ctx, a.ID, store.Window{Limit: 2})
	if err != nil || len(first) != 2 || first[0].ID != made[0].ID || !slices.Equal(first[0].ToolNames, made[0].ToolNames) ||
		!slices.Equal(first[0].AccountIDs, []string{"acc_1"}) || !first[0].CreatedAt.Equal(made[0].CreatedAt) {
		t.Fatalf("first page: %+v, %v", first, err)
	}
	rest, err := s.ListToolFeedback(ctx, a.ID, store.Window{After: &store.ListKey{CreatedAt: first[1].CreatedAt, ID: first[1].ID}})
	if err != nil || len(rest) != 1 || rest[0].Feedback != "too slow" {
		t.Fatalf("rest: %+v, %v", rest, err)
	}
	if other, err := s.ListToolFeedback(ctx, b.ID, store.Window{}); err != nil || len(other) != 0 {
		t.Fatalf("another project sees %d, %v", len(other), err)
	}
}

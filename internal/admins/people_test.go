package admins

import (
	"context"
	"slices"
	"testing"

	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
)

// An admin manages people only within their own projects: an admin of A
// alone cannot invite to B, take B from anyone, or remove an admin of B.
func TestPeopleWithinOwnProjects(t *testing.T) {
	ctx := context.Background()
	s := backendtest.SQLite.Open(t, backendtest.TestKeys(t))
	svc := New(Options{Store: s})
	a, _ := s.CreateProject(ctx, store.Project{Name: "A"})
	b, _ := s.CreateProject(ctx, store.Project{Name: "B"})
	ann, err := svc.Create(ctx, "ann@a.test", "a long password", []string{a.ID, b.ID})
	if err != nil {
		t.Fatal(err)
	}
	bob, _ := svc.Create(ctx, "bob@a.test", "a long password", []string{a.ID})
	if _, err := svc.Invite(ctx, bob, "cy@a.test", []string{b.ID}, "http://x"); problem.KindOf(err) != problem.Forbidden {
		t.Fatalf("bob invites to B: %v", err)
	}
	if err := svc.Remove(ctx, bob, ann.ID); problem.KindOf(err) != problem.Forbidden {
		t.Fatalf("bob removes ann: %v", err)
	}
	if err := svc.SetProjects(ctx, bob, ann.ID, nil); err != nil {
		t.Fatal(err)
	}
	if got := projectsOf(t, s, ann.ID); !slices.Equal(got, []string{b.ID}) {
		t.Fatalf("bob took A from ann and left B: %v", got)
	}
	if err := svc.SetProjects(ctx, bob, ann.ID, []string{b.ID}); problem.KindOf(err) != problem.Forbidden {
		t.Fatalf("bob gives B: %v", err)
	}
	if err := svc.Remove(ctx, ann, ann.ID); problem.KindOf(err) != problem.Conflict {
		t.Fatalf("ann removes herself: %v", err)
	}
	if err := svc.Remove(ctx, Operator, bob.ID); err != nil {
		t.Fatal(err)
	}
	if err := svc.Remove(ctx, Operator, ann.ID); problem.KindOf(err) != problem.Conflict {
		t.Fatalf("the last admin removed: %v", err)
	}
}

func projectsOf(t *testing.T, s store.Store, adminID string) []string {
	t.Helper()
	ps, err := s.AdminProjects(context.Background(), adminID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	return ids
}

package apikeys_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/apikeys"
	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
)

// Projects and keys through the service: a key works until it is revoked,
// at the service's time; the last admin key stays; bad input names its field.
func TestKeysOfAProject(t *testing.T) {
	for _, b := range backendtest.All {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
			clk := clock.NewManual(at)
			s := apikeys.NewService(apikeys.Options{Store: b.OpenWithClock(t, backendtest.TestKeys(t), clk), Clock: clk})
			if _, err := s.CreateProject(ctx, " "); problem.KindOf(err) != problem.Invalid {
				t.Fatalf("a project without a name: %v", err)
			}
			p, err := s.CreateProject(ctx, "Acme")
			if err != nil {
				t.Fatal(err)
			}
			admin, adminKey, err := s.Issue(ctx, p.ID, "ops", "")
			if err != nil || adminKey.Role != store.RoleAdmin {
				t.Fatalf("an admin key: %+v, %v", adminKey, err)
			}
			runtime, runtimeKey, err := s.Issue(ctx, p.ID, "billing", store.RoleRuntime)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.Issue(ctx, p.ID, "x", "owner"); problem.KindOf(err) != problem.Invalid {
				t.Fatalf("an unknown role: %v", err)
			}
			if k, err := s.Authenticate(ctx, runtime); err != nil || k.ID != runtimeKey.ID {
				t.Fatalf("the runtime key: %+v, %v", k, err)
			}
			clk.Advance(time.Hour)
			revoked, err := s.Revoke(ctx, p.ID, runtimeKey.ID)
			if err != nil || !revoked.RevokedAt.Equal(at.Add(time.Hour)) {
				t.Fatalf("revoked: %+v, %v", revoked, err)
			}
			if _, err := s.Authenticate(ctx, runtime); !errors.Is(err, apikeys.ErrInvalid) {
				t.Fatalf("a revoked key authenticates: %v", err)
			}
			if _, err := s.Revoke(ctx, p.ID, adminKey.ID); problem.KindOf(err) != problem.Conflict {
				t.Fatalf("revoking the last admin key: %v", err)
			}
			if _, err := s.Authenticate(ctx, admin); err != nil {
				t.Fatalf("the admin key after the refused revocation: %v", err)
			}
			if _, err := s.Project(ctx, "prj_missing"); problem.KindOf(err) != problem.NotFound {
				t.Fatalf("an unknown project: %v", err)
			}
		})
	}
}

// Two processes starting on one new database make one default project.
func TestEnsureDefaultProjectOnce(t *testing.T) {
	t.Parallel()
	st := backendtest.SQLite.Open(t, backendtest.TestKeys(t))
	s := apikeys.NewService(apikeys.Options{Store: st})
	var wg sync.WaitGroup
	created := make(chan bool, 4)
	for range 4 {
		wg.Go(func() {
			_, made, err := s.EnsureDefaultProject(context.Background())
			if err != nil {
				t.Error(err)
			}
			created <- made
		})
	}
	wg.Wait()
	close(created)
	n := 0
	for made := range created {
		if made {
			n++
		}
	}
	if projects, _ := s.Projects(context.Background()); n != 1 || len(projects) != 1 || projects[0].ID != apikeys.DefaultProjectID {
		t.Fatalf("%d calls made the project; projects %+v", n, projects)
	}
}

package backend_test

import (
	"context"
	"sync"
	"testing"

	"github.com/patchbayhq/patchbay/internal/store/backend"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
	"github.com/patchbayhq/patchbay/internal/store/sqlstore"
)

// TestConcurrentMigrations starts several nodes on one empty database at once:
// every node opens it, and the migrations are applied exactly once.
func TestConcurrentMigrations(t *testing.T) {
	for _, b := range backendtest.All {
		t.Run(b.Name, func(t *testing.T) {
			url := b.Empty(t)
			keys := backendtest.TestKeys(t)
			var wg sync.WaitGroup
			applied := make(chan int, 8)
			for range 8 {
				wg.Go(func() {
					s, versions, err := backend.Open(context.Background(), url, sqlstore.Options{Keys: keys})
					if err != nil {
						t.Error(err)
						return
					}
					s.Close()
					applied <- len(versions)
				})
			}
			wg.Wait()
			close(applied)
			migrators := 0
			for n := range applied {
				if n > 0 {
					migrators++
				}
			}
			if migrators != 1 {
				t.Fatalf("%d nodes applied migrations, want exactly one", migrators)
			}
		})
	}
}

func TestOpenRejectsUnknownURLs(t *testing.T) {
	for _, url := range []string{"", "mysql://db", "sqlite:", "file.db"} {
		if _, _, err := backend.Open(context.Background(), url, sqlstore.Options{Keys: backendtest.TestKeys(t)}); err == nil {
			t.Errorf("Open(%q) succeeded", url)
		}
	}
}

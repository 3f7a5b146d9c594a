package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/patchbayhq/patchbay/internal/api"
	"github.com/patchbayhq/patchbay/internal/apikeys"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
)

// BenchmarkAuthenticatedRequest measures one authenticated request through the full
// handler chain (request id, access log, metrics, key check, one store read) on
// each backend: serially (latency) and from all cores at once (throughput).
func BenchmarkAuthenticatedRequest(b *testing.B) {
	for _, backend := range backendtest.All {
		b.Run(backend.Name, func(b *testing.B) {
			s := backend.Open(b, backendtest.TestKeys(b))
			ctx := context.Background()
			p, err := s.CreateProject(ctx, store.Project{Name: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			key, _, err := apikeys.Issue(ctx, s, p.ID, "bench")
			if err != nil {
				b.Fatal(err)
			}
			h := api.New(api.Options{Store: s, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			request := func() {
				req := httptest.NewRequest("GET", "/projects/"+p.ID, nil)
				req.SetBasicAuth(key, "")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Errorf("status %d: %s", rec.Code, rec.Body)
				}
			}
			b.Run("serial", func(b *testing.B) {
				for b.Loop() {
					request()
				}
			})
			b.Run("parallel", func(b *testing.B) {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						request()
					}
				})
			})
		})
	}
}

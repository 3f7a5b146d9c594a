package backend_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
)

// BenchmarkActionCallStore measures the store work of one action call on each
// backend: reading the API key with the account and its connector profile (on
// every call after the first, the rows' versions, checked against what the
// store kept), and writing the request log entry; and, for other paths,
// reading an account (its credentials opened) or a profile alone.
func BenchmarkActionCallStore(b *testing.B) {
	for _, backend := range backendtest.All {
		b.Run(backend.Name, func(b *testing.B) {
			s := backend.Open(b, backendtest.TestKeys(b))
			ctx := context.Background()
			p, err := s.CreateProject(ctx, store.Project{Name: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			prof, err := s.CreateConnectorProfile(ctx, store.ConnectorProfile{ProjectID: p.ID, ConnectorKey: "justworks", Name: "JW",
				ClientID: "id", ClientSecret: "secret", Environment: "sandbox", Enabled: true, EnabledActions: []string{"justworks_list_members"}})
			if err != nil {
				b.Fatal(err)
			}
			acc, err := s.CreateAccount(ctx, store.Account{ProjectID: p.ID, ProfileID: prof.ID, Provider: "justworks",
				OriginOwnerID: "o", OriginOwnerName: "O", Credentials: store.Credentials{AccessToken: "access", RefreshToken: "refresh",
					Expiry: time.Now().Add(time.Hour), Obtained: time.Now(), Scopes: []string{"member.basic:read"}}}, store.EventAccountCreated)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.CreateAPIKey(ctx, store.APIKey{ProjectID: p.ID, Name: "k", Prefix: "v1.local.abcdef", Hash: []byte("hash")}); err != nil {
				b.Fatal(err)
			}
			b.Run("key_and_account", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if ka, err := s.APIKeyAndAccount(ctx, []byte("hash"), acc.ID); err != nil || ka.AccountErr != nil {
						b.Fatal(err, ka.AccountErr)
					}
				}
			})
			b.Run("get_account", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := s.GetAccount(ctx, p.ID, acc.ID); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("get_profile", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := s.GetConnectorProfile(ctx, p.ID, prof.ID); err != nil {
						b.Fatal(err)
					}
				}
			})
			// Request logs are written in batches by a background writer: one
			// transaction per batch, so the cost per entry falls with the batch size.
			for _, size := range []int{1, 64} {
				b.Run(fmt.Sprintf("create_request_logs/batch_%d", size), func(b *testing.B) {
					b.ReportAllocs()
					now := time.Now()
					batch := make([]store.RequestLog, size)
					for b.Loop() {
						for i := range batch {
							batch[i] = store.RequestLog{ProjectID: p.ID, RequestID: "req", AccountID: acc.ID, Provider: "justworks",
								Action: "justworks_list_members", HTTPMethod: "GET", Path: "/v1/members", Status: 200, Success: true,
								DurationMS: 4, StartTime: now, EndTime: now,
								Steps: []store.LogStep{{Method: "GET", URL: "https://api.test/v1/members", Status: 200, DurationMS: 3, StartTime: now}}}
						}
						if err := s.CreateRequestLogs(ctx, batch); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*size), "ns/entry")
				})
			}
		})
	}
}

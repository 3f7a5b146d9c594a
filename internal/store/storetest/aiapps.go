package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/clock"
	"github.com/patchbayhq/patchbay/internal/store"
)

func tokenHash(v string) []byte { sum := sha256.Sum256([]byte(v)); return sum[:] }

// AI app grants: a code is redeemed once however many redeem it at the same
// time, a replay can revoke the grant with its tokens, access tokens expire,
// and a project sees and revokes only its own grants.
func testAIGrants(t *testing.T, db Database) {
	s := openDefault(t, db)
	ctx := context.Background()
	a, b := mustProject(t, s, "A"), mustProject(t, s, "B")
	now := clock.System.Now().UTC().Truncate(time.Second)
	client := store.AIClient{ID: "aic_1", Name: "Claude", RedirectURIs: []string{"http://127.0.0.1/cb"}, AuthMethod: "none", CreatedAt: now}
	if err := s.CreateAIClient(ctx, client); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetAIClient(ctx, "aic_1")
	if err != nil || got.Name != "Claude" || got.SecretHash != nil || len(got.RedirectURIs) != 1 {
		t.Fatalf("client: %+v %v", got, err)
	}
	_, err = s.GetAIClient(ctx, "aic_missing")
	wantErr(t, err, store.ErrNotFound)

	g := store.AIGrant{ID: "aig_1", ProjectID: a.ID, ClientID: client.ID, AdminEmail: "ada@a.test", AccountIDs: []string{"acc_1"},
		Actions: []string{"justworks_list_members"}, ReadOnly: true, Resource: "https://pb.example/mcp", CreatedAt: now}
	code := store.AIToken{Hash: tokenHash("code"), GrantID: g.ID, Kind: store.AICode, ExpiresAt: now.Add(time.Minute), RedirectURI: "http://127.0.0.1/cb", CodeChallenge: "ch"}
	if err := s.CreateAIGrant(ctx, g, code); err != nil {
		t.Fatal(err)
	}

	var issued, replayed atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			_, err := s.RedeemAIToken(ctx, tokenHash("code"), store.AICode, func(g store.AIGrant, tok store.AIToken) (store.AIRedemption, error) {
				if g.ClientName != "Claude" || !g.ReadOnly || tok.CodeChallenge != "ch" {
					return store.AIRedemption{}, errors.New("the redemption saw the wrong grant or code")
				}
				if !tok.UsedAt.IsZero() {
					replayed.Add(1)
					return store.AIRedemption{}, errors.New("used")
				}
				return store.AIRedemption{Issue: []store.AIToken{{Hash: tokenHash("access" + string(rune('a'+i))), GrantID: g.ID,
					Kind: store.AIAccessToken, ExpiresAt: now.Add(time.Hour)}}}, nil
			})
			if err == nil {
				issued.Add(1)
			}
		})
	}
	wg.Wait()
	if issued.Load() != 1 || replayed.Load() != 7 {
		t.Fatalf("%d redemptions issued tokens and %d saw the code used; want 1 and 7", issued.Load(), replayed.Load())
	}
	var access []byte
	for i := range 8 {
		if _, err := s.AIAccess(ctx, tokenHash("access"+string(rune('a'+i))), now); err == nil {
			access = tokenHash("access" + string(rune('a'+i)))
		}
	}
	if access == nil {
		t.Fatal("the issued access token does not authenticate")
	}
	if _, err := s.AIAccess(ctx, access, now.Add(2*time.Hour)); !errors.Is(err, store.ErrExpired) {
		t.Fatalf("an expired access token: %v", err)
	}
	if list, err := s.ListAIGrants(ctx, b.ID); err != nil || len(list) != 0 {
		t.Fatalf("project B sees %d grants, %v", len(list), err)
	}
	wantErr(t, s.RevokeAIGrant(ctx, b.ID, g.ID, now), store.ErrNotFound)
	list, err := s.ListAIGrants(ctx, a.ID)
	if err != nil || len(list) != 1 || list[0].LastUsedAt.IsZero() || list[0].AccountIDs[0] != "acc_1" {
		t.Fatalf("grants of A: %+v %v", list, err)
	}

	// A replay that revokes: the grant and every token end.
	if _, err := s.RedeemAIToken(ctx, tokenHash("code"), store.AICode, func(store.AIGrant, store.AIToken) (store.AIRedemption, error) {
		return store.AIRedemption{RevokeGrant: true}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AIAccess(ctx, access, now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an access token of a revoked grant: %v", err)
	}
	if list, _ := s.ListAIGrants(ctx, a.ID); len(list) != 0 {
		t.Fatalf("a revoked grant is listed: %+v", list)
	}

	// The sweep deletes an expired code (its grant stays live) and the
	// grant revoked long enough ago.
	g2 := store.AIGrant{ID: "aig_2", ProjectID: a.ID, ClientID: client.ID, AdminEmail: "ada@a.test", AccountIDs: []string{"acc_1"},
		Actions: []string{"justworks_list_members"}, Resource: g.Resource, CreatedAt: now}
	if err := s.CreateAIGrant(ctx, g2, store.AIToken{Hash: tokenHash("old code"), GrantID: g2.ID, Kind: store.AICode, ExpiresAt: now.Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.SweepAI(ctx, now, now.Add(time.Hour)); err != nil || n != 2 {
		t.Fatalf("sweep: %d rows, %v; want the expired code and the revoked grant", n, err)
	}
	_, err = s.RedeemAIToken(ctx, tokenHash("old code"), store.AICode, func(store.AIGrant, store.AIToken) (store.AIRedemption, error) {
		return store.AIRedemption{}, nil
	})
	wantErr(t, err, store.ErrNotFound)
	if list, _ := s.ListAIGrants(ctx, a.ID); len(list) != 1 || list[0].ID != g2.ID {
		t.Fatalf("after the sweep: %+v", list)
	}
}

package tokens

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/patchbayhq/patchbay/internal/background"
	"github.com/patchbayhq/patchbay/internal/store"
)

// ReasonRefreshLapsed: the refresh token outlived its lifetime unused.
const ReasonRefreshLapsed = "refresh_token_lapsed"

// keepAliveAge is how old an idle account's tokens may get before the keep-alive
// refreshes them: a thirtieth of the refresh token's lifetime (a day for
// Justworks' 30 days), so a missed run or two never lets one lapse.
func keepAliveAge(lifetime time.Duration) time.Duration { return lifetime / 30 }

// KeepAlive refreshes idle accounts whose refresh tokens expire (Justworks: 30
// days) well before they lapse, and marks accounts whose refresh token already
// lapsed as expired. It handles at most limit accounts, pausing between them so
// the provider sees a trickle, not a burst. Nodes may run it at once: each
// refresh re-checks the account under its lock, so none happens twice.
func (m *Manager) KeepAlive(ctx context.Context, limit int, pause time.Duration) (refreshed int, err error) {
	minAge := time.Duration(0)
	for _, c := range m.registry.All() {
		if d := c.Auth.RefreshTokenLifetime.Duration; d > 0 && (minAge == 0 || keepAliveAge(d) < minAge) {
			minAge = keepAliveAge(d)
		}
	}
	if minAge == 0 {
		return 0, nil // no connector's refresh tokens expire
	}
	now := m.clock.Now()
	accounts, err := m.store.AccountsObtainedBefore(ctx, now.Add(-minAge), limit)
	if err != nil {
		return 0, err
	}
	for i, a := range accounts {
		c, ok := m.registry.Get(a.Provider)
		if !ok {
			// A connector this version no longer ships: nothing to refresh it with.
			m.log.WarnContext(ctx, "keep-alive skips an account of an unknown connector", "account_id", a.ID, "provider", a.Provider)
			continue
		}
		lifetime := c.Auth.RefreshTokenLifetime.Duration
		if lifetime == 0 || needsReauthorization(a) || a.Credentials.Obtained.IsZero() {
			continue
		}
		if i > 0 && pause > 0 {
			select {
			case <-time.After(pause + rand.N(pause)):
			case <-ctx.Done():
				return refreshed, ctx.Err()
			}
		}
		if now.After(a.Credentials.Obtained.Add(lifetime)) {
			m.markLapsed(ctx, a)
			continue
		}
		cutoff := now.Add(-keepAliveAge(lifetime))
		if !a.Credentials.Obtained.Before(cutoff) {
			continue
		}
		before := a.CredentialVersion
		got, err := m.refresh(ctx, a, func(cur store.Account) bool { return cur.Credentials.Obtained.Before(cutoff) })
		if err != nil {
			m.log.WarnContext(ctx, "keep-alive refresh failed", "account_id", a.ID, "err", errText(err))
			continue
		}
		if got.CredentialVersion > before {
			refreshed++
		}
	}
	return refreshed, nil
}

func (m *Manager) markLapsed(ctx context.Context, a store.Account) {
	var before store.Account
	after, err := m.lockAccount(ctx, a.ProjectID, a.ID, func(cur store.Account) (store.AccountChange, error) {
		before = cur
		if cur.CredentialVersion != a.CredentialVersion {
			return store.AccountChange{}, nil // refreshed meanwhile
		}
		return store.AccountChange{Status: store.StatusExpired, StatusReasons: []store.StatusReason{{
			Code: ReasonRefreshLapsed, Description: "The refresh token expired unused. Link the account again through the Hub.", Timestamp: m.clock.Now().UTC(),
		}}}, nil
	})
	if err != nil {
		m.log.WarnContext(ctx, "mark account expired", "account_id", a.ID, "err", err)
		return
	}
	m.reportStatus(ctx, before, after)
}

// RunKeepAlive runs KeepAlive about every interval until ctx ends; a pass that
// fails or panics is logged and the next one runs as usual.
func (m *Manager) RunKeepAlive(ctx context.Context, interval time.Duration) {
	background.Every(ctx, m.log, "keep-alive", interval, func(ctx context.Context) error {
		n, err := m.KeepAlive(ctx, 500, 200*time.Millisecond)
		if n > 0 {
			m.log.InfoContext(ctx, "keep-alive refreshed idle accounts", "count", n)
		}
		return err
	})
}

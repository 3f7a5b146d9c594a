package tokens

import (
	"context"
	"errors"
	"time"

	"github.com/patchbayhq/patchbay/internal/store"
)

// withHeld returns a with the credentials this node holds for it, when the
// database still has the ones they replaced: those are the newest the provider
// issued, and the stored refresh token no longer works.
func (m *Manager) withHeld(a store.Account) (store.Account, *Rotated) {
	v, ok := m.held.Load(a.ID)
	if !ok {
		return a, nil
	}
	r := v.(*Rotated)
	if r.BaseVersion != a.CredentialVersion {
		return a, nil // the database moved on; the committer sorts it out
	}
	a.Credentials = r.Credentials
	return a, r
}

// journal writes r to the journal, if there is one. A failure is logged: the
// commit that follows may still land.
func (m *Manager) journal(ctx context.Context, r Rotated) {
	if m.tokenJournal == nil {
		return
	}
	if err := m.tokenJournal.Save(r); err != nil {
		m.log.ErrorContext(ctx, "could not journal rotated tokens; they live in the database only once committed", "account_id", r.AccountID, "err", err)
	}
}

// hold keeps r until the database takes it, committing it in the background.
func (m *Manager) hold(r Rotated) {
	if _, running := m.held.Swap(r.AccountID, &r); !running {
		m.committers.Go(func() { m.commitHeld(r.AccountID) })
	}
}

// release forgets r once the database has it (or something newer), unless a
// newer hold replaced it meanwhile.
func (m *Manager) release(ctx context.Context, r *Rotated) {
	m.held.CompareAndDelete(r.AccountID, r)
	if m.tokenJournal != nil {
		if err := m.tokenJournal.Remove(r.AccountID); err != nil {
			m.log.WarnContext(ctx, "could not clear the token journal", "account_id", r.AccountID, "err", err)
		}
	}
}

// commitHeld stores the account's held credentials, retrying every half
// second at most until the database takes them or the manager closes.
func (m *Manager) commitHeld(accountID string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-m.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	wait := 100 * time.Millisecond
	for {
		v, ok := m.held.Load(accountID)
		if !ok {
			return // committed by a refresh meanwhile
		}
		r := v.(*Rotated)
		err := m.storeRotated(ctx, *r)
		if err == nil {
			m.log.InfoContext(ctx, "stored the held rotated tokens", "account_id", accountID)
			m.release(ctx, r)
			if _, again := m.held.Load(accountID); !again {
				return
			}
			continue // a newer grant arrived while this one was being stored
		}
		if ctx.Err() != nil {
			m.log.WarnContext(ctx, "stopped before the held rotated tokens were stored; they stay in the token journal for the next start", "account_id", accountID)
			return
		}
		m.log.WarnContext(ctx, "storing held rotated tokens failed; retrying", "account_id", accountID, "retry_in", wait, "err", err)
		select {
		case <-time.After(wait): // real time: waiting for a database to come back
		case <-ctx.Done():
		}
		// Short steps: another node that met the refresh token these replaced
		// waits for them (confirmRejection) before it calls the account dead.
		wait = min(wait*2, 500*time.Millisecond)
	}
}

// storeRotated writes r under the account lock unless the account holds a
// grant obtained later. A working grant also clears an error status (another
// node may have met invalid_grant with the refresh token r replaced).
func (m *Manager) storeRotated(ctx context.Context, r Rotated) error {
	var before store.Account
	after, err := m.lockAccount(ctx, r.ProjectID, r.AccountID, func(cur store.Account) (store.AccountChange, error) {
		before = cur
		if cur.CredentialVersion != r.BaseVersion && !cur.Credentials.Obtained.Before(r.Credentials.Obtained) {
			return store.AccountChange{}, nil // a later grant is stored
		}
		change := store.AccountChange{Credentials: &r.Credentials}
		if cur.Status == store.StatusError {
			change.Status = store.StatusActive
		}
		return change, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil // the account was deleted: nothing to keep
	}
	if err == nil {
		m.reportStatus(ctx, before, after)
	}
	return err
}

// Recover takes up the rotated credentials a previous run journaled but may
// not have stored, and commits them. Call it once at start.
func (m *Manager) Recover(ctx context.Context) error {
	if m.tokenJournal == nil {
		return nil
	}
	entries, err := m.tokenJournal.All()
	if err != nil {
		return err
	}
	for _, r := range entries {
		m.log.InfoContext(ctx, "recovering journaled rotated tokens", "account_id", r.AccountID)
		m.hold(r)
	}
	return nil
}

package tokens

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/patchbayhq/patchbay/internal/secrets"
	"github.com/patchbayhq/patchbay/internal/store"
)

// Rotated is a grant the provider issued that the database may not hold yet:
// the credentials, and the credential version they replace.
type Rotated struct {
	ProjectID   string            `json:"project_id"`
	AccountID   string            `json:"account_id"`
	BaseVersion int64             `json:"base_version"`
	Credentials store.Credentials `json:"credentials"`
}

// Journal keeps rotated credentials on local disk from the moment the
// provider issues them until the database has them, so that neither a
// database outage nor a crash in between loses a rotated refresh token.
type Journal interface {
	Save(Rotated) error
	Remove(accountID string) error
	All() ([]Rotated, error)
}

// FileJournal is a Journal of one sealed file per account in a directory
// next to the data. Writes are atomic (a renamed temporary file) and synced.
type FileJournal struct {
	dir  string
	keys *secrets.Keyring
}

// NewFileJournal returns a journal in dir (created with mode 0700), sealing
// with keys.
func NewFileJournal(dir string, keys *secrets.Keyring) (*FileJournal, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("token journal: %w", err)
	}
	return &FileJournal{dir: dir, keys: keys}, nil
}

func (j *FileJournal) path(accountID string) string { return filepath.Join(j.dir, accountID+".sealed") }

// aad binds an entry to its account, so that a file moved to another name opens for none.
func aad(accountID string) string { return "token-journal/" + accountID }

// Save writes r, replacing the account's earlier entry.
func (j *FileJournal) Save(r Rotated) error {
	plain, err := json.Marshal(r)
	if err != nil {
		return err
	}
	sealed, err := j.keys.Seal(plain, aad(r.AccountID))
	if err != nil {
		return fmt.Errorf("token journal: %w", err)
	}
	tmp, err := os.CreateTemp(j.dir, r.AccountID+".*.tmp")
	if err != nil {
		return fmt.Errorf("token journal: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.WriteString(sealed); err != nil {
		tmp.Close()
		return fmt.Errorf("token journal: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("token journal: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("token journal: %w", err)
	}
	if err := os.Rename(tmp.Name(), j.path(r.AccountID)); err != nil {
		return fmt.Errorf("token journal: %w", err)
	}
	return syncDir(j.dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("token journal: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("token journal: %w", err)
	}
	return nil
}

// Remove forgets the account's entry, if there is one.
func (j *FileJournal) Remove(accountID string) error {
	if err := os.Remove(j.path(accountID)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("token journal: %w", err)
	}
	return nil
}

// All returns every entry.
func (j *FileJournal) All() ([]Rotated, error) {
	names, err := filepath.Glob(filepath.Join(j.dir, "*.sealed"))
	if err != nil {
		return nil, fmt.Errorf("token journal: %w", err)
	}
	var out []Rotated
	for _, name := range names {
		raw, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("token journal: %w", err)
		}
		accountID := strings.TrimSuffix(filepath.Base(name), ".sealed")
		plain, err := j.keys.Open(string(raw), aad(accountID))
		if err != nil {
			return nil, fmt.Errorf("token journal: %s: %w", name, err)
		}
		var r Rotated
		if err := json.Unmarshal(plain, &r); err != nil {
			return nil, fmt.Errorf("token journal: %s: %w", name, err)
		}
		out = append(out, r)
	}
	return out, nil
}

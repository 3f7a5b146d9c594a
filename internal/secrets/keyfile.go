package secrets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/patchbayhq/patchbay/internal/clock"
)

// LoadOrCreateKeyFile reads the key ring stored at path, creating the file with one
// fresh key (mode 0600) when it does not exist. created reports whether it did.
// Creation is atomic: when several processes start at once, all end up with the
// same key.
func LoadOrCreateKeyFile(path string) (ring *Keyring, created bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		created, err = createKeyFile(path)
		if err != nil {
			return nil, false, err
		}
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, false, fmt.Errorf("read key file %s: %w", path, err)
	}
	ring, err = ParseKeys(string(data))
	if err != nil {
		return nil, false, fmt.Errorf("key file %s: %w", path, err)
	}
	return ring, created, nil
}

func createKeyFile(path string) (bool, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return false, fmt.Errorf("create key file directory: %w", err)
	}
	key, err := GenerateKey("k" + clock.System.Now().UTC().Format("20060102"))
	if err != nil {
		return false, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".patchbay-key-*")
	if err != nil {
		return false, fmt.Errorf("create key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return false, fmt.Errorf("create key file: %w", err)
	}
	if _, err := tmp.WriteString(Format(key) + "\n"); err != nil {
		tmp.Close()
		return false, fmt.Errorf("write key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return false, fmt.Errorf("write key file: %w", err)
	}
	// Link fails if another process created the file first; its key wins.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		return false, fmt.Errorf("create key file %s: %w", path, err)
	}
	return true, nil
}

package oauthserver

import (
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// savedState is what a simulator keeps on disk (Config.StateFile): its apps
// and the tokens it issued. A demo's linked accounts then outlive a restart,
// and simulators of several processes that name the same file accept each
// other's tokens.
type savedState struct {
	Apps    map[string]App          `json:"apps"`
	Access  map[string]savedAccess  `json:"access"`
	Refresh map[string]savedRefresh `json:"refresh"`
}

type savedAccess struct {
	Grant   Grant     `json:"grant"`
	Expires time.Time `json:"expires"`
	Refresh string    `json:"refresh"`
	Revoked bool      `json:"revoked"`
}

type savedRefresh struct {
	Grant     Grant     `json:"grant"`
	Expires   time.Time `json:"expires"`
	RotatedAt time.Time `json:"rotated_at"`
	Revoked   bool      `json:"revoked"`
}

// withStateLock runs fn holding an exclusive lock next to the state file, so
// that processes sharing it take turns to read and rewrite it.
func (s *Server) withStateLock(fn func() error) error {
	if err := os.MkdirAll(filepath.Dir(s.cfg.StateFile), 0o700); err != nil {
		return err
	}
	lock, err := os.OpenFile(s.cfg.StateFile+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	return fn()
}

// mergeFileLocked adds what the state file holds and this process does not:
// apps and tokens another process (or an earlier run) issued.
func (s *Server) mergeFileLocked() error {
	raw, err := os.ReadFile(s.cfg.StateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var st savedState
	if err := json.Unmarshal(raw, &st); err != nil {
		return err
	}
	for id, app := range st.Apps {
		if _, ok := s.apps[id]; !ok {
			s.apps[id] = app
		}
	}
	for tok, a := range st.Access {
		if _, ok := s.access[tok]; !ok {
			s.access[tok] = &accessToken{grant: a.Grant, expires: a.Expires, refresh: a.Refresh, revoked: a.Revoked}
		}
	}
	for tok, r := range st.Refresh {
		if _, ok := s.refreshs[tok]; !ok {
			s.refreshs[tok] = &refreshToken{grant: r.Grant, expires: r.Expires, rotatedAt: r.RotatedAt, revoked: r.Revoked}
		}
	}
	return nil
}

// reloadLocked merges the state file into memory, when there is one: called
// when a token is unknown here, since another process may have issued it.
func (s *Server) reloadLocked() {
	if s.cfg.StateFile == "" {
		return
	}
	if err := s.withStateLock(s.mergeFileLocked); err != nil {
		slog.Warn("simulator state: could not read", "file", s.cfg.StateFile, "err", err)
	}
}

// persistLocked writes memory, merged with the file, back to the file. Access
// tokens past their expiry are left out; the rest is a sandbox's worth.
func (s *Server) persistLocked() {
	if s.cfg.StateFile == "" {
		return
	}
	err := s.withStateLock(func() error {
		if err := s.mergeFileLocked(); err != nil {
			return err
		}
		now := s.now()
		st := savedState{Apps: maps.Clone(s.apps), Access: map[string]savedAccess{}, Refresh: map[string]savedRefresh{}}
		for tok, a := range s.access {
			if now.Before(a.expires) {
				st.Access[tok] = savedAccess{Grant: a.grant, Expires: a.expires, Refresh: a.refresh, Revoked: a.revoked}
			}
		}
		for tok, r := range s.refreshs {
			st.Refresh[tok] = savedRefresh{Grant: r.grant, Expires: r.expires, RotatedAt: r.rotatedAt, Revoked: r.revoked}
		}
		raw, err := json.Marshal(st)
		if err != nil {
			return err
		}
		tmp := s.cfg.StateFile + ".tmp"
		if err := os.WriteFile(tmp, raw, 0o600); err != nil {
			return err
		}
		return os.Rename(tmp, s.cfg.StateFile)
	})
	if err != nil {
		slog.Warn("simulator state: could not save; tokens issued now will not outlive a restart", "file", s.cfg.StateFile, "err", err)
	}
}

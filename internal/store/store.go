// Package store defines Patchbay's domain records and the Store interface every
// storage backend implements. The conformance suite in storetest is the definition
// of a correct backend.
//
// Every method that reads or writes project data takes the project id, so one
// project can never reach another's records. Secret fields hold plaintext in memory;
// backends seal them before they reach the database and open them on the way out.
package store

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"time"
)

var (
	// ErrNotFound means the record does not exist in the given project.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a record with the same unique identity already exists.
	ErrConflict = errors.New("already exists")
)

// Project isolates everything an integrator stores: keys, profiles, accounts, logs.
type Project struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// APIKey authenticates calls for one project. Only a hash of the key is stored,
// plus a short prefix so people can tell their keys apart.
type APIKey struct {
	ID        string
	ProjectID string
	Name      string
	Prefix    string
	Hash      []byte
	CreatedAt time.Time
	RevokedAt time.Time // zero while the key is valid
}

// Revoked reports whether the key has been revoked.
func (k APIKey) Revoked() bool { return !k.RevokedAt.IsZero() }

// ConnectorProfile is a project's configuration of one connector: the OAuth app
// credentials registered with the provider and the actions it enables.
type ConnectorProfile struct {
	ID             string
	ProjectID      string
	ConnectorKey   string
	Name           string
	ClientID       string
	ClientSecret   string // sealed at rest
	EnabledActions []string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Store is the persistence boundary. Implementations must be safe for concurrent use
// by many goroutines and by many processes sharing one database.
type Store interface {
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Close releases the database connections.
	Close() error

	// CreateProject stores p, filling ID and CreatedAt when empty.
	CreateProject(ctx context.Context, p Project) (Project, error)
	GetProject(ctx context.Context, id string) (Project, error)
	ListProjects(ctx context.Context) ([]Project, error)

	// CreateAPIKey stores k, filling ID and CreatedAt when empty. The project must exist.
	CreateAPIKey(ctx context.Context, k APIKey) (APIKey, error)
	ListAPIKeys(ctx context.Context, projectID string) ([]APIKey, error)
	// APIKeyByHash finds a key by the hash of its plaintext, revoked or not.
	APIKeyByHash(ctx context.Context, hash []byte) (APIKey, error)
	// RevokeAPIKey marks a key revoked at the given time; revoking twice keeps the first time.
	RevokeAPIKey(ctx context.Context, projectID, id string, at time.Time) (APIKey, error)

	// CreateConnectorProfile stores p, filling ID, CreatedAt and UpdatedAt when empty.
	CreateConnectorProfile(ctx context.Context, p ConnectorProfile) (ConnectorProfile, error)
	GetConnectorProfile(ctx context.Context, projectID, id string) (ConnectorProfile, error)
	ListConnectorProfiles(ctx context.Context, projectID string) ([]ConnectorProfile, error)

	// RotateSecrets re-seals every stored secret that is not sealed under the primary
	// key, committing batchSize secrets per transaction. It is safe to re-run after an
	// interruption and while other nodes write. progress, when set, is called after
	// every committed batch with the running total.
	RotateSecrets(ctx context.Context, batchSize int, progress func(resealed int)) (int, error)
}

// NewID returns a random 130-bit identifier with a readable type prefix, e.g. "prj_…".
func NewID(prefix string) string {
	return prefix + "_" + strings.ToLower(rand.Text())
}

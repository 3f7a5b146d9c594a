package store

import (
	"encoding/json"
	"time"
)

// SyncSettings are a connector profile's sync (docs/sync.md): which unified
// models Patchbay keeps for its accounts, and how often it reads them.
type SyncSettings struct {
	Enabled  bool
	Models   []string
	Interval time.Duration
}

// Statuses of a model's sync on one account.
const (
	SyncIdle    = "idle"
	SyncRunning = "running"
	SyncFailed  = "failed"
)

// SyncRun is the state of one model's sync on one account: the run under
// way or the last one, and where a run under way has got to.
type SyncRun struct {
	ProjectID string
	AccountID string
	Model     string
	Status    string
	// RunID names the run that owns the state while it runs: a page written
	// by another run (one a node thought dead) is refused.
	RunID     string
	Full      bool
	StartedAt time.Time
	EndedAt   time.Time // zero while running
	// Checkpoint is where the run has got to, its own format: a run resumed
	// on another node carries on from it.
	Checkpoint json.RawMessage
	// Counts of the run: records read, changes made, pages and provider calls.
	Records, Changes, Pages, Calls int
	Error, Hint                    string
	// LastFullAt is when the last complete full run started; Since is
	// where the next incremental run asks from.
	LastFullAt time.Time
	Since      time.Time
}

// SyncRecord is a record in the cache: the unified record as of its last
// change (sealed at rest), and its hash.
type SyncRecord struct {
	ProjectID     string
	AccountID     string
	Model         string
	RecordID      string
	Hash          []byte
	Data          json.RawMessage // nil once deleted
	FirstSeenAt   time.Time
	LastChangedAt time.Time
	DeletedAt     time.Time // zero while the provider has it
}

// SyncChange is one entry of the change feed. Seq orders a project's feed:
// it follows the order the changes committed in.
type SyncChange struct {
	Seq       int64
	ID        string
	ProjectID string
	AccountID string
	Model     string
	RecordID  string
	Change    string // connectors.ChangeAdded, ChangeUpdated, ChangeDeleted
	ChangedAt time.Time
	Data      json.RawMessage // the record as of the change; nil for a deletion
}

// SyncWrite is one change a page of a run makes: the change, the record's
// new hash, and the webhook event to record with it (nil for none).
type SyncWrite struct {
	Change SyncChange
	Hash   []byte
	Event  *Event
}

// SyncPage is what one page of a run writes in one transaction: its changes
// (records, feed entries and events) and the run's state after it.
type SyncPage struct {
	Writes []SyncWrite
	Run    SyncRun
}

// SyncChangeFilter selects a project's change feed.
type SyncChangeFilter struct {
	ProjectID  string
	AccountIDs []string // none: every account
	Model      string   // "": every model
	After      int64    // changes with a greater Seq
	Limit      int
}

// SyncRecordFilter selects a project's cached records.
type SyncRecordFilter struct {
	ProjectID  string
	AccountIDs []string
	Model      string
	// After continues past the record (account id, record id) a page ended on.
	AfterAccount, AfterRecord string
	// ChangedAfter, when set, keeps the records last changed after it.
	ChangedAfter time.Time
	Limit        int
}

// SyncDue is an account whose sync is due.
type SyncDue struct {
	ProjectID, AccountID string
	// First says no run was ever scheduled for it.
	First bool
}

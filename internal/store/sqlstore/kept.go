package sqlstore

import (
	"sync"

	"github.com/patchbayhq/patchbay/internal/store"
)

// maxKeptReads bounds the reads a node keeps: about 2 KB each.
const maxKeptReads = 4096

// keptReads holds, per API key and account, what APIKeyAndAccount last read
// and the versions of the three rows it came from (migration 0016 bumps a
// row's version on every update). Reading three integers costs a fraction of
// reading, decoding and opening the rows, and a changed version means the
// rows are read again, so nothing a node keeps outlives a change made on any
// node. Decrypted credentials are kept in memory, as they would be for the
// length of a call; they never leave the process.
//
// The kept values are shared by every call that gets them: their slices and
// maps are read-only.
type keptReads struct {
	mu sync.Mutex
	m  map[string]keptRead
}

type keptRead struct {
	versions rowVersions
	ka       store.KeyedAccount
}

// rowVersions are the versions of an API key, an account and its profile.
type rowVersions [3]int64

// keptID appends to dst the name of a key and an account: the hash's length,
// the hash, the account ID. Indexing the map with string(id) copies nothing.
func keptID(dst, hash []byte, accountID string) []byte {
	return append(append(append(dst, byte(len(hash))), hash...), accountID...)
}

func (r *keptReads) get(id []byte) (keptRead, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	kept, ok := r.m[string(id)]
	return kept, ok
}

// put keeps a read; when the node keeps as many as it may, an arbitrary one
// (map order) makes room.
func (r *keptReads) put(id []byte, kept keptRead) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string]keptRead{}
	}
	if _, ok := r.m[string(id)]; !ok && len(r.m) >= maxKeptReads {
		for other := range r.m {
			delete(r.m, other)
			break
		}
	}
	r.m[string(id)] = kept
}

func (r *keptReads) drop(id []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.m, string(id))
}

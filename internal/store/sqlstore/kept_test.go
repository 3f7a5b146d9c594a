package sqlstore

import (
	"fmt"
	"testing"
)

// A node keeps at most maxKeptReads reads: a new one makes room by letting
// another go, and the newest is always kept. The key and account are told
// apart however their bytes split (the hash's length leads).
func TestKeptReadsAreBounded(t *testing.T) {
	var r keptReads
	for i := range maxKeptReads + 100 {
		id := keptID(nil, []byte("hash"), fmt.Sprintf("acc_%d", i))
		r.put(id, keptRead{versions: rowVersions{int64(i)}})
		if kept, ok := r.get(id); !ok || kept.versions[0] != int64(i) {
			t.Fatalf("read %d was not kept", i)
		}
	}
	if len(r.m) != maxKeptReads {
		t.Fatalf("%d reads kept, want at most %d", len(r.m), maxKeptReads)
	}
	r.put(keptID(nil, []byte("ab"), "c"), keptRead{versions: rowVersions{1}})
	if _, ok := r.get(keptID(nil, []byte("a"), "bc")); ok {
		t.Fatal("hash ab with account c and hash a with account bc share a kept read")
	}
	r.drop(keptID(nil, []byte("ab"), "c"))
	if _, ok := r.get(keptID(nil, []byte("ab"), "c")); ok {
		t.Fatal("a dropped read is still kept")
	}
}

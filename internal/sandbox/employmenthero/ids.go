package employmenthero

import (
	"encoding/binary"
	"encoding/hex"
	"strings"
)

// kind says what an id names. It goes into every id's hash, so ids never
// collide across resources and an id of one kind is unknown as another.
type kind uint8

const (
	kindOrganisation kind = iota + 1
	kindUser
	kindEmployee
	kindTeam
	kindCostCentre
	kindEmployingEntity
	kindWorkLocation
	kindWorkSite
	kindPosition
	kindDepartment
	kindLeaveCategory
	kindCertification
	kindPolicy
	kindCustomField
	kindCustomFieldOption
	kindCustomFieldPermission
	kindLeaveRequest
	kindLeaveBalance
	kindTimesheetEntry
	kindPayslip
	kindPayDetail
	kindBankAccount
	kindEmploymentHistory
	kindEmployeeCertification
	kindCustomFieldValue
	kindRosteredShift
	kindOpenShift
	kindUnavailability
	kindUKTax
)

// Limits of what an id can carry besides 4 bits of organisation: 24 bits of
// index and 20 of sub-index.
const (
	maxIndex = 1<<24 - 1
	maxSub   = 1<<20 - 1
)

// ref locates a record: its kind, organisation, owning index (an employee, or the
// record itself for organisation-level lists) and its position under that index.
type ref struct {
	kind kind
	org  int
	idx  int
	sub  int
}

// mix is the SplitMix64 finaliser: a cheap, well-spread hash step.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// hash combines values into one well-spread 64-bit number.
func hash(values ...uint64) uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, v := range values {
		h = mix(h ^ mix(v+0x9e3779b97f4a7c15))
	}
	return h
}

// id returns the UUID-shaped id of a record. Ids look random but are computed,
// not stored: the last six bytes carry the record's ref (masked by a hash of the
// first ten) so parseID can find any record, including lazily derived ones, with
// no index held in memory.
func (d *Dataset) id(r ref) string {
	var b [16]byte
	h := hash(d.seed, uint64(r.kind), uint64(r.org), uint64(r.idx), uint64(r.sub))
	binary.BigEndian.PutUint64(b[0:8], h)
	binary.BigEndian.PutUint16(b[8:10], uint16(mix(h)))
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	payload := uint64(r.org)<<44 | uint64(r.idx)<<20 | uint64(r.sub)
	payload ^= d.idMask(b[0:10])
	var tail [8]byte
	binary.BigEndian.PutUint64(tail[:], payload)
	copy(b[10:16], tail[2:8])

	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	return string(s[:])
}

func (d *Dataset) idMask(head []byte) uint64 {
	return hash(d.seed, binary.BigEndian.Uint64(head[0:8]), uint64(binary.BigEndian.Uint16(head[8:10]))) & (1<<48 - 1)
}

// parseID returns the ref of an id of the given kind; ok is false for anything
// this dataset did not issue as that kind. The kind is not carried in the id:
// the hash check rejects an id of any other kind.
func (d *Dataset) parseID(s string, k kind) (ref, bool) {
	s = strings.ToLower(s) // UUIDs compare case-insensitively
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return ref{}, false
	}
	hexDigits := []byte(s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36])
	var b [16]byte
	if _, err := hex.Decode(b[:], hexDigits); err != nil {
		return ref{}, false
	}
	var tail [8]byte
	copy(tail[2:8], b[10:16])
	payload := binary.BigEndian.Uint64(tail[:]) ^ d.idMask(b[0:10])
	r := ref{kind: k, org: int(payload >> 44), idx: int(payload >> 20 & maxIndex), sub: int(payload & maxSub)}
	if d.id(r) != s {
		return ref{}, false
	}
	return r, true
}

// lookup resolves an id of kind k to the index of one of this organisation's
// count records of that kind. parseID accepts any organisation's ids, so this
// is where an id of another organisation, or past the end of the list, is
// turned away.
func (o *organisation) lookup(id string, k kind, count int) (int, bool) {
	r, ok := o.d.parseID(id, k)
	if !ok || r.org != o.n || r.idx >= count {
		return 0, false
	}
	return r.idx, true
}

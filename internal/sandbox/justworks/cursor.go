package justworks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"net/url"
	"strconv"
)

// Cursor pagination (§9). Every list is an ordered slice (or an index range)
// that only ever grows at its end, so a cursor holds the index of the last item
// returned and the next page resumes after it: new deductions never shift a
// page, and cancelled ones are skipped rather than removed.
//
// A cursor is bound to the company, the path and the filter set by an HMAC, so
// changing filters between pages, replaying it on another endpoint or company,
// or editing it gives 400 invalid_parameter (field "cursor").

const (
	defaultLimit = 100
	maxLimit     = 100
	macLen       = 12
)

// page is where a list request resumes and how much it returns.
type page struct {
	after int // index of the last item already returned; -1 on the first page
	limit int
	bind  string // what the cursor is bound to
}

// parsePage reads cursor and limit. filters are the list's normalised filter
// values, which the cursor is bound to.
func (a *api) parsePage(w http.ResponseWriter, r *http.Request, x *call, filters url.Values) (page, bool) {
	q := r.URL.Query()
	p := page{after: -1, limit: defaultLimit, bind: x.c.id + "\x00" + r.URL.Path + "\x00" + filters.Encode()}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			badParam(w, "limit", "limit must be an integer from 1 to %d, got %q", maxLimit, v)
			return page{}, false
		}
		p.limit = n
	}
	if v := q.Get("cursor"); v != "" {
		after, ok := a.openCursor(p.bind, v)
		if !ok {
			badParam(w, "cursor", "cursor is malformed or belongs to another list or filter set; keep the filters unchanged between pages")
			return page{}, false
		}
		p.after = after
	}
	return p, true
}

func (a *api) sealCursor(bind string, after int) string {
	buf := binary.BigEndian.AppendUint64(nil, uint64(after))
	buf = append(buf, a.cursorMAC(bind, buf)...)
	return base64.RawURLEncoding.EncodeToString(buf)
}

func (a *api) openCursor(bind, cursor string) (int, bool) {
	buf, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(buf) != 8+macLen || !hmac.Equal(buf[8:], a.cursorMAC(bind, buf[:8])) {
		return 0, false
	}
	return int(binary.BigEndian.Uint64(buf[:8])), true
}

func (a *api) cursorMAC(bind string, pos []byte) []byte {
	m := hmac.New(sha256.New, a.cursorKey)
	m.Write([]byte(bind))
	m.Write(pos)
	return m.Sum(nil)[:macLen]
}

// collect returns the indices of up to p.limit items among 0..n-1 after
// p.after that match, and whether another match follows them (so the last page
// carries no next_cursor).
func (p page) collect(n int, match func(i int) bool) (idx []int, more bool) {
	for i := p.after + 1; i < n; i++ {
		if !match(i) {
			continue
		}
		if len(idx) == p.limit {
			return idx, true
		}
		idx = append(idx, i)
	}
	return idx, false
}

// writeList sends one page in the configured envelope. items must be a
// non-nil slice so an empty page still encodes as [].
func (a *api) writeList(w http.ResponseWriter, p page, items any, idx []int, more bool) {
	var next any // nil encodes as null
	if more {
		next = a.sealCursor(p.bind, idx[len(idx)-1])
	}
	send := more || a.opts.NullNextCursor // whether next_cursor appears at all
	if a.opts.ListEnvelope == "data" {
		body := map[string]any{"data": items}
		if send {
			body["pagination"] = map[string]any{"next_cursor": next}
		}
		writeJSON(w, http.StatusOK, body)
		return
	}
	body := map[string]any{"items": items}
	if send {
		body["next_cursor"] = next
	}
	writeJSON(w, http.StatusOK, body)
}

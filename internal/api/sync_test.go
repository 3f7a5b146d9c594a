package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/app"
	"github.com/patchbayhq/patchbay/internal/sandbox"
	"github.com/patchbayhq/patchbay/internal/sandbox/simctl"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
	"github.com/patchbayhq/patchbay/internal/store/postgres/pgtest"
	"github.com/patchbayhq/patchbay/internal/testwait"
)

// syncEnv is a linkEnv whose profiles sync every model, with one linked
// account per provider and a webhook endpoint that takes every data change.
type syncEnv struct {
	*linkEnv
	accounts map[string]string // provider → account id
	hooks    *receiver
}

// Justworks syncs every model. Employment Hero allows 100 calls a minute per
// grant and lists payslips per employee, so its pay statements (a call per
// employee per run) would make tests wait on its limit.
var everyModel = map[string]string{"justworks": `[]`, "employmenthero": `["hris.employees","hris.employments","hris.groups","hris.time_off"]`}

// Employees only: larger companies, whose pay statements cost a call each.
var employeesOnly = map[string]string{"justworks": `["hris.employees"]`, "employmenthero": `["hris.employees"]`}

func newSyncEnv(t *testing.T, backend backendtest.Backend) *syncEnv {
	t.Helper()
	return newSyncEnvWith(t, backend, sandbox.Options{Members: 12}, everyModel)
}

// newSyncEnvWith is newSyncEnv with the given simulator settings, the
// models each provider's profile syncs, and the services' options changed by
// each of change.
func newSyncEnvWith(t *testing.T, backend backendtest.Backend, o sandbox.Options, sync map[string]string, change ...func(*app.Options)) *syncEnv {
	t.Helper()
	o.NoRateLimit = true
	e := &syncEnv{linkEnv: newLinkEnvWrapped(t, backend, o, nil, change...), accounts: map[string]string{}}
	for provider, models := range sync {
		if st, _, body := e.do(t, "PATCH", "/connector_profiles/"+e.profileOf(t, provider), basic(e.keyA),
			`{"sync":{"enabled":true,"interval_seconds":3600,"models":`+models+`}}`); st != http.StatusOK {
			t.Fatalf("turn on sync for %s: %d %v", provider, st, body)
		}
	}
	e.hooks = newReceiver(t)
	if st, _, body := e.do(t, "POST", "/webhooks", basic(e.keyA), `{"url":"`+e.hooks.URL+
		`","events":["hris.employee.created","hris.employee.updated","hris.employee.deleted","sync.failed"]}`); st != http.StatusCreated {
		t.Fatalf("webhook: %d %v", st, body)
	}
	e.deliver(t)
	// Linking queues each account's first, full run.
	e.accounts["justworks"] = e.linkProvider(t, "justworks", "admin@acme.test")
	e.accounts["employmenthero"] = e.linkProvider(t, "employmenthero", "owner@acme.test")
	for _, acc := range e.accounts {
		e.awaitSynced(t, acc, time.Time{})
	}
	return e
}

// status reads the account's sync.
func (e *syncEnv) status(t *testing.T, account string) map[string]any {
	t.Helper()
	st, _, body := e.do(t, "GET", "/accounts/"+account+"/sync", basic(e.keyA), "")
	if st != http.StatusOK {
		t.Fatalf("sync status: %d %v", st, body)
	}
	return body
}

// awaitSynced waits until every model of the account has a run that started
// at or after since and ended well; a failed run fails the test.
func (e *syncEnv) awaitSynced(t *testing.T, account string, since time.Time) map[string]any {
	t.Helper()
	return e.awaitRuns(t, account, since, false)
}

// awaitRuns is awaitSynced, waiting on through failed attempts when
// retried, as a run that fails tries again.
func (e *syncEnv) awaitRuns(t *testing.T, account string, since time.Time, retried bool) map[string]any {
	t.Helper()
	var last map[string]any
	testwait.For(t, "the sync of "+account+" to end", func() bool {
		last = e.status(t, account)
		for _, m := range last["models"].([]any) {
			m := m.(map[string]any)
			if m["status"] == "failed" && !retried {
				t.Fatalf("the sync of %s failed: %v", account, m)
			}
			started, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(m["started_at"]))
			if m["status"] != "idle" || m["ended_at"] == nil || started.Before(since) {
				return false
			}
		}
		return true
	})
	return last
}

// syncNow asks for a run of the account (full when full) and returns when
// one is queued: while a run is under way another is not.
func (e *syncEnv) syncNow(t *testing.T, account string, full bool) time.Time {
	t.Helper()
	var at time.Time
	defer func() {
		if t.Failed() {
			t.Logf("sync of %s: %v", account, e.status(t, account))
		}
	}()
	testwait.For(t, "a sync of "+account+" to be queued", func() bool {
		at = time.Now().Truncate(time.Millisecond) // the server's clock too, and what the database keeps of it
		st, _, body := e.do(t, "POST", "/accounts/"+account+"/sync", basic(e.keyA), fmt.Sprintf(`{"full":%t}`, full))
		if st != http.StatusAccepted {
			t.Fatalf("sync now: %d %v", st, body)
		}
		return body["queued"] == true
	})
	return at
}

// change applies simulated edits to a provider's demo company.
func (e *syncEnv) change(t *testing.T, provider string, add, update, remove int) (added, updated, deleted []string) {
	t.Helper()
	st, _, body := e.do(t, "POST", "/sandbox/"+provider+"/_sim/changes", basic(e.keyA),
		fmt.Sprintf(`{"add":%d,"update":%d,"delete":%d}`, add, update, remove))
	if st != http.StatusOK {
		t.Fatalf("simulated changes: %d %v", st, body)
	}
	list := func(k string) (out []string) {
		for _, id := range body[k].([]any) {
			out = append(out, id.(string))
		}
		return out
	}
	return list("added"), list("updated"), list("deleted")
}

// edit applies simulated edits to a provider's demo company and returns
// the ids of the people it has then.
func (e *syncEnv) edit(t *testing.T, provider string, add, update, remove int) map[string]bool {
	t.Helper()
	want := map[string]bool{}
	for id := range e.fresh(t, e.accounts[provider]) {
		want[id] = true
	}
	added, _, deleted := e.change(t, provider, add, update, remove)
	for _, id := range added {
		want[id] = true
	}
	for _, id := range deleted {
		delete(want, id)
	}
	return want
}

// faults queues faults at a provider's simulator, which it returns.
func (e *syncEnv) faults(t *testing.T, provider string, faults []simctl.Fault) *sandbox.Provider {
	t.Helper()
	p, _ := e.sb.Provider(provider)
	for _, f := range faults {
		if err := p.Faults.Add(f); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// feedEntry is one change of the feed.
type feedEntry struct {
	Cursor    string          `json:"cursor"`
	AccountID string          `json:"account_id"`
	Model     string          `json:"model"`
	RecordID  string          `json:"record_id"`
	Change    string          `json:"change"`
	Record    json.RawMessage `json:"record"`
}

// feed reads the whole change feed of a model from cursor on, a small page
// at a time, and returns it with the cursor to go on from.
func (e *syncEnv) feed(t *testing.T, model, cursor string) ([]feedEntry, string) {
	t.Helper()
	var all []feedEntry
	for {
		q := url.Values{"model": {model}, "page_size": {"7"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		req, _ := http.NewRequest("GET", e.srv.URL+"/sync/changes?"+q.Encode(), nil)
		req.SetBasicAuth(e.keyA, "")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Data       []feedEntry `json:"data"`
			NextCursor string      `json:"next_cursor"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || page.NextCursor == "" {
			t.Fatalf("change feed: %d %v %+v", resp.StatusCode, err, page)
		}
		all, cursor = append(all, page.Data...), page.NextCursor
		if len(page.Data) == 0 {
			return all, cursor
		}
	}
}

// fresh reads every employee of the account from the provider through the
// unified API, by id.
func (e *syncEnv) fresh(t *testing.T, account string) map[string]json.RawMessage {
	t.Helper()
	st, records, body := e.unifiedList(t, account, "/unified/hris/employees", "page_size=5")
	if st != http.StatusOK {
		t.Fatalf("unified employees: %d %v", st, body)
	}
	return records
}

// unifiedList reads every page of a unified list for the account, by
// record id; on a failed page it returns that page's status and body.
func (e *syncEnv) unifiedList(t *testing.T, account, path, query string) (int, map[string]json.RawMessage, map[string]any) {
	t.Helper()
	out := map[string]json.RawMessage{}
	next := ""
	for {
		page := path + "?" + query
		if next != "" {
			page += "&next=" + url.QueryEscape(next)
		}
		st, _, body := e.do(t, "GET", page, basic(e.keyA), "", "X-Account-Id", account)
		if st != http.StatusOK {
			return st, nil, body
		}
		for _, r := range body["data"].([]any) {
			raw, _ := json.Marshal(r)
			out[fmt.Sprint(r.(map[string]any)["id"])] = raw
		}
		if body["next"] == nil {
			return st, out, body
		}
		next = body["next"].(string)
	}
}

// TestSyncFollowsEveryChangeExactly links an account of each provider with
// sync on, then edits the simulators in bursts while runs happen: the change
// feed and the webhooks then hold exactly the simulators' net edits, in
// order per record, and the cache equals a fresh read of the provider.
func TestSyncFollowsEveryChangeExactly(t *testing.T) {
	for _, backend := range backendtest.All {
		t.Run(backend.Name, func(t *testing.T) {
			t.Parallel()
			testSyncExactness(t, backend)
		})
	}
}

func testSyncExactness(t *testing.T, backend backendtest.Backend) {
	e := newSyncEnv(t, backend)
	r := rand.New(rand.NewPCG(7, 11))
	// want is each provider's people as the simulator's edits leave them:
	// present or not, and which ids were edited.
	want := map[string]map[string]bool{}
	edited := map[string]bool{}
	for provider, account := range e.accounts {
		want[provider] = map[string]bool{}
		for id := range e.fresh(t, account) {
			want[provider][id] = true
		}
	}
	edits := 0
	for burst := range 5 {
		for _, provider := range []string{"justworks", "employmenthero"} {
			add, update, remove := 8+r.IntN(6), 8+r.IntN(6), 3+r.IntN(4)
			added, updated, deleted := e.change(t, provider, add, update, remove)
			edits += len(added) + len(updated) + len(deleted)
			for _, id := range added {
				want[provider][id] = true
			}
			for _, id := range updated {
				edited[id] = true
			}
			for _, id := range deleted {
				delete(want[provider], id)
			}
			// A run starts on the edits while the next burst comes.
			e.syncNow(t, e.accounts[provider], burst%2 == 0)
		}
	}
	if edits < 200 {
		t.Fatalf("only %d edits", edits)
	}
	// A last full run of each sees what the runs under way missed.
	for _, account := range e.accounts {
		e.awaitSynced(t, account, time.Time{})
		e.awaitSynced(t, account, e.syncNow(t, account, true))
	}

	feed, _ := e.feed(t, "hris.employees", "")
	present, updates := fold(t, feed)
	for provider, account := range e.accounts {
		fresh := e.fresh(t, account)
		if got, wantIDs := sortedKeys(present[account]), sortedKeys(want[provider]); !slices.Equal(got, wantIDs) {
			t.Errorf("%s: the feed ends with %d employees %v, the simulator has %d %v", provider, len(got), got, len(wantIDs), wantIDs)
		}
		for id, rec := range fresh {
			if !jsonEqual(present[account][id], rec) {
				t.Errorf("%s: the feed's last record of %s is not what the provider answers now:\n%s\n%s", provider, id, present[account][id], rec)
			}
		}
		e.compareCache(t, account, fresh)
	}
	// Edited people still there read as the provider has them now (above),
	// so each edit that mattered came through; at least some as UPDATED.
	if len(updates) == 0 {
		t.Errorf("%d people were edited, the feed has no UPDATED", len(edited))
	}

	// Every model's cache is what the provider answers now.
	for provider, account := range e.accounts {
		for _, path := range []string{"/unified/hris/employees", "/unified/hris/employments", "/unified/hris/time_off", "/unified/hris/groups"} {
			_, provided, body := e.unifiedList(t, account, path, "page_size=50")
			_, cached, cbody := e.unifiedList(t, account, path, "page_size=50&source=cache")
			if provided == nil || cached == nil || len(provided) != len(cached) {
				t.Fatalf("%s %s: %d from the provider (%v), %d cached (%v)", provider, path, len(provided), body["message"], len(cached), cbody["message"])
			}
			for id, rec := range provided {
				if !jsonEqual(cached[id], rec) {
					t.Errorf("%s %s: cached %s is\n%s\nthe provider's\n%s", provider, path, id, cached[id], rec)
				}
			}
		}
	}

	// Webhooks: one per change, same kind, in the feed's order per record.
	kinds := map[string]string{"ADDED": "hris.employee.created", "UPDATED": "hris.employee.updated", "DELETED": "hris.employee.deleted"}
	got := e.hooks.await(t, len(feed))
	perRecord := map[string][]string{}
	for _, d := range got {
		perRecord[fmt.Sprint(d.event["record_id"])] = append(perRecord[fmt.Sprint(d.event["record_id"])], fmt.Sprint(d.event["type"]))
	}
	wantPer := map[string][]string{}
	for _, c := range feed {
		wantPer[c.RecordID] = append(wantPer[c.RecordID], kinds[c.Change])
	}
	if len(got) != len(feed) {
		t.Errorf("%d webhooks for %d changes", len(got), len(feed))
	}
	for id, w := range wantPer {
		if !slices.Equal(perRecord[id], w) {
			t.Errorf("webhooks of %s: %v, want %v", id, perRecord[id], w)
		}
	}

	// Quiet when nothing changed: a run over unchanged accounts makes no
	// change, no feed entry (of any model) and no webhook.
	_, cursor := e.feed(t, "", "")
	for _, account := range e.accounts {
		st := e.awaitSynced(t, account, e.syncNow(t, account, false))
		for _, m := range st["models"].([]any) {
			if m := m.(map[string]any); m["changes"] != float64(0) || m["records"] == float64(0) {
				t.Errorf("a run over an unchanged account: %v", m)
			}
		}
	}
	if more, _ := e.feed(t, "", cursor); len(more) > 0 {
		t.Errorf("a run over unchanged accounts added %d changes, the first %s of %s %s", len(more), more[0].Change, more[0].Model, more[0].RecordID)
	}
	if n := len(e.hooks.await(t, len(feed))); n != len(feed) {
		t.Errorf("%d webhooks after a quiet run, want %d", n, len(feed))
	}

	// Records are sealed at rest: the ids are in the database, the people's
	// emails are not (SQLite's files, or a pg_dump).
	dump := rawDatabase(t, e.dbURL)
	emails := 0
	for _, account := range e.accounts {
		for id, rec := range e.fresh(t, account) {
			var person struct {
				WorkEmail string `json:"work_email"`
			}
			json.Unmarshal(rec, &person)
			if !bytes.Contains(dump, []byte(id)) {
				t.Fatalf("the dump lacks record %s: it proves nothing", id)
			}
			if person.WorkEmail != "" && bytes.Contains(dump, []byte(person.WorkEmail)) {
				t.Fatalf("the %s database holds a synced record in clear (%s)", e.dbURL[:6], person.WorkEmail)
			}
			emails += min(len(person.WorkEmail), 1)
		}
	}
	if emails < 20 {
		t.Fatalf("only %d people have a work email: the check proves little", emails)
	}
}

// fold replays a feed: the records each account has at its end (as last
// changed), and how often each record was updated. A change that cannot
// follow the ones before it (an add of a present record, a change or
// delete of an absent one) fails the test: a duplicate or out of order.
func fold(t *testing.T, feed []feedEntry) (map[string]map[string]json.RawMessage, map[string]int) {
	t.Helper()
	present := map[string]map[string]json.RawMessage{} // account → record id → record
	updates := map[string]int{}
	for _, c := range feed {
		records := present[c.AccountID]
		if records == nil {
			records = map[string]json.RawMessage{}
			present[c.AccountID] = records
		}
		_, there := records[c.RecordID]
		switch {
		case c.Change == "ADDED" && !there, c.Change == "UPDATED" && there:
			records[c.RecordID] = c.Record
			if c.Change == "UPDATED" {
				updates[c.RecordID]++
			}
		case c.Change == "DELETED" && there && c.Record == nil:
			delete(records, c.RecordID)
		default:
			t.Fatalf("change %s of %s when the feed had it present=%t: a duplicate or out of order", c.Change, c.RecordID, there)
		}
	}
	return present, updates
}

// compareCache checks that the account's cached employees are the records
// the provider answers now.
func (e *syncEnv) compareCache(t *testing.T, account string, fresh map[string]json.RawMessage) {
	t.Helper()
	cached := map[string]json.RawMessage{}
	next := ""
	for {
		path := "/sync/records?model=hris.employees&page_size=4"
		if next != "" {
			path += "&next=" + url.QueryEscape(next)
		}
		st, _, body := e.do(t, "GET", path, basic(e.keyA), "", "X-Account-Id", account)
		if st != http.StatusOK {
			t.Fatalf("sync records: %d %v", st, body)
		}
		for _, r := range body["data"].([]any) {
			r := r.(map[string]any)
			raw, _ := json.Marshal(r["record"])
			cached[r["record_id"].(string)] = raw
		}
		if body["next"] == nil {
			break
		}
		next = body["next"].(string)
	}
	if len(cached) != len(fresh) {
		t.Errorf("the cache holds %d employees of %s, the provider %d", len(cached), account, len(fresh))
	}
	for id, rec := range fresh {
		if !jsonEqual(cached[id], rec) {
			t.Errorf("cached %s differs from the provider's:\n%s\n%s", id, cached[id], rec)
		}
	}
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestUnifiedListsFromTheCache answers unified lists from the records cache:
// the same records as the provider's, and filter[updated_after] for
// Employment Hero too, whose API cannot filter by update time.
func TestUnifiedListsFromTheCache(t *testing.T) {
	t.Parallel()
	e := newSyncEnv(t, backendtest.SQLite)
	eh := e.accounts["employmenthero"]
	list := func(account, query string) (int, map[string]json.RawMessage, map[string]any) {
		return e.unifiedList(t, account, "/unified/hris/employees", "page_size=4&"+query)
	}
	for provider, account := range e.accounts {
		_, cached, _ := list(account, "source=cache")
		fresh := e.fresh(t, account)
		if len(cached) != len(fresh) {
			t.Fatalf("%s: %d cached employees, %d from the provider", provider, len(cached), len(fresh))
		}
		for id, rec := range fresh {
			if !jsonEqual(cached[id], rec) {
				t.Fatalf("%s: cached %s is\n%s\nthe provider's\n%s", provider, id, cached[id], rec)
			}
		}
	}

	since := time.Now().UTC()
	added, updated, _ := e.change(t, "employmenthero", 2, 3, 0)
	e.awaitSynced(t, eh, e.syncNow(t, eh, false))
	after := "filter%5Bupdated_after%5D=" + url.QueryEscape(since.Format(time.RFC3339Nano))
	if st, _, body := list(eh, after); st != http.StatusNotImplemented {
		t.Fatalf("Employment Hero's own filter by update time: %d %v", st, body)
	}
	_, changed, _ := list(eh, "source=cache&"+after)
	if got, want := sortedKeys(changed), sortedKeys(setOf(append(added, updated...))); !slices.Equal(got, want) {
		t.Fatalf("changed after %s, from the cache: %v, want %v", since, got, want)
	}

	// The feed of the two accounts named, and of one.
	_, all := e.feed(t, "", "")
	q := url.Values{"filter[account_ids]": {strings.Join([]string{eh, e.accounts["justworks"]}, ",")}, "page_size": {"1000"}}
	if st, _, body := e.do(t, "GET", "/sync/changes?"+q.Encode(), basic(e.keyA), ""); st != http.StatusOK || len(body["data"].([]any)) == 0 {
		t.Fatalf("the feed of both accounts: %d %v", st, body["message"])
	}
	st, _, body := e.do(t, "GET", "/sync/changes?page_size=1000", basic(e.keyA), "", "X-Account-Id", eh)
	for _, c := range body["data"].([]any) {
		if c.(map[string]any)["account_id"] != eh {
			t.Fatalf("the feed of %s holds %v", eh, c)
		}
	}
	if st != http.StatusOK || len(body["data"].([]any)) == 0 {
		t.Fatalf("the feed of one account: %d %v", st, body["message"])
	}

	for _, c := range []struct{ path, want string }{
		{"/unified/hris/locations?source=cache", "not answered from the cache"},
		{"/unified/hris/employees?source=cache&filter%5Bemail%5D=a%40b.c", "filter[email]: not taken with source=cache"},
		{"/unified/hris/employees?source=elsewhere", "is not provider"},
	} {
		st, _, body := e.do(t, "GET", c.path, basic(e.keyA), "", "X-Account-Id", eh)
		if st != http.StatusBadRequest || !strings.Contains(fmt.Sprint(body["message"]), c.want) {
			t.Errorf("%s: %d %v", c.path, st, body)
		}
	}

	// Turning sync off deletes what it kept.
	if st, _, body := e.do(t, "PATCH", "/connector_profiles/"+e.profileOf(t, "employmenthero"), basic(e.keyA), `{"sync":{"enabled":false}}`); st != http.StatusOK {
		t.Fatalf("turn sync off: %d %v", st, body)
	}
	if left, _ := e.feed(t, "", ""); len(left) == 0 {
		t.Fatal("the feed is empty: Justworks' changes went too")
	}
	st, _, body = e.do(t, "GET", "/sync/records?model=hris.employees", basic(e.keyA), "", "X-Account-Id", eh)
	if st != http.StatusOK || len(body["data"].([]any)) != 0 {
		t.Fatalf("Employment Hero's records after sync was turned off: %d %v", st, body)
	}
	if st, _, body := e.do(t, "GET", "/sync/changes?page_size=1000", basic(e.keyA), "", "X-Account-Id", eh); st != http.StatusOK || len(body["data"].([]any)) != 0 {
		t.Fatalf("Employment Hero's feed after sync was turned off: %d %v", st, body)
	}

	// A cursor older than the feed keeps changes is refused, with what to do.
	e.clk.Advance(31 * 24 * time.Hour)
	if st, _, body := e.do(t, "GET", "/sync/changes?cursor="+url.QueryEscape(all), basic(e.keyA), ""); st != http.StatusGone ||
		!strings.Contains(fmt.Sprint(body["message"]), "may have been deleted") {
		t.Fatalf("a cursor past the feed's 30 days: %d %v", st, body)
	}
}

func setOf(ids []string) map[string]bool {
	out := map[string]bool{}
	for _, id := range ids {
		out[id] = true
	}
	return out
}

// TestSyncResumesThroughProviderFaults: a full run over three pages, each
// read in an attempt's slice of its own, meets
// 503s past the executor's retries mid-run (the attempt fails with its
// checkpoint kept, the next resumes from it), then a storm of 429s with
// Retry-After, while the one-second access tokens expire under it. The feed
// then holds exactly the simulator's edits, once each.
func TestSyncResumesThroughProviderFaults(t *testing.T) {
	t.Parallel()
	// Every page ends its attempt's slice: the run goes back to the queue
	// after each, and goes on from its checkpoint.
	// (Employees only: employments read the same list and would meet the faults too.)
	e := newSyncEnvWith(t, backendtest.SQLite, sandbox.Options{Members: 250, AccessTTL: map[string]time.Duration{"justworks": 2 * time.Second}},
		employeesOnly, func(o *app.Options) { o.SyncSlice = time.Nanosecond })
	account := e.accounts["justworks"]
	want := e.edit(t, "justworks", 5, 5, 3)
	jw := e.faults(t, "justworks", []simctl.Fault{
		{PathPrefix: "/v1/members", Count: 1, Kind: simctl.KindDelay, DelayMS: 1}, // page 1 goes through
		// Page 2 fails five times (the executor's attempts): the run's attempt
		// fails; the next one meets three more, then page 2 goes through.
		{PathPrefix: "/v1/members", Count: 8, Kind: simctl.KindStatus, Status: 503},
		{PathPrefix: "/v1/members", Count: 1, Kind: simctl.KindDelay, DelayMS: 1},
		{PathPrefix: "/v1/members", Count: 3, Kind: simctl.KindStatus, Status: 429, RetryAfter: 1}, // then page 3
	})
	jw.Stats.Reset()
	at := e.syncNow(t, account, true)
	testwait.For(t, "the first attempt to fail", func() bool {
		for _, m := range e.status(t, account)["models"].([]any) {
			if m := m.(map[string]any); m["model"] == "hris.employees" && m["status"] == "failed" {
				return strings.Contains(fmt.Sprint(m["hint"]), "resumes where it stopped")
			}
		}
		return false
	})
	e.awaitRuns(t, account, at, true)
	took := time.Since(at)
	if n := jw.Stats.Get("fault.status"); n != 11 {
		t.Fatalf("%d faults met, want all 11", n)
	}
	// Pages read, as the request log has them: 1, then 2 and 3 on the
	// second attempt (which did not read page 1 again), then the second
	// pass over the three pages that looks for the deleted members again.
	q := url.Values{"filter[account_ids]": {account}, "filter[success]": {"true"}, "filter[start_date]": {at.UTC().Format(time.RFC3339Nano)}, "page_size": {"100"}}
	st, _, body := e.do(t, "GET", "/requests/logs?"+q.Encode(), basic(e.keyA), "")
	pages := 0
	for _, l := range body["data"].([]any) {
		if l.(map[string]any)["source"] == "sync" {
			pages++
		}
	}
	if next, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(e.status(t, account)["next_run_at"])); next.Before(at.Add(59 * time.Minute)) {
		t.Fatalf("the next run is at %v, want an hour after this one", next)
	}
	if st != http.StatusOK || pages != 6 {
		t.Fatalf("%d pages read, want 6: the second attempt did not resume where the first stopped (%d %v)", pages, st, body["message"])
	}
	if n := jw.Stats.Get("token.refresh_token"); n < 1 || n > int64(took/(1500*time.Millisecond))+1 {
		t.Fatalf("%d refreshes in %s of 2-second tokens: want one per expiry", n, took)
	}
	feed, _ := e.feed(t, "hris.employees", "")
	present, _ := fold(t, feed)
	if got, w := sortedKeys(present[account]), sortedKeys(want); !slices.Equal(got, w) {
		t.Fatalf("the feed ends with %d members, the simulator has %d", len(got), len(w))
	}
	e.compareCache(t, account, e.fresh(t, account))
}

// TestSyncStopsWhenItsProfileIsDisabled: a run whose account becomes
// inactive mid-run stops, is not tried again, and says why.
func TestSyncStopsWhenItsProfileIsDisabled(t *testing.T) {
	t.Parallel()
	e := newSyncEnvWith(t, backendtest.SQLite, sandbox.Options{Members: 250}, employeesOnly)
	account := e.accounts["justworks"]
	// An endpoint of its own: the env's endpoint gets sync.failed only after
	// the first runs' 250 data-change events of the account before it.
	failures := newReceiver(t)
	if st, _, body := e.do(t, "POST", "/webhooks", basic(e.keyA), `{"url":"`+failures.URL+`","events":["sync.failed"]}`); st != http.StatusCreated {
		t.Fatalf("webhook: %d %v", st, body)
	}
	jw := e.faults(t, "justworks", []simctl.Fault{{PathPrefix: "/v1/members", Count: 1, Kind: simctl.KindDelay, DelayMS: 500}})
	e.syncNow(t, account, true)
	testwait.For(t, "the run's first page at the provider", func() bool { return jw.Stats.Get("fault.delay") == 1 })
	if st, _, body := e.do(t, "PATCH", "/connector_profiles/"+e.profileOf(t, "justworks"), basic(e.keyA), `{"enabled":false}`); st != http.StatusOK {
		t.Fatalf("disable the profile: %d %v", st, body)
	}
	var stopped map[string]any
	testwait.For(t, "the run to stop", func() bool {
		for _, m := range e.status(t, account)["models"].([]any) {
			if m := m.(map[string]any); m["model"] == "hris.employees" && m["status"] == "failed" {
				stopped = m
				return true
			}
		}
		return false
	})
	if !strings.Contains(fmt.Sprint(stopped["error"]), "inactive") || !strings.Contains(fmt.Sprint(stopped["hint"]), "once the account is active again") {
		t.Fatalf("the stopped run says %v", stopped)
	}
	if st, _, body := e.do(t, "POST", "/accounts/"+account+"/sync", basic(e.keyA), ""); st == http.StatusAccepted {
		t.Fatalf("a sync of an inactive account was queued: %v", body)
	}
	// The integrator hears of it.
	testwait.For(t, "a sync.failed webhook", func() bool {
		failures.mu.Lock()
		defer failures.mu.Unlock()
		for _, d := range failures.deliveries {
			if d.event["type"] == "sync.failed" && d.event["account_id"] == account && d.event["model"] == "hris.employees" &&
				strings.Contains(fmt.Sprint(d.event["error"]), "inactive") {
				return true
			}
		}
		return false
	})
}

// TestSyncSurvivesADatabaseBlink stops PostgreSQL while a run's second page
// is at the provider and starts it again: the page's write fails, the run's
// next attempt goes on from the first page's checkpoint, and the feed holds
// exactly the simulator's edits.
func TestSyncSurvivesADatabaseBlink(t *testing.T) {
	t.Parallel()
	pg := pgtest.StartPrivate(t)
	private := backendtest.Backend{Name: "postgres", URL: func(testing.TB) string { return pg.URL }}
	e := newSyncEnvWith(t, private, sandbox.Options{Members: 250}, employeesOnly)
	account := e.accounts["justworks"]
	want := e.edit(t, "justworks", 4, 4, 2)
	jw := e.faults(t, "justworks", []simctl.Fault{
		{PathPrefix: "/v1/members", Count: 1, Kind: simctl.KindDelay, DelayMS: 1},
		{PathPrefix: "/v1/members", Count: 1, Kind: simctl.KindDelay, DelayMS: 3000},
	})
	answered := jw.Stats.Get("api.GET /v1/members")
	at := e.syncNow(t, account, true)
	testwait.For(t, "the run's second page at the provider", func() bool { return jw.Stats.Get("fault.delay") == 2 })
	pg.Stop(t)
	// The page comes back while the database is away: its write fails.
	testwait.For(t, "the second page's answer", func() bool { return jw.Stats.Get("api.GET /v1/members") == answered+2 })
	pg.Start(t)
	e.awaitRuns(t, account, at, true)
	feed, _ := e.feed(t, "hris.employees", "")
	present, _ := fold(t, feed)
	if got, w := sortedKeys(present[account]), sortedKeys(want); !slices.Equal(got, w) {
		t.Fatalf("the feed ends with %d members, the simulator has %d", len(got), len(w))
	}
	e.compareCache(t, account, e.fresh(t, account))
}

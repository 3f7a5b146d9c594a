package employmenthero_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/sandbox/employmenthero"
	"github.com/patchbayhq/patchbay/internal/sandbox/oauthserver"
)

// tokens stands in for the OAuth server: fixed bearer strings mapped to grants.
type tokens map[string]oauthserver.Grant

func (t tokens) Authenticate(r *http.Request) (oauthserver.Grant, error) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		return oauthserver.Grant{}, oauthserver.ErrNoToken
	}
	g, ok := t[token]
	if !ok {
		return oauthserver.Grant{}, oauthserver.ErrInvalidToken
	}
	return g, nil
}

// world is a simulator with the dataset's accounts and tokens for them.
type world struct {
	data    *employmenthero.Dataset
	url     string
	acme    string // organisation ids
	acmeNZ  string
	initech string
}

// Bearer tokens of the test authenticator.
const (
	ownerToken   = "owner"   // the demo owner with every scope of the connector
	staffToken   = "staff"   // a non-admin Acme employee with every scope
	initechToken = "initech" // the Initech admin with every scope
)

// loadConnector loads the definitions once: compiling their schemas is the
// slowest part of setting up a test.
var loadConnector = sync.OnceValues(func() (*connectors.Connector, error) {
	r, err := connectors.Embedded()
	if err != nil {
		return nil, err
	}
	c, ok := r.Get("employmenthero")
	if !ok {
		return nil, errors.New("no employmenthero connector definition")
	}
	return c, nil
})

func connector(t testing.TB) *connectors.Connector {
	t.Helper()
	c, err := loadConnector()
	if err != nil {
		t.Fatalf("load connector definitions: %v", err)
	}
	return c
}

func allScopes(t testing.TB) []string {
	var scopes []string
	for _, s := range connector(t).Scopes {
		if s.ID != "timesheet_entries:list" { // the older alias; the connector's own name must suffice
			scopes = append(scopes, s.ID)
		}
	}
	return scopes
}

func user(t testing.TB, d *employmenthero.Dataset, email string) oauthserver.User {
	t.Helper()
	users := d.Users()
	i := slices.IndexFunc(users, func(u oauthserver.User) bool { return u.Email == email })
	if i < 0 {
		t.Fatalf("no user %s", email)
	}
	return users[i]
}

func grantFor(u oauthserver.User, scopes ...string) oauthserver.Grant {
	g := oauthserver.Grant{ClientID: "test-client", UserID: u.ID, Role: u.Role, Scopes: scopes}
	for _, tenant := range u.Tenants {
		g.Tenants = append(g.Tenants, tenant.ID)
	}
	return g
}

// newWorld starts a simulator over a generated dataset. extra maps further
// tokens to the demo owner with the given scopes.
func newWorld(t testing.TB, o employmenthero.Options, extra map[string][]string) *world {
	t.Helper()
	d := employmenthero.Generate(o)
	scopes := allScopes(t)
	owner := user(t, d, employmenthero.DemoOwnerEmail)
	auth := tokens{
		ownerToken:   grantFor(owner, scopes...),
		staffToken:   grantFor(user(t, d, employmenthero.StaffEmail), scopes...),
		initechToken: grantFor(user(t, d, employmenthero.InitechAdminEmail), scopes...),
	}
	for token, s := range extra {
		auth[token] = grantFor(owner, s...)
	}
	srv := httptest.NewServer(employmenthero.NewAPI(d, auth, employmenthero.APIOptions{}))
	t.Cleanup(srv.Close)
	w := &world{data: d, url: srv.URL}
	for _, org := range d.Organisations() {
		switch org.Name {
		case employmenthero.AcmeName:
			w.acme = org.ID
		case employmenthero.AcmeNZName:
			w.acmeNZ = org.ID
		case employmenthero.InitechName:
			w.initech = org.ID
		}
	}
	return w
}

// response is a decoded reply.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (w *world) get(t testing.TB, token, path string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, w.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("GET %s: status %d, body is not JSON: %v", path, res.StatusCode, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: body, raw: string(raw)}
}

// expect fails unless the reply has the status; error replies must carry the §9 body.
func (r response) expect(t testing.TB, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	if status >= 400 {
		if code, _ := r.body["code"].(float64); int(code) != status {
			t.Fatalf("error body code %v, want %d: %s", r.body["code"], status, r.raw)
		}
		if msg, _ := r.body["error"].(string); msg == "" {
			t.Fatalf("error body has no error message: %s", r.raw)
		}
	}
	return r
}

func (r response) data(t testing.TB) map[string]any {
	t.Helper()
	d, ok := r.body["data"].(map[string]any)
	if !ok {
		t.Fatalf("no data object: %s", r.raw)
	}
	return d
}

func (r response) items(t testing.TB) []map[string]any {
	t.Helper()
	raw, ok := r.data(t)["items"].([]any)
	if !ok {
		t.Fatalf("no data.items list: %s", r.raw)
	}
	items := make([]map[string]any, len(raw))
	for i, item := range raw {
		items[i] = item.(map[string]any)
	}
	return items
}

func (r response) number(t testing.TB, field string) int {
	t.Helper()
	n, ok := r.data(t)[field].(float64)
	if !ok {
		t.Fatalf("data.%s is not a number: %s", field, r.raw)
	}
	return int(n)
}

// errorsMention reports whether the 400 body's errors name the parameter.
func (r response) errorsMention(param string) bool {
	list, _ := r.body["errors"].([]any)
	for _, e := range list {
		if s, _ := e.(string); strings.Contains(s, param) {
			return true
		}
	}
	return false
}

func (w *world) org(path string) string { return "/api/v1/organisations/" + w.acme + path }

// firstID returns the id of the first item of a list.
func (w *world) firstID(t testing.TB, token, path string) string {
	t.Helper()
	items := w.get(t, token, path).expect(t, 200).items(t)
	if len(items) == 0 {
		t.Fatalf("GET %s: no items", path)
	}
	return items[0]["id"].(string)
}

// TestEveryActionIsServed calls every action of the connector definition with
// real ids, once with only its required query parameters and once with every
// parameter its input schema declares, and expects 200 with the envelope the
// action reads.
func TestEveryActionIsServed(t *testing.T) {
	t.Parallel()
	w := newWorld(t, employmenthero.Options{Seed: 7}, nil)
	ownerID := w.firstID(t, ownerToken, w.org("/employees?item_per_page=1")) // the owner is the first record
	pathValues := map[string]string{
		"organisation_id":  w.acme,
		"employee_id":      ownerID,
		"team_id":          w.firstID(t, ownerToken, w.org("/teams")),
		"leave_request_id": w.firstID(t, ownerToken, w.org("/leave_requests")),
	}
	costCentre := w.firstID(t, ownerToken, w.org("/cost_centres"))
	queryValues := map[string]string{
		"page_index": "1", "item_per_page": "100", "member_type": "employee",
		"start_date": "2026-01-01", "end_date": "2026-06-30",
		"from_date": "2026-03-09T00:00:00+11:00", "to_date": "2026-03-15T23:59:59+11:00",
		"statuses[]": "published", "location_ids[]": costCentre, "member_ids[]": ownerID,
		"unassigned_shifts_only": "false", "exclude_shifts_overlapping_from_date": "false",
		"location_id": costCentre, "member_id": ownerID,
	}
	byAction := map[string]map[string]string{
		"employmenthero_list_timesheet_entries": {"start_date": "01/03/2026", "end_date": "15/03/2026"},
		"employmenthero_list_unavailabilities":  {"from_date": "2026-03-01", "to_date": "2026-03-31"},
	}

	actions := connector(t).ProviderActions()
	if len(actions) != 29 {
		t.Fatalf("the definition has %d actions, want 29", len(actions))
	}
	for _, a := range actions {
		t.Run(a.ID, func(t *testing.T) {
			path := a.Path
			for name, value := range pathValues {
				path = strings.ReplaceAll(path, "{"+name+"}", value)
			}
			if strings.Contains(path, "{") {
				t.Fatalf("no value for a path parameter of %s", a.Path)
			}
			props, _ := a.Inputs.Query["properties"].(map[string]any)
			required, _ := a.Inputs.Query["required"].([]any)
			for _, all := range []bool{false, true} {
				q := url.Values{}
				for name := range props {
					if !all && !slices.Contains(required, any(name)) {
						continue
					}
					value, ok := byAction[a.ID][name]
					if !ok {
						value, ok = queryValues[name]
					}
					if !ok {
						t.Fatalf("no sample value for query parameter %s", name)
					}
					q.Set(name, value)
				}
				target := path
				if len(q) > 0 {
					target += "?" + q.Encode()
				}
				res := w.get(t, ownerToken, target).expect(t, 200)
				if a.Paginated {
					res.items(t)
					res.number(t, "total_pages")
				} else if len(res.data(t)) == 0 {
					t.Fatalf("GET %s: empty data", target)
				}
			}
		})
	}
}

func TestPaginationReturnsEveryEmployeeOnce(t *testing.T) {
	t.Parallel()
	const members = 1234
	w := newWorld(t, employmenthero.Options{Seed: 3, Members: members}, nil)
	seen := map[string]bool{}
	pages := 0
	for index := 1; ; index++ {
		res := w.get(t, ownerToken, w.org(fmt.Sprintf("/employees?item_per_page=100&page_index=%d", index))).expect(t, 200)
		if res.number(t, "total_items") != members || res.number(t, "total_pages") != 13 {
			t.Fatalf("page %d: totals %d items, %d pages; want %d, 13", index, res.number(t, "total_items"), res.number(t, "total_pages"), members)
		}
		items := res.items(t)
		if len(items) == 0 {
			break
		}
		pages++
		for _, item := range items {
			id := item["id"].(string)
			if seen[id] {
				t.Fatalf("employee %s listed twice", id)
			}
			seen[id] = true
		}
	}
	if len(seen) != members || pages != 13 {
		t.Fatalf("%d employees over %d pages, want %d over 13", len(seen), pages, members)
	}

	// Past the last page: no items, the same totals.
	res := w.get(t, ownerToken, w.org("/employees?item_per_page=100&page_index=99")).expect(t, 200)
	if len(res.items(t)) != 0 || res.number(t, "total_items") != members || res.number(t, "page_index") != 99 {
		t.Fatalf("page beyond the end: %s", res.raw)
	}
	// Defaults: page 1 of 20; a misspelt items_per_page is ignored (§5).
	res = w.get(t, ownerToken, w.org("/employees?items_per_page=100")).expect(t, 200)
	if len(res.items(t)) != 20 || res.number(t, "item_per_page") != 20 || res.number(t, "page_index") != 1 {
		t.Fatalf("default page: %d items, item_per_page %d", len(res.items(t)), res.number(t, "item_per_page"))
	}
}

func TestPagingParametersAreValidated(t *testing.T) {
	t.Parallel()
	w := newWorld(t, employmenthero.Options{Seed: 1}, nil)
	for query, param := range map[string]string{
		"item_per_page=101": "item_per_page",
		"item_per_page=0":   "item_per_page",
		"item_per_page=ten": "item_per_page",
		"page_index=0":      "page_index",
		"page_index=-2":     "page_index",
	} {
		res := w.get(t, ownerToken, w.org("/employees?"+query)).expect(t, 400)
		if res.body["error"] != "Invalid params" || !res.errorsMention(param) {
			t.Errorf("%s: body %s does not name %s", query, res.raw, param)
		}
	}
	res := w.get(t, ownerToken, "/api/v1/organisations?item_per_page=101").expect(t, 400)
	want := `{"code":400,"error":"Invalid params","errors":["item_per_page must be between 1 and 100"]}`
	if strings.TrimSpace(res.raw) != want {
		t.Errorf("body %s, want %s", res.raw, want)
	}
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	w := newWorld(t, employmenthero.Options{Seed: 1}, nil)
	w.get(t, "", "/api/v1/organisations").expect(t, 401)
	res := w.get(t, "revoked", "/api/v1/organisations").expect(t, 401)
	if res.header.Get("WWW-Authenticate") == "" {
		t.Error("a 401 should carry WWW-Authenticate")
	}
}

func TestScopes(t *testing.T) {
	t.Parallel()
	withoutEmployees := slices.DeleteFunc(allScopes(t), func(s string) bool { return s == "employees:list" })
	w := newWorld(t, employmenthero.Options{Seed: 1}, map[string][]string{
		"no-employees": withoutEmployees,
		"urn":          {"urn:mainapp:employees:read", "urn:mainapp:organisations:read"},
		"legacy":       {"timesheet_entries:list"},
		"list-only":    {"employees:list"},
	})
	res := w.get(t, "no-employees", w.org("/employees")).expect(t, 403)
	if !res.errorsMention("employees:list") {
		t.Errorf("the 403 should name the missing scope: %s", res.raw)
	}
	w.get(t, "no-employees", w.org("/teams")).expect(t, 200)

	// urn:mainapp:<resource>:read stands for both resource:list and resource:show (§4.3).
	w.get(t, "urn", "/api/v1/organisations").expect(t, 200)
	w.get(t, "urn", w.org("")).expect(t, 200)
	id := w.firstID(t, "urn", w.org("/employees"))
	w.get(t, "urn", w.org("/employees/"+id)).expect(t, 200)
	w.get(t, "urn", w.org("/teams")).expect(t, 403)

	// A list scope does not grant the show endpoint.
	w.get(t, "list-only", w.org("/employees/"+id)).expect(t, 403)

	// The older timesheet scope name is accepted for timesheet entries only.
	w.get(t, "legacy", w.org("/employees/-/timesheet_entries")).expect(t, 200)
	w.get(t, "legacy", w.org("/employees")).expect(t, 403)
}

func TestOrganisationAccess(t *testing.T) {
	t.Parallel()
	w := newWorld(t, employmenthero.Options{Seed: 1}, nil)
	items := w.get(t, ownerToken, "/api/v1/organisations").expect(t, 200).items(t)
	var names []string
	for _, item := range items {
		names = append(names, item["name"].(string))
	}
	if !slices.Equal(names, []string{employmenthero.AcmeName, employmenthero.AcmeNZName}) {
		t.Fatalf("the owner's organisations are %v", names)
	}
	w.get(t, ownerToken, "/api/v1/organisations/"+w.acmeNZ+"/employees").expect(t, 200)

	// Known but not the user's: 403. Unknown: 404 (§9).
	w.get(t, ownerToken, "/api/v1/organisations/"+w.initech).expect(t, 403)
	w.get(t, ownerToken, "/api/v1/organisations/"+w.initech+"/employees").expect(t, 403)
	w.get(t, ownerToken, "/api/v1/organisations/6f1c2d3e-4b5a-4c6d-8e7f-001122334455").expect(t, 404)
	w.get(t, ownerToken, "/api/v1/organisations/not-a-uuid/employees").expect(t, 404)
	w.get(t, initechToken, "/api/v1/organisations/"+w.initech+"/employees").expect(t, 200)

	// Ids of one organisation are unknown in another.
	id := w.firstID(t, ownerToken, w.org("/employees"))
	w.get(t, ownerToken, "/api/v1/organisations/"+w.acmeNZ+"/employees/"+id).expect(t, 404)
	w.get(t, ownerToken, w.org("/employees/"+strings.ToUpper(id))).expect(t, 200)
	w.get(t, ownerToken, w.org("/teams/"+id+"/employees")).expect(t, 404)
	w.get(t, ownerToken, w.org("/leave_requests/"+id)).expect(t, 404)
}

func TestNonAdminSeesOnlyThemselvesAndReports(t *testing.T) {
	t.Parallel()
	w := newWorld(t, employmenthero.Options{Seed: 1}, nil)
	staff := user(t, w.data, employmenthero.StaffEmail)
	items := w.get(t, staffToken, w.org("/employees?item_per_page=100")).expect(t, 200).items(t)
	var self string
	for _, item := range items {
		if item["account_email"] == staff.Email {
			self = item["id"].(string)
		}
	}
	if self == "" || len(items) < 2 {
		t.Fatalf("the staff member should see themselves and their reports, got %d records", len(items))
	}
	for _, item := range items {
		manager, _ := item["primary_manager"].(map[string]any)
		second, _ := item["secondary_manager"].(map[string]any)
		if item["id"] != self && (manager == nil || manager["id"] != self) && (second == nil || second["id"] != self) {
			t.Errorf("the staff member sees %v, who does not report to them", item["full_name"])
		}
	}
	w.get(t, staffToken, w.org("/employees/"+self+"/payslips")).expect(t, 200)
	owner := w.firstID(t, ownerToken, w.org("/employees?item_per_page=1"))
	w.get(t, staffToken, w.org("/employees/"+owner)).expect(t, 403)
	w.get(t, staffToken, w.org("/leave_requests")).expect(t, 403)
	w.get(t, staffToken, w.org("/employees/-/timesheet_entries")).expect(t, 403)
	w.get(t, staffToken, w.org("/unavailabilities")).expect(t, 403)
	w.get(t, staffToken, w.org("/teams")).expect(t, 200)
}

func TestDateParameters(t *testing.T) {
	t.Parallel()
	w := newWorld(t, employmenthero.Options{Seed: 1}, nil)
	for _, c := range []struct{ path, param string }{
		{"/leave_requests?start_date=01/01/2026", "start_date"},
		{"/leave_requests?start_date=2026-03-01&end_date=2026-02-01", "end_date"},
		{"/employees/-/timesheet_entries?start_date=2026-03-01", "start_date"},
		{"/employees/-/timesheet_entries?end_date=1/3/2026", "end_date"},
		{"/rostered_shifts?to_date=2026-03-15T00:00:00%2B11:00", "from_date"},
		{"/rostered_shifts?from=2026-03-01T00:00:00%2B11:00&to=2026-03-08T00:00:00%2B11:00", "from_date"},
		{"/rostered_shifts?from_date=last+monday&to_date=2026-03-08T00:00:00%2B11:00", "from_date"},
		{"/rostered_shifts?from_date=2026-03-01&to_date=2026-03-08&unassigned_shifts_only=maybe", "unassigned_shifts_only"},
		{"/unavailabilities?from_date=2026-01-01&to_date=2026-03-01", "one month"},
		{"/unavailabilities?from_date=01-01-2026", "from_date"},
		{"/employees?member_type=staff", "member_type"},
	} {
		res := w.get(t, ownerToken, w.org(c.path)).expect(t, 400)
		if !res.errorsMention(c.param) {
			t.Errorf("%s: errors do not mention %s: %s", c.path, c.param, res.raw)
		}
	}
}

func TestFilters(t *testing.T) {
	t.Parallel()
	w := newWorld(t, employmenthero.Options{Seed: 1, Members: 200}, nil)

	// Timesheets: the wildcard spans people; dd/mm/yyyy bounds hold.
	entries := w.get(t, ownerToken, w.org("/employees/-/timesheet_entries?start_date=02/03/2026&end_date=06/03/2026&item_per_page=100")).expect(t, 200).items(t)
	people := map[any]bool{}
	for _, e := range entries {
		people[e["employee_id"]] = true
		if date := e["date"].(string); date < "2026-03-02" || date > "2026-03-06T23" {
			t.Errorf("timesheet entry dated %s is outside 2-6 March", date)
		}
	}
	if len(people) < 2 {
		t.Errorf("the wildcard returned entries of %d people", len(people))
	}

	// Contractors and employees partition the organisation.
	total := w.get(t, ownerToken, w.org("/employees")).expect(t, 200).number(t, "total_items")
	contractors := w.get(t, ownerToken, w.org("/employees?member_type=contractor&item_per_page=100")).expect(t, 200)
	employees := w.get(t, ownerToken, w.org("/employees?member_type=employee")).expect(t, 200).number(t, "total_items")
	if contractors.number(t, "total_items")+employees != total || contractors.number(t, "total_items") == 0 {
		t.Errorf("%d contractors + %d employees != %d", contractors.number(t, "total_items"), employees, total)
	}
	for _, c := range contractors.items(t) {
		if c["independent_contractor"] != true {
			t.Errorf("member_type=contractor returned %v", c["full_name"])
		}
	}

	// Rostered shifts lie in the window; unassigned_shifts_only keeps open shifts.
	window := "from_date=2026-03-09T00:00:00%2B11:00&to_date=2026-03-15T23:59:59%2B11:00&item_per_page=100"
	for _, s := range w.get(t, ownerToken, w.org("/rostered_shifts?"+window+"&unassigned_shifts_only=true")).expect(t, 200).items(t) {
		if s["is_open_shift"] != true || s["member_id"] != nil {
			t.Errorf("unassigned_shifts_only returned an assigned shift: %v", s)
		}
	}
	shifts := w.get(t, ownerToken, w.org("/rostered_shifts?"+window)).expect(t, 200).items(t)
	if len(shifts) == 0 {
		t.Fatal("no shifts in a rostered week")
	}
	from, _ := time.Parse(time.RFC3339, "2026-03-09T00:00:00+11:00")
	to, _ := time.Parse(time.RFC3339, "2026-03-15T23:59:59+11:00")
	for _, s := range shifts {
		start, err1 := time.Parse(time.RFC3339, s["start_time"].(string))
		end, err2 := time.Parse(time.RFC3339, s["end_time"].(string))
		if err1 != nil || err2 != nil || !end.After(from) || start.After(to) {
			t.Errorf("shift %v-%v is outside the window", s["start_time"], s["end_time"])
		}
	}
	member := shifts[len(shifts)-1]["member_id"].(string)
	for _, s := range w.get(t, ownerToken, w.org("/rostered_shifts?"+window+"&member_ids[]="+member)).expect(t, 200).items(t) {
		if s["member_id"] != member {
			t.Errorf("member_ids[] returned a shift of %v", s["member_id"])
		}
	}

	// Leave requests overlap the requested dates.
	for _, lr := range w.get(t, ownerToken, w.org("/leave_requests?start_date=2026-02-01&end_date=2026-02-28&item_per_page=100")).expect(t, 200).items(t) {
		if lr["end_date"].(string) < "2026-02-01" || lr["start_date"].(string) > "2026-02-28T23" {
			t.Errorf("leave %v to %v does not overlap February", lr["start_date"], lr["end_date"])
		}
	}
}

// TestRecordsFollowTheReference spot-checks shapes the reference pins down.
func TestRecordsFollowTheReference(t *testing.T) {
	t.Parallel()
	w := newWorld(t, employmenthero.Options{Seed: 1}, nil)
	employees := w.get(t, ownerToken, w.org("/employees?item_per_page=50")).expect(t, 200).items(t)

	var missingTax, missingSuper, nullMiddle bool
	for _, e := range employees {
		id := e["id"].(string)
		if v, present := e["middle_name"]; present && v == nil {
			nullMiddle = true
		}
		if w.get(t, ownerToken, "/api/v2/organisations/"+w.acme+"/employees/"+id+"/tax_declaration").status == 404 {
			missingTax = true
		}
		if w.get(t, ownerToken, "/api/v2/organisations/"+w.acme+"/employees/"+id+"/superannuation_detail").status == 404 {
			missingSuper = true
		}
	}
	if !missingTax || !missingSuper || !nullMiddle {
		t.Errorf("want some missing tax declarations (%v), superannuation details (%v) and null middle names (%v)", missingTax, missingSuper, nullMiddle)
	}

	// Emergency contacts have integer ids; everything else UUIDs.
	found := false
	for _, e := range employees {
		for _, c := range w.get(t, ownerToken, w.org("/employees/"+e["id"].(string)+"/emergency_contacts")).expect(t, 200).items(t) {
			id, ok := c["id"].(float64)
			if !ok || id != float64(int64(id)) {
				t.Fatalf("emergency contact id %v is not an integer", c["id"])
			}
			found = true
		}
	}
	if !found {
		t.Error("nobody has an emergency contact")
	}

	// Money is decimal, payment dates carry an offset.
	slips := w.get(t, ownerToken, w.org("/employees/"+employees[0]["id"].(string)+"/payslips")).expect(t, 200).items(t)
	if len(slips) == 0 {
		t.Fatal("the owner has no payslips")
	}
	if _, ok := slips[0]["net_pay"].(float64); !ok {
		t.Errorf("net_pay is %T", slips[0]["net_pay"])
	}
	if _, err := time.Parse("2006-01-02T15:04:05-07:00", slips[0]["payment_date"].(string)); err != nil {
		t.Errorf("payment_date: %v", err)
	}

	// Leave statuses are capitalised; balances add up the requests.
	for _, lr := range w.get(t, ownerToken, w.org("/leave_requests?item_per_page=100")).expect(t, 200).items(t) {
		if s := lr["status"].(string); s != "Approved" && s != "Pending" && s != "Declined" {
			t.Errorf("leave status %q", s)
		}
	}

	w.get(t, ownerToken, "/api/v1/nothing/here").expect(t, 404)
	w.get(t, ownerToken, w.org("/employees/"+employees[0]["id"].(string)+"/nothing")).expect(t, 404)
}

func TestSameOptionsSameData(t *testing.T) {
	t.Parallel()
	paths := func(w *world) []string {
		id := w.firstID(t, ownerToken, w.org("/employees?page_index=2"))
		return []string{
			w.org("/employees?item_per_page=100&page_index=2"),
			w.org("/employees/" + id + "/payslips"),
			w.org("/employees/-/timesheet_entries?item_per_page=100"),
			w.org("/rostered_shifts?from_date=2026-03-16&to_date=2026-03-22&item_per_page=100"),
			w.org("/leave_requests?item_per_page=100&page_index=2"),
		}
	}
	a := newWorld(t, employmenthero.Options{Seed: 42, Members: 300}, nil)
	b := newWorld(t, employmenthero.Options{Seed: 42, Members: 300}, nil)
	for i, path := range paths(a) {
		if got, want := b.get(t, ownerToken, paths(b)[i]).raw, a.get(t, ownerToken, path).raw; got != want {
			t.Errorf("%s differs between two datasets of the same options", path)
		}
	}
	c := newWorld(t, employmenthero.Options{Seed: 43, Members: 300}, nil)
	if a.acme == c.acme {
		t.Error("another seed should give other ids")
	}
}

func TestGenerateLarge(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("generates 100,000 employees")
	}
	start := time.Now()
	w := newWorld(t, employmenthero.Options{Seed: 1, Members: 100_000}, nil)
	t.Logf("generated 100,000 employees in %v", time.Since(start))
	start = time.Now()
	res := w.get(t, ownerToken, w.org("/employees?item_per_page=100&page_index=1000")).expect(t, 200)
	if len(res.items(t)) != 100 || res.number(t, "total_items") != 100_000 {
		t.Fatalf("page 1000: %d items of %d", len(res.items(t)), res.number(t, "total_items"))
	}
	t.Logf("one page of 100 of 100,000 employees in %v", time.Since(start))
}

func BenchmarkGenerate100k(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		employmenthero.Generate(employmenthero.Options{Seed: 1, Members: 100_000})
	}
}

package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/patchbayhq/patchbay/internal/sandbox/simctl"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
	"github.com/patchbayhq/patchbay/internal/testwait"
)

// deductionsEnv is an environment with a Justworks account, the proxy
// allowed to write, and a deduction to change.
type deductionsEnv struct {
	*linkEnv
	account, member, deduction string
	jw                         *simctl.Stats
	faults                     *simctl.Faults
}

func newDeductionsEnv(t *testing.T, backend backendtest.Backend) *deductionsEnv {
	e := newLinkEnvOn(t, backend)
	d := &deductionsEnv{linkEnv: e, account: e.linkProvider(t, "justworks", "admin@acme.test")}
	e.allowProxy(t, "justworks")
	jw, _ := e.sb.Provider("justworks")
	d.jw, d.faults = jw.Stats, jw.Faults
	d.member = first(t, e.call(t, d.account, "justworks_list_members", map[string]any{"query": map[string]any{"limit": 1}}))["id"].(string)
	created := e.call(t, d.account, "justworks_create_deductions", map[string]any{"body": map[string]any{"items": []any{d.row("op-base")}}})
	d.deduction = deductionID(t, first(t, created))
	return d
}

// row is a new deduction for the member, with the operation id op.
func (d *deductionsEnv) row(op string) map[string]any {
	return map[string]any{"operation_id": op, "member_id": d.member, "deduction_type_code": "union_dues", "amount_type": "fixed",
		"amount": 1200, "currency": "USD", "frequency": "one_time", "start_date": "2026-12-01"}
}

// update is an RPC call changing the deduction's amount.
func (d *deductionsEnv) update(amount int) string {
	return fmt.Sprintf(`{"action":"justworks_update_deductions","body":{"items":[{"deduction_id":%q,"amount":%d}]}}`, d.deduction, amount)
}

// send posts body to path on base with the key and the account, from any
// goroutine, and returns the status, the headers and the body.
func (d *deductionsEnv) send(base, path, body, key string) (int, http.Header, string) {
	return d.sendAs(base, "POST", path, body, key)
}

// sendAs is send with another method.
func (d *deductionsEnv) sendAs(base, method, path, body, key string) (int, http.Header, string) {
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	req.SetBasicAuth(d.keyA, "")
	req.Header.Set("X-Account-Id", d.account)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err.Error()
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(raw)
}

// Every write endpoint sent twice with one Idempotency-Key runs once: the
// provider (or the database) sees one write, the retry gets the first answer
// again, marked Idempotency-Replayed, and the key with another request is
// refused with 422.
func TestIdempotencyKeyOnEveryWrite(t *testing.T) {
	t.Parallel()
	for _, backend := range backendtest.All {
		t.Run(backend.Name, func(t *testing.T) {
			t.Parallel()
			d := newDeductionsEnv(t, backend)
			e := d.linkEnv
			count := func(path string) func() int {
				return func() int {
					st, _, body := e.do(t, "GET", path+"?page_size=100", basic(e.keyA), "")
					if st != http.StatusOK {
						t.Fatalf("GET %s: %d %v", path, st, body)
					}
					return len(body["data"].([]any))
				}
			}
			providerWrites := func(route string) func() int { return func() int { return int(d.jw.Get("api." + route)) } }
			create := func(op string) string {
				b, _ := json.Marshal(map[string]any{"action": "justworks_create_deductions", "body": map[string]any{"items": []any{d.row(op)}}})
				return string(b)
			}
			proxied := fmt.Sprintf(`{"method":"PUT","path":"/v1/deductions","body":{"items":[{"deduction_id":%q,"amount":1700}]}}`, d.deduction)
			unified := `{"individual_id":"` + d.member + `","type":"union_dues","frequency":"one_time","amount":{"amount":900,"currency":"USD"},"start_date":"2026-12-01"}`
			for _, c := range []struct {
				name, method, path, body string
				change                   [2]string // what makes another request of it
				writes                   func() int
			}{
				{"rpc write", "POST", "/actions/rpc", d.update(5100), [2]string{"5100", "5200"}, providerWrites("PUT /v1/deductions")},
				{"rpc deduplicated write", "POST", "/actions/rpc", create("op-rpc"), [2]string{"1200", "1300"}, providerWrites("POST /v1/deductions")},
				{"proxy write", "POST", "/unified/proxy", proxied, [2]string{"1700", "1800"}, providerWrites("PUT /v1/deductions")},
				{"unified deduction", "POST", "/unified/payroll/deductions", unified, [2]string{"900", "950"}, providerWrites("POST /v1/deductions")},
				{"unified change", "PATCH", "/unified/payroll/deductions/" + d.deduction, `{"amount":{"amount":2500,"currency":"USD"}}`, [2]string{"2500", "2600"}, providerWrites("PUT /v1/deductions")},
				{"connect session", "POST", "/connect_sessions", `{"origin_owner_id":"cust_idem","origin_owner_name":"Idem"}`, [2]string{"Idem", "Other"}, nil},
				{"API key", "POST", "/api_keys", `{"name":"retried"}`, [2]string{"retried", "other"}, count("/api_keys")},
				{"webhook", "POST", "/webhooks", `{"url":"` + e.embed.URL + `/hooks"}`, [2]string{"/hooks", "/other"}, count("/webhooks")},
				{"connector profile", "POST", "/connector_profiles", `{"connector_key":"justworks","name":"Second","client_id":"c2","client_secret":"s2"}`, [2]string{"Second", "Third"}, count("/connector_profiles")},
			} {
				key := "key-" + strings.ReplaceAll(c.name, " ", "-")
				before := 0
				if c.writes != nil {
					before = c.writes()
				}
				headers := []string{"X-Account-Id", d.account, "Idempotency-Key", key}
				st1, h1, first := e.do(t, c.method, c.path, basic(e.keyA), c.body, headers...)
				st2, h2, again := e.do(t, c.method, c.path, basic(e.keyA), c.body, headers...)
				switch {
				case st1 >= 300:
					t.Fatalf("%s: %d %v", c.name, st1, first)
				case h1.Get("Idempotency-Replayed") != "":
					t.Fatalf("%s: the first answer is marked replayed", c.name)
				case st2 != st1 || !reflect.DeepEqual(first, again) || h2.Get("Idempotency-Replayed") != "true":
					t.Fatalf("%s: the retry answered %d %v (replayed %q), the first %d %v", c.name, st2, again, h2.Get("Idempotency-Replayed"), st1, first)
				case h2.Get("Content-Type") != h1.Get("Content-Type"):
					t.Fatalf("%s: the retry's Content-Type %q, the first's %q", c.name, h2.Get("Content-Type"), h1.Get("Content-Type"))
				}
				if c.writes != nil {
					if n := c.writes() - before; n != 1 {
						t.Fatalf("%s: %d writes for a request and its retry, want 1", c.name, n)
					}
				}
				other := strings.Replace(c.body, c.change[0], c.change[1], 1)
				st, _, refused := e.do(t, c.method, c.path, basic(e.keyA), other, headers...)
				if msg, _ := refused["message"].(string); st != http.StatusUnprocessableEntity || !strings.Contains(msg, "Idempotency-Key was used") {
					t.Fatalf("%s: the key with another request: %d %v", c.name, st, refused)
				}
			}

			// The same JSON spelled differently is the same request.
			st, h, _ := e.do(t, "POST", "/actions/rpc", basic(e.keyA), "{ \"body\": {\"items\": [{\"amount\": 5100, \"deduction_id\": \""+d.deduction+"\"}]},\n \"action\": \"justworks_update_deductions\" }",
				"X-Account-Id", d.account, "Idempotency-Key", "key-rpc-write")
			if st != http.StatusOK || h.Get("Idempotency-Replayed") != "true" {
				t.Fatalf("the same request with its keys in another order: %d, replayed %q", st, h.Get("Idempotency-Replayed"))
			}
			// Keys belong to their project: another project's same key is its own.
			other := e.otherProjectKey(t)
			if st, h, body := e.do(t, "POST", "/api_keys", basic(other), `{"name":"retried"}`, "Idempotency-Key", "key-API-key"); st != http.StatusCreated || h.Get("Idempotency-Replayed") != "" {
				t.Fatalf("another project's request with the same key: %d %v (replayed %q)", st, body, h.Get("Idempotency-Replayed"))
			}
			// A malformed key is refused before anything runs.
			if st, _, body := e.do(t, "POST", "/api_keys", basic(e.keyA), `{"name":"x"}`, "Idempotency-Key", strings.Repeat("k", 300)); st != http.StatusBadRequest ||
				!strings.Contains(body["message"].(string), "Idempotency-Key") {
				t.Fatalf("a 300-character key: %d %v", st, body)
			}
		})
	}
}

// A write tool called twice with one idempotency_key writes once; the retry
// gets the first result, marked in _meta.
func TestIdempotencyKeyOnMCPWriteTools(t *testing.T) {
	t.Parallel()
	d := newDeductionsEnv(t, backendtest.SQLite)
	cs := mcpSession(t, d.srv.URL, d.keyA, d.account, "", nil)
	args := map[string]any{"items": []any{map[string]any{"deduction_id": d.deduction, "amount": 3100}}, "idempotency_key": "agent-retry-1"}
	call := func(args map[string]any) *sdk.CallToolResult {
		res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "justworks_update_deductions", Arguments: args})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	before := d.jw.Get("api.PUT /v1/deductions")
	first, again := call(args), call(args)
	if first.IsError || mustJSON(first.Content) != mustJSON(again.Content) || mustJSON(first.StructuredContent) != mustJSON(again.StructuredContent) {
		t.Fatalf("the retried tool call answered %s, the first %s", mustJSON(again), mustJSON(first))
	}
	if first.Meta["idempotency_replayed"] != nil || again.Meta["idempotency_replayed"] != true {
		t.Fatalf("_meta of the first %v and of the retry %v", first.Meta, again.Meta)
	}
	if n := d.jw.Get("api.PUT /v1/deductions") - before; n != 1 {
		t.Fatalf("%d writes reached Justworks for a tool call and its retry, want 1", n)
	}
	args["items"] = []any{map[string]any{"deduction_id": d.deduction, "amount": 3200}}
	if res := call(args); !res.IsError || !strings.Contains(mustJSON(res.Content), "422") {
		t.Fatalf("the key with other arguments: %s", mustJSON(res))
	}
	// A client that sets headers may send the key as the POST's Idempotency-Key.
	post := func() (int, string) {
		req, _ := http.NewRequest("POST", d.srv.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"justworks_update_deductions","arguments":{"items":[{"deduction_id":"`+d.deduction+`","amount":3300}]}}}`))
		req.SetBasicAuth(d.keyA, "")
		req.Header.Set("X-Account-Id", d.account)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Idempotency-Key", "header-key-1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw)
	}
	before = d.jw.Get("api.PUT /v1/deductions")
	st1, body1 := post()
	st2, body2 := post()
	if st1 != http.StatusOK || st2 != st1 || !strings.Contains(body2, `"idempotency_replayed":true`) || strings.Contains(body1, "idempotency_replayed") {
		t.Fatalf("the header key: %d %s; then %d %s", st1, body1, st2, body2)
	}
	if n := d.jw.Get("api.PUT /v1/deductions") - before; n != 1 {
		t.Fatalf("%d writes for a call sent twice with the header key, want 1", n)
	}
	// The tool's schema offers the argument; a read's does not.
	tools, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range tools.Tools {
		offered := strings.Contains(mustJSON(tool.InputSchema), `"idempotency_key"`)
		if write := !tool.Annotations.ReadOnlyHint; offered != write {
			t.Errorf("%s (write %v) offers idempotency_key: %v", tool.Name, write, offered)
		}
	}
}

// One key sent to two nodes at once, on every path that writes to the
// provider: the provider sees one write; the node that did not run it says
// so with 409 and Retry-After, and once the first answered, gives its answer.
func TestIdempotencyKeyAcrossNodes(t *testing.T) {
	t.Parallel()
	for _, backend := range backendtest.All {
		t.Run(backend.Name, func(t *testing.T) {
			t.Parallel()
			d := newDeductionsEnv(t, backend)
			second := d.secondNode(t)
			for _, c := range []struct{ name, method, path, body string }{
				{"rpc", "POST", "/actions/rpc", d.update(4100)},
				{"proxy", "POST", "/unified/proxy", fmt.Sprintf(`{"method":"PUT","path":"/v1/deductions","body":{"items":[{"deduction_id":%q,"amount":4200}]}}`, d.deduction)},
				{"unified", "PATCH", "/unified/payroll/deductions/" + d.deduction, `{"amount":{"amount":4300,"currency":"USD"}}`},
			} {
				key := "two-nodes-" + c.name
				d.faults.Add(simctl.Fault{Method: "PUT", PathPrefix: "/v1/deductions", Count: 1, Kind: simctl.KindDelay, DelayMS: 1500})
				before, delayed := d.jw.Get("api.PUT /v1/deductions"), d.jw.Get("fault.delay")
				var wg sync.WaitGroup
				var st1 int
				var body1 string
				wg.Go(func() { st1, _, body1 = d.sendAs(d.srv.URL, c.method, c.path, c.body, key) })
				testwait.For(t, "the first node's write at the provider", func() bool { return d.jw.Get("fault.delay") == delayed+1 })
				st, h, body := d.sendAs(second.URL, c.method, c.path, c.body, key)
				if st != http.StatusConflict || h.Get("Retry-After") == "" || !strings.Contains(body, "still running") {
					t.Fatalf("%s: the same key on the second node while the first runs: %d %q %s", c.name, st, h.Get("Retry-After"), body)
				}
				wg.Wait()
				st, h, body = d.sendAs(second.URL, c.method, c.path, c.body, key)
				if st1 != http.StatusOK || st != st1 || body != body1 || h.Get("Idempotency-Replayed") != "true" {
					t.Fatalf("%s: first node %d %s; the second node afterwards %d %s", c.name, st1, body1, st, body)
				}
				if n := d.jw.Get("api.PUT /v1/deductions") - before; n != 1 {
					t.Fatalf("%s: %d writes reached Justworks, want 1", c.name, n)
				}
			}

			// A write tool called on two nodes with one idempotency_key.
			args := map[string]any{"items": []any{map[string]any{"deduction_id": d.deduction, "amount": 4400}}, "idempotency_key": "two-nodes-mcp"}
			call := func(base string) *sdk.CallToolResult {
				res, err := mcpSession(t, base, d.keyA, d.account, "", nil).CallTool(context.Background(), &sdk.CallToolParams{Name: "justworks_update_deductions", Arguments: args})
				if err != nil {
					t.Error(err)
				}
				return res
			}
			d.faults.Add(simctl.Fault{Method: "PUT", PathPrefix: "/v1/deductions", Count: 1, Kind: simctl.KindDelay, DelayMS: 1500})
			before, delayed := d.jw.Get("api.PUT /v1/deductions"), d.jw.Get("fault.delay")
			var wg sync.WaitGroup
			var first *sdk.CallToolResult
			wg.Go(func() { first = call(d.srv.URL) })
			testwait.For(t, "the first node's tool call at the provider", func() bool { return d.jw.Get("fault.delay") == delayed+1 })
			if res := call(second.URL); !res.IsError || !strings.Contains(mustJSON(res.Content), "still running") {
				t.Fatalf("the tool call on the second node while the first runs: %s", mustJSON(res))
			}
			wg.Wait()
			if again := call(second.URL); first == nil || first.IsError || mustJSON(again.Content) != mustJSON(first.Content) || again.Meta["idempotency_replayed"] != true {
				t.Fatalf("the first call %s; the second node afterwards %s", mustJSON(first), mustJSON(again))
			}
			if n := d.jw.Get("api.PUT /v1/deductions") - before; n != 1 {
				t.Fatalf("%d tool writes reached Justworks, want 1", n)
			}
		})
	}
}

// A request whose node stops renewing its key (the lock runs out, as when the
// node dies mid-call) is not sent again blindly: a write the provider cannot
// deduplicate answers 409 "outcome unknown" and names what was sent; one it
// deduplicates runs again and the provider returns the first result.
func TestInterruptedWritesAreNotSentTwice(t *testing.T) {
	t.Parallel()
	d := newDeductionsEnv(t, backendtest.SQLite)
	interrupted := func(body, key string) (int, string) {
		d.faults.Add(simctl.Fault{PathPrefix: "/v1/deductions", Count: 1, Kind: simctl.KindDelay, DelayMS: 1500})
		delayed := d.jw.Get("fault.delay")
		var wg sync.WaitGroup
		wg.Go(func() { d.send(d.srv.URL, "/actions/rpc", body, key) })
		testwait.For(t, "the write at the provider", func() bool { return d.jw.Get("fault.delay") == delayed+1 })
		d.clk.Advance(time.Minute) // the lock runs out before the node renews it
		st, _, answer := d.send(d.srv.URL, "/actions/rpc", body, key)
		wg.Wait()
		return st, answer
	}
	before := d.jw.Get("api.PUT /v1/deductions")
	st, answer := interrupted(d.update(6100), "interrupted-update")
	if st != http.StatusConflict || !strings.Contains(answer, "outcome is unknown") || !strings.Contains(answer, "POST /actions/rpc on account "+d.account) {
		t.Fatalf("the retry of an interrupted update: %d %s", st, answer)
	}
	if n := d.jw.Get("api.PUT /v1/deductions") - before; n != 1 {
		t.Fatalf("%d updates reached Justworks, want the first only", n)
	}

	b, _ := json.Marshal(map[string]any{"action": "justworks_create_deductions", "body": map[string]any{"items": []any{d.row("op-interrupted")}}})
	st, answer = interrupted(string(b), "interrupted-create")
	if st != http.StatusOK || !strings.Contains(answer, `"success":true`) {
		t.Fatalf("the retry of an interrupted deduplicated create: %d %s", st, answer)
	}
	list := d.call(t, d.account, "justworks_list_deductions", map[string]any{"query": map[string]any{"member_id": d.member}})
	if n := strings.Count(mustJSON(list), `"op-interrupted"`); n > 1 {
		t.Fatalf("the create ran twice and made %d deductions", n)
	}
}

package simctl_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/sandbox/simctl"
)

func serve(t *testing.T, fs *simctl.Faults) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(fs.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"ok":true}`))
	})))
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string) (*http.Response, string, error) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b), nil
}

func TestFaultKinds(t *testing.T) {
	stats := simctl.NewStats()
	fs := simctl.NewFaults(stats)
	srv := serve(t, fs)

	must := func(f simctl.Fault) {
		if err := fs.Add(f); err != nil {
			t.Fatal(err)
		}
	}
	must(simctl.Fault{PathPrefix: "/v1/members", Count: 2, Kind: simctl.KindStatus, Status: 429, RetryAfter: 7})
	for i := range 2 {
		resp, _, err := get(t, srv.URL+"/v1/members")
		if err != nil || resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "7" {
			t.Fatalf("request %d: %v %v", i, resp, err)
		}
	}
	if resp, body, _ := get(t, srv.URL+"/v1/members"); resp.StatusCode != 200 || body != `{"ok":true}` {
		t.Fatalf("the fault outlived its count: %d %s", resp.StatusCode, body)
	}
	// Faults only hit matching paths.
	must(simctl.Fault{PathPrefix: "/oauth/token", Count: 1, Kind: simctl.KindStatus, Status: 400, Body: []byte(`{"error":"invalid_grant"}`)})
	if resp, _, _ := get(t, srv.URL+"/v1/company"); resp.StatusCode != 200 {
		t.Fatal("a token fault hit the API")
	}
	if resp, body, _ := get(t, srv.URL+"/oauth/token"); resp.StatusCode != 400 || body != `{"error":"invalid_grant"}` {
		t.Fatalf("token fault: %d %s", resp.StatusCode, body)
	}

	must(simctl.Fault{PathPrefix: "/", Count: 1, Kind: simctl.KindMalformed})
	if _, body, _ := get(t, srv.URL+"/x"); body == `{"ok":true}` || len(body) == 0 {
		t.Fatalf("malformed: %q", body)
	}

	must(simctl.Fault{PathPrefix: "/", Count: 1, Kind: simctl.KindTruncated})
	if resp, body, _ := get(t, srv.URL+"/x"); resp.StatusCode != 200 || body != `{"ok"` {
		t.Fatalf("truncated: %d %q", resp.StatusCode, body)
	}

	must(simctl.Fault{PathPrefix: "/", Count: 1, Kind: simctl.KindReset})
	// A fresh connection, so the client cannot quietly retry on another one.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := fresh.Get(srv.URL + "/x"); err == nil {
		resp.Body.Close()
		t.Fatal("reset: the request succeeded")
	}

	must(simctl.Fault{PathPrefix: "/", Count: 1, Kind: simctl.KindDelay, DelayMS: 150})
	start := time.Now()
	if resp, _, _ := get(t, srv.URL+"/x"); resp.StatusCode != 200 || time.Since(start) < 150*time.Millisecond {
		t.Fatalf("delay: %d after %s", resp.StatusCode, time.Since(start))
	}
	if stats.Get("fault.status") != 3 || stats.Get("fault.reset") != 1 {
		t.Fatalf("stats %v", stats.Snapshot())
	}
}

func TestFaultValidation(t *testing.T) {
	fs := simctl.NewFaults(simctl.NewStats())
	for _, f := range []simctl.Fault{
		{PathPrefix: "v1", Count: 1, Kind: simctl.KindReset},
		{PathPrefix: "/", Count: 0, Kind: simctl.KindReset},
		{PathPrefix: "/", Count: 1, Kind: simctl.KindStatus, Status: 200},
		{PathPrefix: "/", Count: 1, Kind: "explode"},
		{PathPrefix: "/", Count: 1, Kind: simctl.KindDelay},
		{PathPrefix: "/", Count: 1, Kind: simctl.KindStatus, Status: 500, Body: []byte("{nope")},
	} {
		if err := fs.Add(f); err == nil {
			t.Errorf("%+v accepted", f)
		}
	}
}

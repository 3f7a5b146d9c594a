package api

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPanicBecomesLogged500(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	s := New(Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	s.mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("kaboom") })
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/boom", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", rec.Code)
	}
	var body errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.StatusCode != 500 {
		t.Fatalf("body %s: %v", rec.Body, err)
	}
	if strings.Contains(rec.Body.String(), "kaboom") {
		t.Fatal("the panic value leaked into the response")
	}
	if !strings.Contains(logs.String(), "kaboom") || !strings.Contains(logs.String(), rec.Header().Get("X-Request-Id")) {
		t.Fatalf("the log does not record the panic with its request id:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "status=500") {
		t.Fatalf("the access log misses the 500:\n%s", logs.String())
	}
}

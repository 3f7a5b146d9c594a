package main_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/patchbayhq/patchbay/internal/testwait"
)

// otlpReceiver is an OTLP receiver over HTTP (ServeHTTP) and gRPC (Export):
// it decodes the trace exports with the OpenTelemetry protocol's own
// messages and notes the metric exports.
type otlpReceiver struct {
	coltracepb.UnimplementedTraceServiceServer
	mu      sync.Mutex
	spans   []*tracepb.Span
	metrics int
}

func (o *otlpReceiver) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	o.take(req)
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

// metricsService takes gRPC metric exports for the receiver.
type metricsService struct {
	colmetricpb.UnimplementedMetricsServiceServer
	o *otlpReceiver
}

func (m metricsService) Export(context.Context, *colmetricpb.ExportMetricsServiceRequest) (*colmetricpb.ExportMetricsServiceResponse, error) {
	m.o.mu.Lock()
	defer m.o.mu.Unlock()
	m.o.metrics++
	return &colmetricpb.ExportMetricsServiceResponse{}, nil
}

func (o *otlpReceiver) take(req *coltracepb.ExportTraceServiceRequest) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			o.spans = append(o.spans, ss.Spans...)
		}
	}
}

// listen starts the receiver for protocol (http/protobuf or grpc) and
// returns its endpoint.
func (o *otlpReceiver) listen(t *testing.T, protocol string) string {
	if protocol == "http/protobuf" {
		srv := httptest.NewServer(o)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(srv, o)
	colmetricpb.RegisterMetricsServiceServer(srv, metricsService{o: o})
	go srv.Serve(ln)
	t.Cleanup(srv.Stop)
	return "http://" + ln.Addr().String()
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	switch r.URL.Path {
	case "/v1/traces":
		var req coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		o.take(&req)
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(out)
	case "/v1/metrics":
		o.mu.Lock()
		o.metrics++
		o.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	default:
		http.NotFound(w, r)
	}
}

// inTrace returns the spans of a trace received so far.
func (o *otlpReceiver) inTrace(traceID string) []*tracepb.Span {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []*tracepb.Span
	for _, s := range o.spans {
		if hex.EncodeToString(s.TraceId) == traceID {
			out = append(out, s)
		}
	}
	return out
}

func spanNamed(spans []*tracepb.Span, name string) *tracepb.Span {
	for _, s := range spans {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func attr(s *tracepb.Span, key string) string {
	for _, a := range s.Attributes {
		if a.Key == key {
			if v := a.Value.GetStringValue(); v != "" {
				return v
			}
			return strconv.FormatInt(a.Value.GetIntValue(), 10)
		}
	}
	return ""
}

// A `patchbay serve` told by the standard OTEL_* variables to export over
// OTLP/HTTP: one action call's span tree reaches the receiver (the request,
// the action, the provider attempt) continuing the caller's traceparent,
// which the provider receives too; an account change's webhook delivery
// carries the trace of the request that made the change; metrics arrive.
func TestOpenTelemetryTraces(t *testing.T) {
	t.Parallel()
	for _, protocol := range []string{"http/protobuf", "grpc"} {
		t.Run(strings.ReplaceAll(protocol, "/", "_"), func(t *testing.T) {
			t.Parallel()
			traceOneCall(t, protocol)
		})
	}
}

func traceOneCall(t *testing.T, protocol string) {
	receiver := &otlpReceiver{}
	endpoint := receiver.listen(t, protocol)

	sandboxOut := startUntil(t, t.TempDir(), sandboxBase, "sandbox", "--listen", "127.0.0.1:0", "--control-token", simToken, "--no-rate-limit")
	jwSim := sandboxBase.FindStringSubmatch(sandboxOut)[1]
	// The provider's side: a proxy in front of the simulators notes the
	// traceparent each call carries.
	target, _ := url.Parse(strings.TrimSuffix(jwSim, "/justworks"))
	var seenMu sync.Mutex
	var seen []string
	proxy := httputil.NewSingleHostReverseProxy(target)
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seenMu.Lock()
		seen = append(seen, r.URL.Path+" "+r.Header.Get("Traceparent"))
		seenMu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(provider.Close)
	// Deliveries of account.updated: the account's account.created, made
	// before any trace, may come first.
	deliveries := make(chan http.Header, 10)
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var event struct{ Type string }
		json.NewDecoder(r.Body).Decode(&event)
		if event.Type == "account.updated" {
			deliveries <- r.Header.Clone()
		}
	}))
	t.Cleanup(hooks.Close)

	dir := t.TempDir()
	environ := env("PATCHBAY_SANDBOX_URL="+provider.URL, "PATCHBAY_WEBHOOK_ALLOW_PRIVATE=true",
		"OTEL_EXPORTER_OTLP_ENDPOINT="+endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL="+protocol, "OTEL_TRACES_SAMPLER=always_on", "OTEL_BSP_SCHEDULE_DELAY=100",
		"OTEL_METRIC_EXPORT_INTERVAL=300", "OTEL_SERVICE_NAME=patchbay-test")
	key, acc := demoProject(t, dir, environ, jwSim, []string{"justworks_get_company"})
	n := startServe(t, dir, environ)
	do := func(method, path, body, traceparent string) int {
		req, _ := http.NewRequest(method, n.url+path, strings.NewReader(body))
		req.SetBasicAuth(key, "")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Account-Id", acc.ID)
		if traceparent != "" {
			req.Header.Set("Traceparent", traceparent)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := do("POST", "/webhooks", `{"url":"`+hooks.URL+`"}`, ""); st != http.StatusCreated {
		t.Fatalf("create webhook: %d", st)
	}

	const callTrace, callerSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	if st := do("POST", "/actions/rpc", `{"action":"justworks_get_company"}`, "00-"+callTrace+"-"+callerSpan+"-01"); st != http.StatusOK {
		t.Fatalf("action call: %d", st)
	}
	var spans []*tracepb.Span
	testwait.For(t, "the call's three spans at the receiver", func() bool {
		spans = receiver.inTrace(callTrace)
		return len(spans) >= 3
	})
	server, action, attempt := spanNamed(spans, "POST /actions/rpc"), spanNamed(spans, "action justworks_get_company"), spanNamed(spans, "GET Justworks")
	switch {
	case server == nil || action == nil || attempt == nil:
		t.Fatalf("spans of the call: %v", spans)
	case hex.EncodeToString(server.ParentSpanId) != callerSpan || server.Kind != tracepb.Span_SPAN_KIND_SERVER:
		t.Fatalf("the request's span does not continue the caller's: %v", server)
	case string(action.ParentSpanId) != string(server.SpanId) || string(attempt.ParentSpanId) != string(action.SpanId):
		t.Fatal("the spans are not request → action → provider attempt")
	case attr(server, "http.route") != "/actions/rpc" || attr(server, "patchbay.project_id") == "" || attr(server, "http.response.status_code") != "200":
		t.Fatalf("the request's span: %v", server.Attributes)
	case attr(action, "patchbay.account_id") != acc.ID || attr(action, "patchbay.provider") != "justworks":
		t.Fatalf("the action's span: %v", action.Attributes)
	case attr(attempt, "http.response.status_code") != "200" || attempt.Kind != tracepb.Span_SPAN_KIND_CLIENT:
		t.Fatalf("the provider attempt's span: %v", attempt)
	}
	for _, sp := range spans {
		for _, a := range sp.Attributes {
			if strings.Contains(a.Value.String(), key) || strings.Contains(a.Value.String(), acc.Credentials.AccessToken) {
				t.Fatalf("span %s carries a secret in %s", sp.Name, a.Key)
			}
		}
	}
	seenMu.Lock()
	var sent string
	for _, s := range seen {
		if strings.HasPrefix(s, "/justworks/v1/company") {
			sent = s
		}
	}
	seenMu.Unlock()
	if !strings.Contains(sent, "00-"+callTrace+"-"+hex.EncodeToString(attempt.SpanId)+"-01") {
		t.Fatalf("the provider received %q, want the attempt's traceparent", sent)
	}

	// The change's event is delivered later, by the job queue, in the trace
	// of the request that made it.
	const changeTrace = "0af7651916cd43dd8448eb211c80319c"
	if st := do("PATCH", "/accounts/"+acc.ID, `{"label":"HQ"}`, "00-"+changeTrace+"-b7ad6b7169203331-01"); st != http.StatusOK {
		t.Fatalf("account change: %d", st)
	}
	select {
	case h := <-deliveries:
		if tp := h.Get("Traceparent"); !strings.HasPrefix(tp, "00-"+changeTrace+"-") {
			t.Fatalf("the delivery's traceparent %q is not in the change's trace", tp)
		}
	case <-time.After(testwait.Limit):
		t.Fatal("no webhook delivery")
	}
	testwait.For(t, "the delivery's span", func() bool { return spanNamed(receiver.inTrace(changeTrace), "webhook delivery") != nil })
	testwait.For(t, "a metrics export", func() bool {
		receiver.mu.Lock()
		defer receiver.mu.Unlock()
		return receiver.metrics > 0
	})
}

package main_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/secrets"
	"github.com/patchbayhq/patchbay/internal/store"
	"github.com/patchbayhq/patchbay/internal/store/backend/backendtest"
	"github.com/patchbayhq/patchbay/internal/store/postgres/pgtest"
	"github.com/patchbayhq/patchbay/internal/testwait"
)

var binary string

// TestMain builds the patchbay binary once; the tests run it as a user would.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "patchbay-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "patchbay")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build patchbay: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// env is the process environment without PATCHBAY_* settings, plus extra.
func env(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PATCHBAY_") {
			out = append(out, kv)
		}
	}
	return append(out, extra...)
}

// run runs a patchbay command to completion in dir.
func run(t *testing.T, dir string, environ []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runStdin(t, dir, environ, "", args...)
}

// runStdin runs a command as run does, with stdin as its standard input.
func runStdin(t *testing.T, dir string, environ []string, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir, cmd.Env, cmd.Stdin = dir, environ, strings.NewReader(stdin)
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if exit, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), exit.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), 0
}

var (
	keyPattern       = regexp.MustCompile(`v1\.local\.[A-Za-z0-9_-]{43}`)
	listeningPattern = regexp.MustCompile(`is listening on (\S+)`)
)

// node is one running `patchbay serve`.
type node struct {
	cmd    *exec.Cmd
	lines  chan string
	url    string
	stdout string // what it printed up to the listening line
	stderr *syncBuffer
}

// syncBuffer collects a process's output while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// launch starts `patchbay serve` on a free port without waiting for it.
func launch(t *testing.T, dir string, environ []string, extra ...string) *node {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--listen", "127.0.0.1:0"}, extra...)...)
	cmd.Dir, cmd.Env = dir, environ
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	n := &node{cmd: cmd, lines: make(chan string), stderr: &syncBuffer{}}
	cmd.Stderr = n.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			n.lines <- sc.Text()
		}
		close(n.lines)
	}()
	return n
}

// waitListening reads the node's output until it says where it listens.
func (n *node) waitListening(t *testing.T) {
	t.Helper()
	var printed strings.Builder
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-n.lines:
			if !ok {
				n.cmd.Wait()
				t.Fatalf("serve exited before listening:\n%s\nstderr:\n%s", printed.String(), n.stderr)
			}
			printed.WriteString(line + "\n")
			if m := listeningPattern.FindStringSubmatch(line); m != nil {
				n.url, n.stdout = "http://"+m[1], printed.String()
				go func() { // keep the pipe drained so the node never blocks on stdout
					for range n.lines {
					}
				}()
				return
			}
		case <-timeout:
			t.Fatalf("serve did not start listening in 30s:\n%s\nstderr:\n%s", printed.String(), n.stderr)
		}
	}
}

// startServe runs `patchbay serve` on a free port and waits until it listens.
func startServe(t *testing.T, dir string, environ []string) *node {
	t.Helper()
	n := launch(t, dir, environ)
	n.waitListening(t)
	return n
}

// stop sends SIGTERM and waits for a clean exit.
func (n *node) stop(t *testing.T) {
	t.Helper()
	n.cmd.Process.Signal(syscall.SIGTERM)
	if err := n.cmd.Wait(); err != nil {
		t.Fatalf("serve did not exit cleanly on SIGTERM: %v\nstderr:\n%s", err, n.stderr)
	}
}

func get(t *testing.T, url, key string) int { return send(t, http.MethodGet, url, key, "") }

// send makes a request with an API key (none when empty) and a JSON body
// (none when empty), and returns the status.
func send(t *testing.T, method, url, key, body string) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.SetBasicAuth(key, "")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestServeWithNoConfiguration(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	n := startServe(t, dir, env())
	key := keyPattern.FindString(n.stdout)
	if key == "" {
		t.Fatalf("first start printed no API key:\n%s", n.stdout)
	}
	for _, f := range []string{"data", "data/patchbay.db", "data/patchbay.key"} {
		info, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		want := os.FileMode(0o600)
		if info.IsDir() {
			want = 0o700
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s has mode %o, want %o", f, info.Mode().Perm(), want)
		}
	}
	if st := get(t, n.url+"/readyz", key); st != http.StatusOK {
		t.Fatalf("readyz: %d", st)
	}
	if st := get(t, n.url+"/api_keys", key); st != http.StatusOK {
		t.Fatalf("api_keys with the printed key: %d", st)
	}
	if st := get(t, n.url+"/api_keys", ""); st != http.StatusUnauthorized {
		t.Fatalf("api_keys without a key: %d", st)
	}
	n.stop(t)
	if strings.Contains(n.stderr.String(), key) {
		t.Fatal("the API key was written to the log")
	}

	again := startServe(t, dir, env())
	if keyPattern.MatchString(again.stdout) {
		t.Fatalf("second start printed a new key:\n%s", again.stdout)
	}
	if st := get(t, again.url+"/api_keys", key); st != http.StatusOK {
		t.Fatalf("the first key stopped working after a restart: %d", st)
	}
	again.stop(t)
}

func TestTwoNodesOnPostgres(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewSchema(t)
	k, err := secrets.GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	environ := env("PATCHBAY_DATABASE_URL="+dbURL, "PATCHBAY_ENCRYPTION_KEYS="+secrets.Format(k))
	// Both nodes start on the same empty schema at the same moment.
	a, b := launch(t, t.TempDir(), environ), launch(t, t.TempDir(), environ)
	a.waitListening(t)
	b.waitListening(t)
	for _, n := range []*node{a, b} {
		if st := get(t, n.url+"/readyz", ""); st != http.StatusOK {
			t.Fatalf("readyz: %d\n%s", st, n.stderr)
		}
		if strings.Contains(n.stderr.String(), "level=ERROR") {
			t.Fatalf("a node logged an error at start:\n%s", n.stderr)
		}
	}
	out, errOut, code := run(t, t.TempDir(), environ, "projects", "create", "--name", "Acme")
	key := keyPattern.FindString(out)
	if code != 0 || key == "" {
		t.Fatalf("projects create: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, n := range []*node{a, b} {
		if st := get(t, n.url+"/api_keys", key); st != http.StatusOK {
			t.Fatalf("new key on a node: %d", st)
		}
	}
	out, _, _ = run(t, t.TempDir(), environ, "keys", "list")
	keyID := regexp.MustCompile(`key_[a-z0-9]+`).FindString(out)
	if _, errOut, code := run(t, t.TempDir(), environ, "keys", "revoke", keyID); code == 0 || !strings.Contains(errOut, "last valid admin key") {
		t.Fatalf("revoking the only key: exit %d: %s", code, errOut)
	}
	if out, errOut, code := run(t, t.TempDir(), environ, "keys", "create", "--name", "backend", "--role", "runtime"); code != 0 || !strings.Contains(out, "(runtime)") {
		t.Fatalf("keys create --role runtime: exit %d: %s%s", code, out, errOut)
	}
	if _, errOut, code := run(t, t.TempDir(), environ, "keys", "revoke", keyID); code == 0 {
		t.Fatalf("a runtime key let the last admin key go: %s", errOut)
	}
	if _, errOut, code := run(t, t.TempDir(), environ, "keys", "create", "--role", "owner"); code != 2 || !strings.Contains(errOut, "--role") {
		t.Fatalf("keys create --role owner: exit %d: %s", code, errOut)
	}
	if _, errOut, code := run(t, t.TempDir(), environ, "keys", "create", "--name", "spare"); code != 0 {
		t.Fatalf("keys create: exit %d: %s", code, errOut)
	}
	if _, errOut, code := run(t, t.TempDir(), environ, "keys", "revoke", keyID); code != 0 {
		t.Fatalf("keys revoke: exit %d: %s", code, errOut)
	}
	for _, n := range []*node{a, b} {
		if st := get(t, n.url+"/api_keys", key); st != http.StatusUnauthorized {
			t.Fatalf("revoked key still works on a node: %d", st)
		}
		// A call on an account reads the key with the account: the same promise.
		req, _ := http.NewRequest("POST", n.url+"/actions/rpc", strings.NewReader(`{"action":"justworks_get_company"}`))
		req.SetBasicAuth(key, "")
		req.Header.Set("X-Account-Id", "acc_any")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("revoked key still makes calls on a node: %d", resp.StatusCode)
		}
	}
	a.stop(t)
	b.stop(t)
}

func TestSecretsRotateCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	k1, _ := secrets.GenerateKey("k1")
	k2, _ := secrets.GenerateKey("k2")
	dbURL := "sqlite:" + filepath.Join(dir, "patchbay.db")
	ring := func(keys ...secrets.Key) *secrets.Keyring {
		r, err := secrets.NewKeyring(keys...)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	s := backendtest.OpenURL(t, dbURL, ring(k1))
	ctx := context.Background()
	p, err := s.CreateProject(ctx, store.Project{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 5 {
		prof, err := s.CreateConnectorProfile(ctx, store.ConnectorProfile{ProjectID: p.ID, ConnectorKey: "justworks", Name: "n", ClientID: "c", ClientSecret: fmt.Sprint("secret-", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, prof.ID)
	}
	s.Close()
	withKeys := func(keys ...secrets.Key) []string {
		return env("PATCHBAY_DATABASE_URL="+dbURL, "PATCHBAY_ENCRYPTION_KEYS="+secrets.Format(keys...))
	}
	if _, errOut, code := run(t, dir, withKeys(k1), "projects", "list"); code != 0 {
		t.Fatalf("projects list with k1: exit %d %s", code, errOut)
	}
	// Before the rotation the data needs k1: a command with k2 alone refuses.
	if _, errOut, code := run(t, dir, withKeys(k2), "projects", "list"); code != 1 || !strings.Contains(errOut, "sealed with the keys k1; this node has k2") {
		t.Fatalf("projects list with k2 only, before rotating: exit %d %s", code, errOut)
	}

	out, errOut, code := run(t, dir, withKeys(k2, k1), "secrets", "rotate", "--batch-size", "2")
	if code != 0 || !strings.Contains(out, "Done: 5 secrets re-sealed") || !strings.Contains(out, "re-sealed 2 secrets") {
		t.Fatalf("secrets rotate: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, errOut, code := run(t, dir, withKeys(k2), "projects", "list"); code != 0 {
		t.Fatalf("projects list with k2 only, after rotating: exit %d %s", code, errOut)
	}
	onlyK2 := backendtest.OpenURL(t, dbURL, ring(k2))
	for i, id := range ids {
		prof, err := onlyK2.GetConnectorProfile(ctx, p.ID, id)
		if err != nil || prof.ClientSecret != fmt.Sprint("secret-", i) {
			t.Fatalf("after rotation, profile %s: %q, %v", id, prof.ClientSecret, err)
		}
	}
}

func TestBadStartupSaysWhatToFix(t *testing.T) {
	t.Parallel()
	k, _ := secrets.GenerateKey("k1")
	keys := "PATCHBAY_ENCRYPTION_KEYS=" + secrets.Format(k)
	cases := []struct {
		name     string
		args     []string
		env      []string
		prepare  func(dir string)
		wantCode int
		wantText string
		oneLine  bool
	}{
		{name: "unreadable key file", args: []string{"serve"}, prepare: func(dir string) {
			os.MkdirAll(filepath.Join(dir, "data", "patchbay.key"), 0o700) // a directory cannot be read as a key file
		}, wantCode: 1, wantText: "PATCHBAY_ENCRYPTION_KEYS", oneLine: true},
		{name: "malformed encryption keys", args: []string{"serve"}, env: []string{"PATCHBAY_ENCRYPTION_KEYS=k1:short"}, wantCode: 1, wantText: "PATCHBAY_ENCRYPTION_KEYS", oneLine: true},
		{name: "unreachable database", args: []string{"serve"}, env: []string{keys, "PATCHBAY_DATABASE_URL=postgres://postgres@127.0.0.1:1/none?connect_timeout=2"}, wantCode: 1, wantText: "PATCHBAY_DATABASE_URL", oneLine: true},
		{name: "unknown database scheme", args: []string{"serve"}, env: []string{"PATCHBAY_DATABASE_URL=mysql://x"}, wantCode: 2, wantText: "PATCHBAY_DATABASE_URL"},
		{name: "bad log level", args: []string{"serve"}, env: []string{"PATCHBAY_LOG_LEVEL=loud"}, wantCode: 2, wantText: "PATCHBAY_LOG_LEVEL"},
		{name: "bad listen flag", args: []string{"serve", "--listen", "nowhere"}, wantCode: 2, wantText: "--listen"},
		{name: "unknown flag", args: []string{"serve", "--colour"}, wantCode: 2, wantText: "unknown flag: --colour"},
		{name: "unknown command", args: []string{"srve"}, wantCode: 2, wantText: `unknown command "srve"`},
		{name: "stray argument", args: []string{"migrate", "now"}, wantCode: 2, wantText: "takes no arguments"},
		{name: "revoke without id", args: []string{"keys", "revoke"}, wantCode: 2, wantText: "needs 1 argument"},
		{name: "bad batch size", args: []string{"secrets", "rotate", "--batch-size", "0"}, wantCode: 2, wantText: "--batch-size"},
		{name: "non-numeric batch size", args: []string{"secrets", "rotate", "--batch-size", "lots"}, wantCode: 2, wantText: "invalid argument"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.prepare != nil {
				tc.prepare(dir)
			}
			_, stderr, code := run(t, dir, env(tc.env...), tc.args...)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.wantCode, stderr)
			}
			if !strings.Contains(stderr, tc.wantText) {
				t.Fatalf("stderr does not mention %q:\n%s", tc.wantText, stderr)
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
				t.Fatalf("a panic instead of an error:\n%s", stderr)
			}
			if tc.oneLine && strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Fatalf("want one line on stderr, got:\n%s", stderr)
			}
		})
	}
}

func TestCommandsHaveHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--help"}, {"serve", "--help"}, {"migrate", "--help"}, {"projects", "create", "--help"}, {"projects", "list", "--help"},
		{"keys", "create", "--help"}, {"keys", "list", "--help"}, {"keys", "revoke", "--help"}, {"secrets", "rotate", "--help"}, {"version", "--help"},
		{"connectors", "list", "--help"}, {"connectors", "show", "--help"}, {"scopes", "--help"}, {"sandbox", "--help"},
		{"demo", "--help"}, {"accounts", "list", "--help"}, {"accounts", "show", "--help"}, {"accounts", "delete", "--help"},
		{"actions", "list", "--help"}, {"actions", "run", "--help"}, {"mcp", "tools", "--help"},
		{"profiles", "create", "--help"}, {"profiles", "update", "--help"}, {"profiles", "list", "--help"}, {"profiles", "show", "--help"}, {"profiles", "delete", "--help"},
	} {
		out, _, code := run(t, t.TempDir(), env(), args...)
		if code != 0 || !strings.Contains(out, "Usage:") || len(out) < 200 {
			t.Errorf("patchbay %s: exit %d, output:\n%s", strings.Join(args, " "), code, out)
		}
	}
}

func TestConnectorCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, errOut, code := run(t, dir, env(), "connectors", "list")
	if code != 0 || !strings.Contains(out, "justworks") || !strings.Contains(out, "employmenthero") {
		t.Fatalf("connectors list: exit %d\n%s%s", code, out, errOut)
	}
	out, _, code = run(t, dir, env("PATCHBAY_PUBLIC_URL=https://hub.example.com"), "connectors", "show", "justworks")
	if code != 0 || !strings.Contains(out, "https://hub.example.com/connect/oauth2/justworks/callback") || !strings.Contains(out, "partner-api@justworks.com") {
		t.Fatalf("connectors show: exit %d\n%s", code, out)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"scopes", "justworks", "--actions", "justworks_list_company_jurisdictions"}, "company.detail:read member.detail:read\n"},
		{[]string{"scopes", "justworks", "--actions", "justworks_create_deductions,justworks_list_deductions", "--separator", "comma"}, "deductions:write,deductions:read\n"},
		{[]string{"scopes", "justworks", "--actions", "all", "--minimal", "--separator", "semicolon"}, "company.detail:read;company.bank_account:read;member.detail:read;member.employment:read;member.pay:read;payroll:read;paystub:read;deductions:write;time_off:read\n"},
	}
	for _, tc := range cases {
		out, errOut, code := run(t, dir, env(), tc.args...)
		if code != 0 || out != tc.want {
			t.Errorf("patchbay %s: exit %d, printed %q (%s), want %q", strings.Join(tc.args, " "), code, out, errOut, tc.want)
		}
	}
	for _, bad := range [][]string{
		{"scopes", "justworks", "--actions", "justworks_fly"},
		{"scopes", "justworks", "--separator", "tab"},
		{"scopes", "bamboohr"},
		{"scopes", "justworks"}, // no action named: the rule is the API's, nothing is assumed
		{"connectors", "show", "bamboohr"},
	} {
		if _, errOut, code := run(t, dir, env(), bad...); code != 2 || errOut == "" {
			t.Errorf("patchbay %s: exit %d, stderr %q; want a usage error", strings.Join(bad, " "), code, errOut)
		}
	}
}

var sandboxBase = regexp.MustCompile(`base URL:\s+(\S+/justworks)`)

// startUntil runs a long-lived patchbay command and returns what it printed up to
// the first line matching stop; the process is killed when the test ends.
func startUntil(t *testing.T, dir string, stop *regexp.Regexp, args ...string) string {
	t.Helper()
	_, out := startProcess(t, dir, stop, args...)
	return out
}

// startProcess is startUntil, also returning the process, for a test to stop.
func startProcess(t *testing.T, dir string, stop *regexp.Regexp, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir, cmd.Env = dir, env()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	var printed strings.Builder
	for sc.Scan() {
		printed.WriteString(sc.Text() + "\n")
		if stop.MatchString(sc.Text()) {
			go io.Copy(io.Discard, stdout) // keep the pipe drained
			return cmd, printed.String()
		}
	}
	t.Fatalf("patchbay %s exited before printing %s:\n%s", strings.Join(args, " "), stop, printed.String())
	return nil, ""
}

// startSandbox runs `patchbay sandbox` and returns the Justworks base URL it prints.
func startSandbox(t *testing.T, args ...string) string {
	t.Helper()
	out := startUntil(t, t.TempDir(), sandboxBase, append([]string{"sandbox", "--listen", "127.0.0.1:0", "--control-token", simToken}, args...)...)
	return sandboxBase.FindStringSubmatch(out)[1]
}

func TestSandboxCommandServesEveryMember(t *testing.T) {
	t.Parallel()
	base := startSandbox(t, "--members", "1500")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.Unmarshal([]byte(simControl(t, base, "POST", "/_sim/tokens", `{}`)), &tok)
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("paging does not end")
		}
		req, _ := http.NewRequest("GET", base+"/v1/members?limit=100&cursor="+url.QueryEscape(cursor), nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Items      []struct{ ID string } `json:"items"`
			NextCursor string                `json:"next_cursor"`
		}
		json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		for _, m := range page.Items {
			if seen[m.ID] {
				t.Fatalf("member %s listed twice", m.ID)
			}
			seen[m.ID] = true
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if len(seen) != 1500 {
		t.Fatalf("listed %d members, want 1500", len(seen))
	}
}

func TestServeCanMountTheSandbox(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	served := launch(t, dir, env(), "--sandbox")
	served.waitListening(t)
	// Its test controls need an admin key of this Patchbay: strangers could
	// otherwise register apps that redirect anywhere from its origin.
	mint := func(key string) int {
		return send(t, http.MethodPost, served.url+"/sandbox/justworks/_sim/tokens", key, `{}`)
	}
	if st := mint(""); st != http.StatusUnauthorized {
		t.Fatalf("the mounted sandbox's controls without a key: %d", st)
	}
	if st := mint(keyPattern.FindString(served.stdout)); st != http.StatusCreated {
		t.Fatalf("the mounted sandbox's controls with the admin key: %d", st)
	}
	if !strings.Contains(served.stdout, "/sandbox/justworks") {
		t.Fatalf("serve --sandbox did not print the simulators:\n%s", served.stdout)
	}
}

func TestProfilesCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	environ := env("PATCHBAY_PUBLIC_URL=https://hub.example.com")
	if _, errOut, code := run(t, dir, environ, "projects", "create", "--name", "Acme"); code != 0 {
		t.Fatalf("projects create: %s", errOut)
	}
	cmd := exec.Command(binary, "profiles", "create", "--connector", "justworks", "--client-id", "jw-client", "--client-secret-stdin",
		"--actions", "justworks_list_members,justworks_list_company_jurisdictions", "--default")
	cmd.Dir, cmd.Env = dir, environ
	cmd.Stdin = strings.NewReader("s3cret-from-stdin\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("profiles create: %v\n%s", err, out)
	}
	for _, want := range []string{"https://hub.example.com/connect/oauth2/justworks/callback", "company.detail:read member.detail:read member.basic:read", "secret set: true",
		"proxy:            off"} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("profiles create output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "s3cret-from-stdin") {
		t.Fatal("the client secret was printed")
	}
	id := regexp.MustCompile(`cp_[a-z0-9]+`).FindString(string(out))
	if out, _, code := run(t, dir, environ, "profiles", "update", id, "--enabled=false", "--proxy", "read"); code != 0 || !strings.Contains(out, "disabled") ||
		!strings.Contains(out, "proxy:            read") {
		t.Fatalf("profiles update: %d\n%s", code, out)
	}
	// On update an unset flag changes nothing: the help names no defaults.
	help, _, _ := run(t, dir, environ, "profiles", "update", "--help")
	if own, _, _ := strings.Cut(help, "Global Flags:"); strings.Contains(own, "(default") {
		t.Fatalf("profiles update --help shows defaults:\n%s", own)
	}
	if out, _, code := run(t, dir, environ, "profiles", "list"); code != 0 || !strings.Contains(out, id) {
		t.Fatalf("profiles list: %d\n%s", code, out)
	}
	_, errOut, code := run(t, dir, environ, "profiles", "create", "--connector", "justworks", "--client-id", " ", "--actions", "justworks_fly")
	if code != 2 || !strings.Contains(errOut, "client_id") || !strings.Contains(errOut, "client_secret") || !strings.Contains(errOut, "justworks_fly") {
		t.Fatalf("invalid profile: exit %d\n%s", code, errOut)
	}
	if out, _, code := run(t, dir, environ, "profiles", "delete", id); code != 0 || !strings.Contains(out, "Deleted") {
		t.Fatalf("profiles delete: %d %s", code, out)
	}
	if _, errOut, code := run(t, dir, environ, "profiles", "show", id); code == 0 || !strings.Contains(errOut, "No connector profile") {
		t.Fatalf("show after delete: %d %s", code, errOut)
	}
}

var (
	hubLinkPattern = regexp.MustCompile(`(http://\S+/hub\?token=\S+)`)
	curlPattern    = regexp.MustCompile(`curl -u (v1\.local\.[A-Za-z0-9_-]{43}): (\S+/accounts)`)
)

// TestDemoPrintsWorkingLinks runs `patchbay demo` on a fresh directory and uses
// what it prints: the Hub link opens, the guide pages load, the curl lists accounts.
func TestDemoPrintsWorkingLinks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := startUntil(t, dir, regexp.MustCompile(`Setup guides:`), "demo", "--listen", "127.0.0.1:0")
	link := hubLinkPattern.FindString(out)
	curl := curlPattern.FindStringSubmatch(out)
	if link == "" || curl == nil {
		t.Fatalf("demo did not print a Hub link and a curl command:\n%s", out)
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), `data-provider="justworks"`) || !strings.Contains(string(page), `data-provider="employmenthero"`) {
		t.Fatalf("the Hub link answers %d:\n%s", resp.StatusCode, page)
	}
	for _, guide := range regexp.MustCompile(`http://\S+/guides/\S+`).FindAllString(out, -1) {
		if st := get(t, guide, ""); st != http.StatusOK {
			t.Errorf("%s answers %d", guide, st)
		}
	}
	if st := get(t, curl[2], curl[1]); st != http.StatusOK {
		t.Fatalf("the printed curl answers %d", st)
	}
	// The printed console sign-in works.
	signIn := regexp.MustCompile(`Console: (\S+/console)\s+sign in as (\S+), password (\S+)`).FindStringSubmatch(out)
	if signIn == nil {
		t.Fatalf("demo did not print a console sign-in:\n%s", out)
	}
	if st := consoleSignIn(t, signIn[1], signIn[2], signIn[3]); st != http.StatusSeeOther {
		t.Fatalf("the printed console sign-in answers %d", st)
	}
	// The printed MCP address and key reach the MCP endpoint, which asks for a
	// linked account.
	mcp := regexp.MustCompile(`URL (\S+/mcp)\s+headers: Authorization: Bearer (\S+)`).FindStringSubmatch(out)
	if mcp == nil {
		t.Fatalf("demo did not print the MCP address:\n%s", out)
	}
	req, _ := http.NewRequest("POST", mcp[1], strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	req.Header.Set("Authorization", "Bearer "+mcp[2])
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Account-Id", "acc_missing")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("the printed MCP address answers %d", resp.StatusCode)
	}
	// The sandbox profiles are in place for both providers.
	out2, _, code := run(t, dir, env(), "profiles", "list")
	if code != 0 || strings.Count(out2, "sandbox") < 2 {
		t.Fatalf("profiles after demo:\n%s", out2)
	}
}

func TestAccountsCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Reading where there is no Patchbay data creates none, and says where to run.
	for _, reading := range [][]string{{"accounts", "list"}, {"projects", "list"}, {"profiles", "show", "cp_x"}, {"mcp", "tools", "--account", "acc_x"}} {
		out, errOut, code := run(t, dir, env(), reading...)
		if code == 0 || !strings.Contains(errOut, "no Patchbay data in ./data") || !strings.Contains(errOut, "patchbay demo") {
			t.Fatalf("%s without data: %d %s %s", strings.Join(reading, " "), code, out, errOut)
		}
		if _, err := os.Stat(filepath.Join(dir, "data")); !os.IsNotExist(err) {
			t.Fatalf("%s created ./data (%v)", strings.Join(reading, " "), err)
		}
	}
	run(t, dir, env(), "projects", "create", "--name", "Acme")
	if out, errOut, code := run(t, dir, env(), "accounts", "list"); code != 0 {
		t.Fatalf("accounts list with data: %d %s %s", code, out, errOut)
	}
	if out, _, code := run(t, dir, env(), "accounts", "list"); code != 0 || !strings.Contains(out, "PROVIDER") {
		t.Fatalf("accounts list: %d %s", code, out)
	}
	// A private webhook address needs the same setting as serve's, which the
	// command takes as a flag too.
	if _, errOut, code := run(t, dir, env(), "webhooks", "create", "--url", "http://127.0.0.1:9/hooks"); code == 0 || !strings.Contains(errOut, "--webhook-allow-private") {
		t.Fatalf("webhooks create to a private address: %d %s", code, errOut)
	}
	if out, errOut, code := run(t, dir, env(), "webhooks", "create", "--url", "http://127.0.0.1:9/hooks", "--webhook-allow-private"); code != 0 || !strings.Contains(out, "whsec_") {
		t.Fatalf("webhooks create --webhook-allow-private: %d %s %s", code, out, errOut)
	}
	// Filters are checked, and every list prints JSON on request.
	if _, errOut, code := run(t, dir, env(), "accounts", "list", "--status", "bogus"); code != 2 || !strings.Contains(errOut, "active, inactive, error, expired") {
		t.Fatalf("accounts list --status bogus: %d %s", code, errOut)
	}
	if out, errOut, code := run(t, dir, env(), "accounts", "list", "--provider", "justworks", "--json"); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("accounts list --json: %d %s %s", code, out, errOut)
	}
	var keys []map[string]string
	if out, _, code := run(t, dir, env(), "keys", "list", "--json"); code != 0 || json.Unmarshal([]byte(out), &keys) != nil || len(keys) != 1 || keys[0]["role"] != "admin" {
		t.Fatalf("keys list --json: %d %s", code, out)
	}
	for _, list := range [][]string{{"projects", "list"}, {"profiles", "list"}, {"webhooks", "list"}, {"admins", "list"}, {"connectors", "list"}, {"actions", "list"}} {
		var rows []map[string]string
		if out, errOut, code := run(t, dir, env(), append(list, "--json")...); code != 0 || json.Unmarshal([]byte(out), &rows) != nil {
			t.Fatalf("%s --json: %d\n%s%s", strings.Join(list, " "), code, out, errOut)
		}
	}
	if _, errOut, code := run(t, dir, env(), "accounts", "show", "acc_missing"); code == 0 || !strings.Contains(errOut, "No account acc_missing") ||
		!strings.Contains(errOut, "patchbay accounts list") {
		t.Fatalf("accounts show unknown: %d %s", code, errOut)
	}
	if _, errOut, code := run(t, dir, env(), "accounts", "delete", "acc_missing"); code == 0 || !strings.Contains(errOut, "No account acc_missing") {
		t.Fatalf("accounts delete unknown: %d %s", code, errOut)
	}
}

// TestTwoNodesRefreshOnceAndSurviveACrash runs two `patchbay serve` processes on
// one PostgreSQL database and one shared simulator. 500 concurrent action calls
// to each node on an account whose token has expired cause exactly one refresh;
// then a node killed (SIGKILL) in the middle of a refresh leaves the account
// working for the other node.
func TestTwoNodesRefreshOnceAndSurviveACrash(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewSchema(t)
	k, _ := secrets.GenerateKey("k1")
	sandboxOut := startUntil(t, t.TempDir(), sandboxBase, "sandbox", "--listen", "127.0.0.1:0", "--control-token", simToken, "--no-rate-limit")
	jwSim := sandboxBase.FindStringSubmatch(sandboxOut)[1]
	// The storm below makes over 1,000 calls with one key in a minute, more than
	// the default per-key limit the two nodes share.
	environ := env("PATCHBAY_DATABASE_URL="+dbURL, "PATCHBAY_ENCRYPTION_KEYS="+secrets.Format(k),
		"PATCHBAY_SANDBOX_URL="+strings.TrimSuffix(jwSim, "/justworks"), "PATCHBAY_KEY_RATE_LIMIT=10000")
	a, b := launch(t, t.TempDir(), environ), launch(t, t.TempDir(), environ)
	a.waitListening(t)
	b.waitListening(t)
	out, errOut, code := run(t, t.TempDir(), environ, "projects", "create", "--name", "Acme")
	key := keyPattern.FindString(out)
	if code != 0 || key == "" {
		t.Fatalf("projects create: %d %s", code, errOut)
	}

	// The account is stored directly: this test is about refreshing, not linking.
	ring, _ := secrets.NewKeyring(k)
	s := backendtest.OpenURL(t, dbURL, ring)
	ctx := context.Background()
	acc := storeSimulatorAccount(t, s, jwSim, simBearer, []string{"justworks_get_company"}, time.Now().Add(-time.Minute))
	expire := func() {
		cur, _ := s.GetAccount(ctx, acc.ProjectID, acc.ID)
		cur.Credentials.Expiry = time.Now().Add(-time.Minute)
		if _, err := s.UpdateCredentials(ctx, cur.ProjectID, cur.ID, cur.CredentialVersion, cur.Credentials); err != nil {
			t.Fatal(err)
		}
	}
	control := func(method, path, body string) string { return simControl(t, jwSim, method, path, body) }
	refreshes := func() int { return simStats(t, jwSim)["token.refresh_token"] }
	call := func(n *node) int { return companyCall(n, key, acc.ID) }

	control("DELETE", "/_sim/stats", "")
	var wg sync.WaitGroup
	failed := make(chan int, 1000)
	for _, n := range []*node{a, b} {
		for range 500 {
			wg.Go(func() {
				if st := call(n); st != http.StatusOK {
					failed <- st
				}
			})
		}
	}
	wg.Wait()
	close(failed)
	for st := range failed {
		t.Fatalf("a call failed with %d", st)
	}
	if n := refreshes(); n != 1 {
		t.Fatalf("two nodes made %d refreshes, want exactly 1", n)
	}

	// An MCP session initialised on node A continues on node B: the nodes
	// keep no session state.
	mcp := func(n *node, body string) (int, string) {
		req, _ := http.NewRequest("POST", n.url+"/mcp", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("X-Account-Id", acc.ID)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw)
	}
	if st, body := mcp(a, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"agent","version":"1"}}}`); st != http.StatusOK || !strings.Contains(body, `"name":"patchbay"`) {
		t.Fatalf("initialize on node A: %d %s", st, body)
	}
	if st, body := mcp(b, `{"jsonrpc":"2.0","method":"notifications/initialized"}`); st != http.StatusAccepted {
		t.Fatalf("initialized on node B: %d %s", st, body)
	}
	if st, body := mcp(b, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`); st != http.StatusOK || !strings.Contains(body, `"name":"justworks_get_company"`) {
		t.Fatalf("tools/list on node B: %d %s", st, body)
	}
	if st, body := mcp(a, `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"justworks_get_company","arguments":{}}}`); st != http.StatusOK || !strings.Contains(body, `display_name`) || strings.Contains(body, `"isError":true`) {
		t.Fatalf("tools/call on node A: %d %s", st, body)
	}

	// Crash in the middle of a refresh: the provider answers slowly, node A dies.
	expire()
	control("DELETE", "/_sim/stats", "")
	control("POST", "/_sim/faults", `{"path_prefix":"/oauth/token","count":1,"kind":"delay","delay_ms":3000}`)
	go call(a)
	testwait.For(t, "node A's refresh at the provider", func() bool { return simStats(t, jwSim)["fault.delay"] == 1 })
	a.cmd.Process.Kill()
	if st := call(b); st != http.StatusOK {
		t.Fatalf("after node A died mid-refresh, node B answers %d", st)
	}
	if n := refreshes(); n != 1 {
		t.Fatalf("%d refreshes reached the provider, want node B's one", n)
	}
}

// TestActionsRunCommand runs an action from the command line on an account linked
// to a `patchbay sandbox`, one page and then every page, and finds the calls in
// the request log a `patchbay serve` on the same database shows.
func TestActionsRunCommand(t *testing.T) {
	t.Parallel()
	sandboxOut := startUntil(t, t.TempDir(), sandboxBase, "sandbox", "--listen", "127.0.0.1:0", "--control-token", simToken, "--members", "7")
	jwSim := sandboxBase.FindStringSubmatch(sandboxOut)[1]
	dir := t.TempDir()
	environ := env("PATCHBAY_SANDBOX_URL=" + strings.TrimSuffix(jwSim, "/justworks"))
	key, acc := demoProject(t, dir, environ, jwSim, []string{"justworks_list_members"})

	count := func(out string) int {
		var items []map[string]any
		if err := json.Unmarshal([]byte(out), &items); err != nil {
			t.Fatalf("not a JSON list: %v\n%s", err, out)
		}
		return len(items)
	}
	out, errOut, code := run(t, dir, environ, "actions", "run", "justworks_list_members", "--account", acc.ID, "--query", "limit=3")
	if code != 0 || count(out) != 3 {
		t.Fatalf("one page: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = run(t, dir, environ, "actions", "run", "justworks_list_members", "--account", acc.ID, "--query", "limit=3", "--all-pages")
	if code != 0 || count(out) != 7 {
		t.Fatalf("all pages: exit %d\n%s%s", code, out, errOut)
	}
	if _, errOut, code := run(t, dir, environ, "actions", "run", "justworks_list_members", "--account", acc.ID, "--query", "limit"); code != 2 || !strings.Contains(errOut, "key=value") {
		t.Fatalf("bad --query: exit %d %s", code, errOut)
	}
	if _, errOut, code := run(t, dir, environ, "actions", "run", "justworks_list_members", "--account", acc.ID, "--query", "limit=500"); code == 0 || !strings.Contains(errOut, "limit") {
		t.Fatalf("invalid input: exit %d %s", code, errOut)
	}

	// What an agent sees on the MCP server: the one enabled action.
	out, errOut, code = run(t, dir, environ, "mcp", "tools", "--account", acc.ID)
	if code != 0 || !strings.Contains(out, "justworks_list_members") || !strings.Contains(out, "read") || !strings.Contains(out, "query.limit") || strings.Count(out, "\n") != 2 {
		t.Fatalf("mcp tools: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = run(t, dir, environ, "mcp", "tools", "--account", acc.ID, "--tool-mode", "search_execute", "--json")
	var listed struct{ Tools []struct{ Name string } }
	if err := json.Unmarshal([]byte(out), &listed); code != 0 || err != nil || len(listed.Tools) != 2 || listed.Tools[0].Name != "justworks_search_actions" {
		t.Fatalf("mcp tools --json: exit %d %v\n%s%s", code, err, out, errOut)
	}
	if _, errOut, code := run(t, dir, environ, "mcp", "tools", "--account", acc.ID, "--param-style", "flat"); code != 2 || !strings.Contains(errOut, "param-style") {
		t.Fatalf("bad --param-style: exit %d %s", code, errOut)
	}
	if out, _, code := run(t, dir, environ, "mcp", "tools", "--account", acc.ID, "--tools", "!*_members"); code != 0 || strings.Contains(out, "justworks_list_members") {
		t.Fatalf("--tools excluding the one tool: exit %d\n%s", code, out)
	}
	if _, errOut, code := run(t, dir, environ, "mcp", "tools", "--account", acc.ID, "--tools", "["); code != 2 || !strings.Contains(errOut, "tools:") {
		t.Fatalf("bad --tools: exit %d %s", code, errOut)
	}

	// A command prints its result, not the services' log on the way.
	out, errOut, code = run(t, dir, environ, "accounts", "delete", acc.ID)
	if code != 0 || !strings.Contains(out, "Deleted "+acc.ID) || errOut != "" {
		t.Fatalf("accounts delete: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}

	// One page, three pages, one refused input: five calls, all in the log.
	n := startServe(t, dir, environ)
	req, _ := http.NewRequest("GET", n.url+"/requests/logs?filter[account_ids]="+acc.ID+"&include=step_logs", nil)
	req.SetBasicAuth(key, "")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var logs struct {
		Data []struct {
			Action, Source string
			Status         int
			StepRequests   []any `json:"step_requests"`
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&logs); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("request logs: %d %v", resp.StatusCode, err)
	}
	statuses := map[int]int{}
	for _, l := range logs.Data {
		if l.Action != "justworks_list_members" || l.Source != "cli" {
			t.Fatalf("a CLI call logged as %+v", l)
		}
		statuses[l.Status]++
	}
	if len(logs.Data) != 5 || statuses[200] != 4 || statuses[400] != 1 {
		t.Fatalf("the CLI's calls in the request log: %+v, want 4 answered and 1 refused", logs.Data)
	}
}

// demoProject creates a project with the CLI in dir's SQLite database and an
// account linked straight in it (storeSimulatorAccount) with the actions
// enabled; it returns the project's key and the account.
func demoProject(t *testing.T, dir string, environ []string, jwSim string, actions []string) (string, store.Account) {
	t.Helper()
	out, errOut, code := run(t, dir, environ, "projects", "create", "--name", "Acme")
	key := keyPattern.FindString(out)
	if code != 0 || key == "" {
		t.Fatalf("projects create: %d %s", code, errOut)
	}
	ring, _, err := secrets.LoadOrCreateKeyFile(filepath.Join(dir, "data", "patchbay.key"))
	if err != nil {
		t.Fatal(err)
	}
	s := backendtest.OpenURL(t, "sqlite:"+filepath.Join(dir, "data", "patchbay.db"), ring)
	defer s.Close()
	return key, storeSimulatorAccount(t, s, jwSim, simBearer, actions, time.Now().Add(time.Hour))
}

// storeSimulatorAccount stores, straight in the database, a Justworks profile on
// the running simulator at jwSim and an account holding a token minted there,
// expiring at expiry. Tests about refreshing and running actions use it instead
// of walking the Hub.
// storeSimulatorAccount links an account straight in the database, with a
// token minted by the simulator at jwSim; control is the Authorization that
// opens its controls (simBearer, or the admin key of a Patchbay that mounts it).
func storeSimulatorAccount(t *testing.T, s store.Store, jwSim, control string, actions []string, expiry time.Time) store.Account {
	t.Helper()
	ctx := context.Background()
	projects, err := s.ListProjects(ctx)
	if err != nil || len(projects) == 0 {
		t.Fatalf("no project: %v", err)
	}
	prof, err := s.CreateConnectorProfile(ctx, store.ConnectorProfile{ProjectID: projects[0].ID, ConnectorKey: "justworks", Name: "JW",
		ClientID: "sandbox-justworks", ClientSecret: "sandbox-justworks-secret", Environment: "sandbox", Enabled: true,
		EnabledActions: actions})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	json.Unmarshal([]byte(simRequest(t, jwSim, control, "POST", "/_sim/tokens", `{}`)), &tok)
	acc, err := s.CreateAccount(ctx, store.Account{ProjectID: projects[0].ID, ProfileID: prof.ID, Provider: "justworks", OriginOwnerID: "o", OriginOwnerName: "O",
		Credentials: store.Credentials{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: expiry}}, store.EventAccountCreated)
	if err != nil {
		t.Fatal(err)
	}
	return acc
}

// Request log entries are written in the background; a node that is told to
// stop writes the ones still queued before it exits.
func TestServeWritesQueuedRequestLogsOnStop(t *testing.T) {
	t.Parallel()
	sandboxOut := startUntil(t, t.TempDir(), sandboxBase, "sandbox", "--listen", "127.0.0.1:0", "--control-token", simToken, "--members", "5")
	jwSim := sandboxBase.FindStringSubmatch(sandboxOut)[1]
	dir := t.TempDir()
	environ := env("PATCHBAY_SANDBOX_URL=" + strings.TrimSuffix(jwSim, "/justworks"))
	out, errOut, code := run(t, dir, environ, "projects", "create", "--name", "Acme")
	key := keyPattern.FindString(out)
	if code != 0 || key == "" {
		t.Fatalf("projects create: %d %s", code, errOut)
	}
	dbURL := "sqlite:" + filepath.Join(dir, "data", "patchbay.db")
	ring, _, err := secrets.LoadOrCreateKeyFile(filepath.Join(dir, "data", "patchbay.key"))
	if err != nil {
		t.Fatal(err)
	}
	s := backendtest.OpenURL(t, dbURL, ring)
	acc := storeSimulatorAccount(t, s, jwSim, simBearer, []string{"justworks_get_company"}, time.Now().Add(time.Hour))
	s.Close()

	n := startServe(t, dir, environ)
	const calls = 20
	for range calls {
		req, _ := http.NewRequest("POST", n.url+"/actions/rpc", strings.NewReader(`{"action":"justworks_get_company"}`))
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth(key, "")
		req.Header.Set("X-Account-Id", acc.ID)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("rpc: %d", resp.StatusCode)
		}
	}
	n.stop(t) // at once: the last entries are still queued

	s = backendtest.OpenURL(t, dbURL, ring)
	logs, err := s.ListRequestLogs(context.Background(), acc.ProjectID, store.LogFilter{Limit: 100})
	if err != nil || len(logs) != calls {
		t.Fatalf("%d request log entries after stopping (%v), want %d", len(logs), err, calls)
	}
}

// simToken is the control token of the simulators the tests start.
const simToken = "test-control-token"

var simBearer = "Bearer " + simToken

// simControl calls a simulator's test controls (/_sim/…) and returns the body.
func simControl(t *testing.T, simURL, method, path, body string) string {
	t.Helper()
	return simRequest(t, simURL, simBearer, method, path, body)
}

// simRequest calls a simulator's test controls with authorization.
func simRequest(t *testing.T, simURL, authorization, method, path, body string) string {
	t.Helper()
	req, _ := http.NewRequest(method, simURL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", authorization)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// simStats reads a simulator's counters.
func simStats(t *testing.T, simURL string) map[string]int {
	t.Helper()
	var stats map[string]int
	json.Unmarshal([]byte(simControl(t, simURL, "GET", "/_sim/stats", "")), &stats)
	return stats
}

// companyCall runs justworks_get_company on node n and returns the status (0
// when the node did not answer).
func companyCall(n *node, key, accountID string) int {
	req, _ := http.NewRequest("POST", n.url+"/actions/rpc", strings.NewReader(`{"action":"justworks_get_company"}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(key, "")
	req.Header.Set("X-Account-Id", accountID)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Finding 2, the crash variant: PostgreSQL goes down while Justworks rotates an
// account's refresh token, and the node is killed before the database is back.
// The rotated tokens wait in the node's journal; a node started on the same
// data directory stores them, and the account keeps working with exactly one
// refresh and no invalid_grant.
func TestRotatedTokensSurviveACrashDuringADatabaseOutage(t *testing.T) {
	t.Parallel()
	pg := pgtest.StartPrivate(t)
	k, _ := secrets.GenerateKey("k1")
	sandboxOut := startUntil(t, t.TempDir(), sandboxBase, "sandbox", "--listen", "127.0.0.1:0", "--control-token", simToken, "--no-rate-limit")
	jwSim := sandboxBase.FindStringSubmatch(sandboxOut)[1]
	dataDir := t.TempDir()
	environ := env("PATCHBAY_DATABASE_URL="+pg.URL, "PATCHBAY_ENCRYPTION_KEYS="+secrets.Format(k),
		"PATCHBAY_SANDBOX_URL="+strings.TrimSuffix(jwSim, "/justworks"), "PATCHBAY_DATA_DIR="+dataDir)
	out, errOut, code := run(t, t.TempDir(), environ, "projects", "create", "--name", "Acme")
	key := keyPattern.FindString(out)
	if code != 0 || key == "" {
		t.Fatalf("projects create: %d %s", code, errOut)
	}
	ring, _ := secrets.NewKeyring(k)
	s := backendtest.OpenURL(t, pg.URL, ring)
	acc := storeSimulatorAccount(t, s, jwSim, simBearer, []string{"justworks_get_company"}, time.Now().Add(-time.Minute))

	a := startServe(t, t.TempDir(), environ)
	simControl(t, jwSim, "DELETE", "/_sim/stats", "")
	simControl(t, jwSim, "POST", "/_sim/faults", `{"path_prefix":"/oauth/token","count":1,"kind":"delay","delay_ms":3000}`)
	answered := make(chan int, 1)
	go func() { answered <- companyCall(a, key, acc.ID) }()
	testwait.For(t, "the refresh reaches the provider", func() bool { return simStats(t, jwSim)["fault.delay"] == 1 })
	pg.Stop(t)
	if st := <-answered; st != http.StatusOK {
		t.Fatalf("the call during the outage answered %d\n%s", st, a.stderr)
	}
	journaled, _ := filepath.Glob(filepath.Join(dataDir, "token-journal", "*.sealed"))
	if len(journaled) != 1 {
		t.Fatalf("%d journal entries during the outage, want 1", len(journaled))
	}
	a.cmd.Process.Kill() // the node dies before the database is back
	a.cmd.Wait()

	pg.Start(t)
	b := startServe(t, t.TempDir(), environ)
	if st := companyCall(b, key, acc.ID); st != http.StatusOK {
		t.Fatalf("a call on the restarted node answered %d\n%s", st, b.stderr)
	}
	testwait.For(t, "the journaled tokens are stored", func() bool {
		cur, err := s.GetAccount(context.Background(), acc.ProjectID, acc.ID)
		left, _ := filepath.Glob(filepath.Join(dataDir, "token-journal", "*.sealed"))
		return err == nil && cur.Credentials.RefreshToken != acc.Credentials.RefreshToken && len(left) == 0
	})
	if stats := simStats(t, jwSim); stats["token.refresh_token"] != 1 || stats["token.error.invalid_grant"] != 0 {
		t.Fatalf("refreshes %d, invalid_grant %d: want exactly one refresh and no invalid_grant", stats["token.refresh_token"], stats["token.error.invalid_grant"])
	}
	b.stop(t)
}

// The demo prints one API key, and the same one on every run in the same
// folder, instead of adding a key per run (newcomer finding 4).
func TestDemoKeepsItsKeyAcrossRuns(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := startUntil(t, dir, regexp.MustCompile(`Setup guides:`), "demo", "--listen", "127.0.0.1:0")
	second := startUntil(t, dir, regexp.MustCompile(`Setup guides:`), "demo", "--listen", "127.0.0.1:0")
	keys := map[string]bool{}
	for _, out := range []string{first, second} {
		for _, k := range keyPattern.FindAllString(out, -1) {
			keys[k] = true
		}
	}
	if len(keys) != 1 {
		t.Fatalf("two demo runs printed %d different keys, want the one\nfirst:\n%s\nsecond:\n%s", len(keys), first, second)
	}
	out, _, code := run(t, dir, env(), "keys", "list")
	if code != 0 || strings.Count(out, "v1.local.") != 1 {
		t.Fatalf("keys after two demo runs:\n%s", out)
	}
}

// The demo sets itself up on PostgreSQL too, with no project created first
// (newcomer finding 11).
func TestDemoOnPostgres(t *testing.T) {
	t.Parallel()
	k, _ := secrets.GenerateKey("k1")
	_, base, key := startDemo(t, t.TempDir(), env("PATCHBAY_DATABASE_URL="+pgtest.NewSchema(t), "PATCHBAY_ENCRYPTION_KEYS="+secrets.Format(k)))
	if st := get(t, base+"/accounts", key); st != http.StatusOK {
		t.Fatalf("the demo's curl on PostgreSQL answers %d", st)
	}
}

// A mistyped subcommand is an error that suggests the right one, not the
// help with exit 0 (newcomer finding 6).
func TestMistypedSubcommands(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"actions", "lst"}, {"accounts", "lst"}, {"keys", "revok"}} {
		_, errOut, code := run(t, t.TempDir(), env(), args...)
		if code != 2 || !strings.Contains(errOut, "unknown command") || !strings.Contains(errOut, "did you mean") {
			t.Errorf("patchbay %s: exit %d: %s", strings.Join(args, " "), code, errOut)
		}
	}
	if out, _, code := run(t, t.TempDir(), env(), "actions"); code != 0 || !strings.Contains(out, "Available Commands") {
		t.Fatalf("patchbay actions alone: exit %d\n%s", code, out)
	}
}

// The CLI reaches a demo started on another port in the same folder: it reads
// the public URL the demo noted (newcomer finding 3).
func TestCLIFindsADemoOnAnotherPort(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := startUntil(t, dir, regexp.MustCompile(`Setup guides:`), "demo", "--listen", "127.0.0.1:0")
	curl := curlPattern.FindStringSubmatch(out)
	if curl == nil {
		t.Fatalf("no curl in the demo's output:\n%s", out)
	}
	base := strings.TrimSuffix(curl[2], "/accounts")
	shown, errOut, code := run(t, dir, env(), "connectors", "show", "justworks")
	if code != 0 || !strings.Contains(shown, base+"/connect/oauth2/justworks/callback") {
		t.Fatalf("connectors show: exit %d, redirect URI not on %s:\n%s%s", code, base, shown, errOut)
	}
	ring, _, err := secrets.LoadOrCreateKeyFile(filepath.Join(dir, "data", "patchbay.key"))
	if err != nil {
		t.Fatal(err)
	}
	s := backendtest.OpenURL(t, "sqlite:"+filepath.Join(dir, "data", "patchbay.db"), ring)
	acc := storeSimulatorAccount(t, s, base+"/sandbox/justworks", basicAuth(curl[1]), []string{"justworks_get_company"}, time.Now().Add(time.Hour))
	got, errOut, code := run(t, dir, env(), "actions", "run", "justworks_get_company", "--account", acc.ID)
	if code != 0 || !strings.Contains(got, `"legal_name"`) {
		t.Fatalf("actions run against the demo: exit %d\n%s%s", code, got, errOut)
	}
}

// startDemo runs `patchbay demo` in dir until it is ready and returns it with
// its base URL and key; stop it with kill.
func startDemo(t *testing.T, dir string, environ []string) (*exec.Cmd, string, string) {
	t.Helper()
	cmd := exec.Command(binary, "demo", "--listen", "127.0.0.1:0")
	cmd.Dir, cmd.Env = dir, environ
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(out)
	var printed strings.Builder
	for lines.Scan() {
		printed.WriteString(lines.Text() + "\n")
		if strings.Contains(lines.Text(), "Setup guides:") {
			go io.Copy(io.Discard, out)
			curl := curlPattern.FindStringSubmatch(printed.String())
			return cmd, strings.TrimSuffix(curl[2], "/accounts"), curl[1]
		}
	}
	t.Fatalf("demo did not get ready:\n%s", printed.String())
	return nil, "", ""
}

// Linked accounts outlive a demo restart, and two demos in one folder do not
// break each other's accounts: the simulators keep their tokens in the data
// directory (newcomer finding 2).
func TestDemoAccountsOutliveARestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first, base, key := startDemo(t, dir, env())
	ring, _, err := secrets.LoadOrCreateKeyFile(filepath.Join(dir, "data", "patchbay.key"))
	if err != nil {
		t.Fatal(err)
	}
	s := backendtest.OpenURL(t, "sqlite:"+filepath.Join(dir, "data", "patchbay.db"), ring)
	acc := storeSimulatorAccount(t, s, base+"/sandbox/justworks", basicAuth(key), []string{"justworks_get_company"}, time.Now().Add(time.Hour))
	first.Process.Kill() // Ctrl-C, or worse
	first.Wait()

	_, again, _ := startDemo(t, dir, env())
	_, other, _ := startDemo(t, dir, env()) // a second demo in the same folder
	for _, url := range []string{again, other} {
		if st := companyCall(&node{url: url}, key, acc.ID); st != http.StatusOK {
			t.Fatalf("an account linked before the restart, called through %s: %d", url, st)
		}
	}
}

// TestDebugListenServesTheProfiler: --debug-listen offers Go's profiler on its
// own address, never on the API's.
func TestDebugListenServesTheProfiler(t *testing.T) {
	t.Parallel()
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := free.Addr().String()
	free.Close()
	n := launch(t, t.TempDir(), env(), "--debug-listen", addr)
	n.waitListening(t)
	defer n.stop(t)
	// serve listens on both addresses before it says it is listening.
	if st := get(t, "http://"+addr+"/debug/pprof/cmdline", ""); st != http.StatusOK {
		t.Fatalf("the profiler answered %d", st)
	}
	if st := get(t, n.url+"/debug/pprof/cmdline", ""); st == http.StatusOK {
		t.Fatal("the API's address serves the profiler")
	}
	if _, errOut, code := run(t, t.TempDir(), env(), "serve", "--listen", "127.0.0.1:0", "--debug-listen", "6060"); code == 0 || !strings.Contains(errOut, "--debug-listen") {
		t.Fatalf("--debug-listen 6060: exit %d: %s", code, errOut)
	}
}

// basicAuth is the Authorization header of an API key.
func basicAuth(key string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(key+":"))
}

// patchbay --version prints what patchbay version prints.
func TestVersionFlag(t *testing.T) {
	t.Parallel()
	flag, _, code := run(t, t.TempDir(), env(), "--version")
	cmd, _, _ := run(t, t.TempDir(), env(), "version")
	if code != 0 || !strings.HasPrefix(flag, "patchbay ") || flag != cmd {
		t.Fatalf("--version: exit %d, %q; version: %q", code, flag, cmd)
	}
}

// With the simulator stopped, an action on a sandbox account says at once
// that nothing listens there, rather than retrying and blaming the provider.
func TestActionsRunWithTheSimulatorStopped(t *testing.T) {
	t.Parallel()
	sim, sandboxOut := startProcess(t, t.TempDir(), sandboxBase, "sandbox", "--listen", "127.0.0.1:0", "--control-token", simToken)
	jwSim := sandboxBase.FindStringSubmatch(sandboxOut)[1]
	dir := t.TempDir()
	environ := env("PATCHBAY_SANDBOX_URL=" + strings.TrimSuffix(jwSim, "/justworks"))
	if _, errOut, code := run(t, dir, environ, "projects", "create", "--name", "Acme"); code != 0 {
		t.Fatal(errOut)
	}
	ring, _, err := secrets.LoadOrCreateKeyFile(filepath.Join(dir, "data", "patchbay.key"))
	if err != nil {
		t.Fatal(err)
	}
	s := backendtest.OpenURL(t, "sqlite:"+filepath.Join(dir, "data", "patchbay.db"), ring)
	acc := storeSimulatorAccount(t, s, jwSim, simBearer, []string{"justworks_get_company"}, time.Now().Add(time.Hour))
	s.Close()
	sim.Process.Kill()
	sim.Wait()
	_, errOut, code := run(t, dir, environ, "actions", "run", "justworks_get_company", "--account", acc.ID)
	if code == 0 || !strings.Contains(errOut, "Cannot reach the Justworks simulator at "+strings.TrimSuffix(jwSim, "/justworks")) ||
		!strings.Contains(errOut, "patchbay demo") {
		t.Fatalf("the simulator stopped: exit %d\n%s", code, errOut)
	}
}

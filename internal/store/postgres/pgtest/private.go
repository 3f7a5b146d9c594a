package pgtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
)

// Private is a PostgreSQL server of one test's own, which the test may stop
// and start again (a database outage) without disturbing any other test.
type Private struct {
	// URL reaches the server's postgres database.
	URL string

	pgCtl string
	dir   string
	port  int
}

// StartPrivate initialises and starts a throwaway PostgreSQL server, stopped
// and removed when the test ends. It skips the test where no PostgreSQL
// server binaries are installed; CI installs them.
func StartPrivate(t testing.TB) *Private {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(bins) == 0 {
		t.Skip("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin); database-outage tests need them")
	}
	// Not t.TempDir: its parent is private to this user, and the server may
	// run as another.
	dir, err := os.MkdirTemp("", "patchbay-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := &Private{pgCtl: bins[len(bins)-1], dir: dir}
	if os.Getuid() == 0 {
		// The server refuses to run as root: hand the directory to postgres.
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root needs a postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(p.dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	p.run(t, filepath.Join(filepath.Dir(p.pgCtl), "initdb"), "-D", p.data(), "-A", "trust", "-U", "postgres", "--no-sync")
	// The port is free when picked, but another test may take it before
	// the server binds it: a start that fails tries another port, twice.
	for try := 1; ; try++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p.port = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		err = p.start()
		if err == nil {
			break
		}
		if try == 3 {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { p.ctl(t, "stop", "-m", "immediate") })
	p.URL = "postgres://postgres@127.0.0.1:" + strconv.Itoa(p.port) + "/postgres?sslmode=disable"
	return p
}

func (p *Private) data() string { return filepath.Join(p.dir, "data") }

// command runs bin as the postgres user when the test runs as root: the
// server refuses to run as root.
func (p *Private) command(bin string, args ...string) *exec.Cmd {
	if os.Getuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", bin}, args...)...)
	}
	return exec.Command(bin, args...)
}

// Start starts the server again and waits until it takes connections. A
// server that will not start fails the test with its log.
func (p *Private) Start(t testing.TB) {
	t.Helper()
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
}

func (p *Private) start() error {
	log := filepath.Join(p.dir, "log")
	if out, err := p.command(p.pgCtl, "-D", p.data(), "start", "-w", "-l", log,
		"-o", "-p "+strconv.Itoa(p.port)+" -c listen_addresses=127.0.0.1 -k "+p.dir+" -c fsync=off").CombinedOutput(); err != nil {
		logged, _ := os.ReadFile(log)
		return fmt.Errorf("pg_ctl start on port %d: %v\n%s\nserver log:\n%s", p.port, err, out, logged)
	}
	return nil
}

// Stop stops the server the way an operator's restart does: it disconnects
// every client at once (fast shutdown) and waits until it is down.
func (p *Private) Stop(t testing.TB) {
	t.Helper()
	p.ctl(t, "stop", "-w", "-m", "fast")
}

func (p *Private) ctl(t testing.TB, args ...string) {
	t.Helper()
	p.run(t, p.pgCtl, append([]string{"-D", p.data()}, args...)...)
}

func (p *Private) run(t testing.TB, bin string, args ...string) {
	t.Helper()
	if out, err := p.command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", filepath.Base(bin), args, err, out)
	}
}

package main

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patchbayhq/patchbay/internal/secrets"
)

// abuse starts `patchbay serve` and measures /healthz latency and the heap
// before, during and after two attacks at once: 2,000 clients that send their
// request bodies a byte every two seconds (slow loris), and 20,000 requests
// with made-up methods (which used to grow the metrics without bound).
func abuse() error {
	dir, bin, err := build()
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	key, err := secrets.GenerateKey("abuse")
	if err != nil {
		return err
	}
	fmt.Println("starting patchbay serve …")
	serve, out, err := start(dir, bin, regexp.MustCompile(`is listening on (\S+)`), "serve", "--listen", "127.0.0.1:0",
		"--database-url", "sqlite:"+filepath.Join(dir, "patchbay.db"), "--encryption-keys", secrets.Format(key))
	if err != nil {
		return err
	}
	defer func() { serve.Process.Kill(); serve.Wait() }()
	addr := out[1]
	base := "http://" + addr

	fmt.Printf("\n%-44s %14s %14s %12s\n", "moment", "healthz p50", "healthz max", "heap")
	report := func(moment string) {
		p50, worst := healthz(base)
		fmt.Printf("%-44s %14s %14s %9.1f MB\n", moment, p50, worst, heapMB(base))
	}
	report("before")

	const slowClients, randomRequests = 2000, 20000
	var open sync.WaitGroup
	var stillOpen atomic.Int32
	started := make(chan struct{}, slowClients)
	for range slowClients {
		stillOpen.Add(1)
		open.Go(func() { slowBody(addr, started); stillOpen.Add(-1) })
	}
	for range slowClients {
		<-started
	}
	report(fmt.Sprintf("%d slow-body clients connected", slowClients))

	methods := make(chan string, 64)
	go func() {
		for range randomRequests {
			methods <- "X" + strconv.FormatUint(rand.Uint64(), 36)
		}
		close(methods)
	}()
	var workers sync.WaitGroup
	for range 32 {
		workers.Go(func() {
			for m := range methods {
				req, _ := http.NewRequest(m, base+"/healthz", nil)
				if resp, err := http.DefaultClient.Do(req); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		})
	}
	workers.Wait()
	report(fmt.Sprintf("after %d made-up methods, slow clients on", randomRequests))

	began := time.Now()
	allClosed := make(chan struct{})
	go func() { open.Wait(); close(allClosed) }()
	select {
	case <-allClosed:
		report(fmt.Sprintf("slow clients cut off (%.0f s later)", time.Since(began).Seconds()))
	case <-time.After(time.Minute):
		report(fmt.Sprintf("a minute later: %d slow clients still connected", stillOpen.Load()))
	}
	fmt.Printf("\n/metrics is %d KB\n", metricsSize(base)/1024)
	return nil
}

// slowBody opens a request whose body never finishes, sending a byte every two
// seconds until the server ends the connection.
func slowBody(addr string, started chan<- struct{}) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		started <- struct{}{}
		return
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /connect_sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
	started <- struct{}{}
	closed := make(chan struct{})
	go func() { io.Copy(io.Discard, conn); close(closed) }()
	for {
		select {
		case <-closed:
			return
		case <-time.After(2 * time.Second):
			if _, err := conn.Write([]byte(" ")); err != nil {
				return
			}
		}
	}
}

// healthz returns the median and the worst of 20 GET /healthz.
func healthz(base string) (p50, worst time.Duration) {
	var took []time.Duration
	for range 20 {
		began := time.Now()
		if resp, err := http.Get(base + "/healthz"); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		took = append(took, time.Since(began))
	}
	slices.Sort(took)
	return took[len(took)/2].Round(time.Microsecond), took[len(took)-1].Round(time.Microsecond)
}

// heapMB reads the node's heap in use from /metrics.
func heapMB(base string) float64 {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(make([]byte, 64<<10), 64<<20)
	for lines.Scan() {
		if v, ok := strings.CutPrefix(lines.Text(), "go_memstats_heap_alloc_bytes "); ok {
			n, _ := strconv.ParseFloat(v, 64)
			return n / (1 << 20)
		}
	}
	return 0
}

func metricsSize(base string) int64 {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	n, _ := io.Copy(io.Discard, resp.Body)
	return n
}

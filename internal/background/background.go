// Package background runs Patchbay's periodic work (keep-alive, maintenance,
// log writing) so that a panic in one pass is recovered, logged and counted
// instead of taking down the node.
package background

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Panics counts recovered panics by loop; register it with the node's metrics.
var Panics = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "patchbay_background_panics_total",
	Help: "Panics recovered in background work, by loop."}, []string{"loop"})

// Guard runs one pass of the named loop, turning a panic into a logged,
// counted error.
func Guard(ctx context.Context, log *slog.Logger, loop string, pass func(context.Context) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			Panics.WithLabelValues(loop).Inc()
			err = fmt.Errorf("%s: panic: %v", loop, v)
			log.ErrorContext(ctx, "background pass panicked; the loop goes on", "loop", loop, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
	}()
	return pass(ctx)
}

// Every runs pass through Guard now and then about every interval (between
// half and one and a half intervals, so nodes spread out) until ctx ends.
func Every(ctx context.Context, log *slog.Logger, loop string, interval time.Duration, pass func(context.Context) error) {
	for {
		if err := Guard(ctx, log, loop, pass); err != nil && ctx.Err() == nil {
			log.WarnContext(ctx, "background pass failed", "loop", loop, "err", err)
		}
		select {
		case <-time.After(interval/2 + rand.N(interval)):
		case <-ctx.Done():
			return
		}
	}
}

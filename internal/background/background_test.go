package background_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/patchbayhq/patchbay/internal/background"
)

func TestGuardRecoversAPanickingPass(t *testing.T) {
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	before := testutil.ToFloat64(background.Panics.WithLabelValues("test-loop"))
	err := background.Guard(context.Background(), log, "test-loop", func(context.Context) error {
		var m map[string]int
		m["boom"]++ // a nil map: the kind of bug that used to take the node down
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "panic") {
		t.Fatalf("Guard returned %v, want the panic as an error", err)
	}
	if got := testutil.ToFloat64(background.Panics.WithLabelValues("test-loop")) - before; got != 1 {
		t.Fatalf("panics counted: %v, want 1", got)
	}
	if !strings.Contains(logged.String(), "test-loop") || !strings.Contains(logged.String(), "stack") {
		t.Fatalf("the panic was not logged with its stack:\n%s", logged.String())
	}
	want := errors.New("plain failure")
	if err := background.Guard(context.Background(), log, "test-loop", func(context.Context) error { return want }); err != want {
		t.Fatalf("an ordinary error came back as %v", err)
	}
}

// Command patchbay is the self-hosted integration hub for HR and payroll systems.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/patchbayhq/patchbay/internal/audit"
)

func main() {
	// What the command line changes is the host operator's doing.
	err := newRootCmd().ExecuteContext(audit.As(context.Background(), "system:cli"))
	if err == nil {
		return
	}
	fmt.Fprintln(os.Stderr, "patchbay:", err)
	var usage usageError
	if errors.As(err, &usage) {
		os.Exit(2)
	}
	os.Exit(1)
}

package app_test

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// frontEnds are the packages that face people and programs. They hold
// services, never the store: every write goes through a service, which
// decides its events and cascades.
var frontEnds = []string{
	"github.com/patchbayhq/patchbay/internal/api",
	"github.com/patchbayhq/patchbay/internal/console",
	"github.com/patchbayhq/patchbay/internal/mcp",
	"github.com/patchbayhq/patchbay/internal/hub",
	"github.com/patchbayhq/patchbay/cmd/patchbay",
}

const (
	storePkg    = "github.com/patchbayhq/patchbay/internal/store"
	sqlstorePkg = "github.com/patchbayhq/patchbay/internal/store/sqlstore"
)

// TestFrontEndsHoldNoStore type-checks each front end's product code and
// fails on any use of the store.Store interface or of a concrete store: the
// type, a value of it, or a call of its methods.
func TestFrontEndsHoldNoStore(t *testing.T) {
	exports := exportData(t, frontEnds)
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		file, ok := exports[path]
		if !ok {
			return nil, os.ErrNotExist
		}
		return os.Open(file)
	})
	for _, pkg := range frontEnds {
		t.Run(filepath.Base(pkg), func(t *testing.T) {
			files := parsePackage(t, fset, pkg)
			info := &types.Info{Uses: map[*ast.Ident]types.Object{}, Types: map[ast.Expr]types.TypeAndValue{}}
			conf := types.Config{Importer: imp.(types.ImporterFrom)}
			if _, err := conf.Check(pkg, fset, files, info); err != nil {
				t.Fatalf("type-check %s: %v", pkg, err)
			}
			for id, obj := range info.Uses {
				if why := storeUse(obj); why != "" {
					t.Errorf("%s: %s; call a service instead", fset.Position(id.Pos()), why)
				}
			}
			for expr, tv := range info.Types {
				if isStore(tv.Type) {
					t.Errorf("%s: a value of type %s; hold a service instead", fset.Position(expr.Pos()), tv.Type)
				}
			}
		})
	}
}

// storeUse says why a use of obj reaches the store, "" when it does not.
func storeUse(obj types.Object) string {
	switch o := obj.(type) {
	case *types.TypeName:
		if isStore(o.Type()) {
			return "names the store type " + o.Name()
		}
	case *types.Func:
		if recv := o.Signature().Recv(); recv != nil && isStore(recv.Type()) {
			return "calls the store's " + o.Name()
		}
	}
	return ""
}

// isStore reports whether t is store.Store or a sqlstore type (or a pointer to one).
func isStore(t types.Type) bool {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	named, ok := types.Unalias(t).(*types.Named)
	if !ok || named.Obj().Pkg() == nil {
		return false
	}
	path := named.Obj().Pkg().Path()
	return (path == storePkg && named.Obj().Name() == "Store") || path == sqlstorePkg
}

// exportData builds the packages' dependencies and returns where each one's
// export data is, by import path.
func exportData(t *testing.T, pkgs []string) map[string]string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-deps", "-export", "-json=ImportPath,Export"}, pkgs...)...)
	cmd.Dir = moduleRoot(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	exports := map[string]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p struct{ ImportPath, Export string }
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		exports[p.ImportPath] = p.Export
	}
	return exports
}

// parsePackage parses a package's product files (no tests).
func parsePackage(t *testing.T, fset *token.FileSet, pkg string) []*ast.File {
	t.Helper()
	dir := filepath.Join(moduleRoot(t), strings.TrimPrefix(pkg, "github.com/patchbayhq/patchbay/"))
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		t.Fatalf("no Go files in %s", dir)
	}
	return files
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// TestOneClockAndNoUnsafe walks the product code (internal/ and cmd/patchbay,
// tests aside) and fails on a reading of the real time outside internal/clock
// (behaviour takes time from an injected clock.Clock, durations from
// clock.Stopwatch) and on any import of unsafe.
func TestOneClockAndNoUnsafe(t *testing.T) {
	root := moduleRoot(t)
	fset := token.NewFileSet()
	for _, top := range []string{"internal", "cmd/patchbay"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d os.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case d.IsDir() && filepath.Base(path) == "clock":
				return filepath.SkipDir
			case d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go"):
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			timeName := ""
			for _, imp := range f.Imports {
				if imp.Path.Value == `"unsafe"` {
					t.Errorf("%s: imports unsafe", fset.Position(imp.Pos()))
				}
				if imp.Path.Value == `"time"` {
					timeName = "time"
					if imp.Name != nil {
						timeName = imp.Name.Name
					}
				}
			}
			ast.Inspect(f, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok || timeName == "" {
					return true
				}
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == timeName && (sel.Sel.Name == "Now" || sel.Sel.Name == "Since" || sel.Sel.Name == "Until") {
					t.Errorf("%s: time.%s; take the time from a clock.Clock (or clock.Start for a duration)", fset.Position(sel.Pos()), sel.Sel.Name)
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

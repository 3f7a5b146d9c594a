package main_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// consoleSignIn posts the console's sign-in form and returns the status.
func consoleSignIn(t *testing.T, consoleURL, email, password string) int {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(consoleURL+"/signin", url.Values{"email": {email}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// On its first start, serve prints a one-time link that creates the first
// console admin; `patchbay admins create` adds more, with a generated password
// printed once or one from stdin.
func TestConsoleAdmins(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	n := startServe(t, dir, env())
	link := regexp.MustCompile(`http://\S+/console/setup\?token=\S+`).FindString(n.stdout)
	if link == "" {
		t.Fatalf("serve printed no console setup link:\n%s", n.stdout)
	}
	u, _ := url.Parse(link)
	form := url.Values{"token": {u.Query().Get("token")}, "email": {"first@example.com"}, "password": {"a long enough password"}, "confirm": {"a long enough password"}}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for i, want := range []int{http.StatusSeeOther, http.StatusNotFound} { // the link works once
		resp, err := client.PostForm(n.url+"/console/setup", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("setup link use %d: %d, want %d", i+1, resp.StatusCode, want)
		}
	}
	if st := consoleSignIn(t, n.url+"/console", "first@example.com", "a long enough password"); st != http.StatusSeeOther {
		t.Fatalf("sign in as the first admin: %d", st)
	}

	out, errOut, code := run(t, dir, env(), "admins", "create", "--email", "Second@Example.com")
	password := regexp.MustCompile(`Password \(shown once\): (\S+)`).FindStringSubmatch(out)
	if code != 0 || password == nil {
		t.Fatalf("admins create: exit %d\n%s%s", code, out, errOut)
	}
	if st := consoleSignIn(t, n.url+"/console", "second@example.com", password[1]); st != http.StatusSeeOther {
		t.Fatalf("sign in with the generated password: %d", st)
	}
	cmd := func(stdin string, args ...string) (string, string, int) {
		return runStdin(t, dir, env(), stdin, args...)
	}
	if out, errOut, code := cmd("short\n", "admins", "create", "--email", "third@example.com", "--password-stdin"); code == 0 || !strings.Contains(errOut, "password: at least 12") {
		t.Fatalf("a short password: exit %d\n%s%s", code, out, errOut)
	}
	if _, errOut, code := cmd("another long password\n", "admins", "create", "--email", "second@example.com", "--password-stdin"); code == 0 || !strings.Contains(errOut, "exists already") {
		t.Fatalf("a second admin with the same email: exit %d %s", code, errOut)
	}
	if out, _, code := run(t, dir, env(), "admins", "list"); code != 0 || !strings.Contains(out, "first@example.com") || !strings.Contains(out, "second@example.com") {
		t.Fatalf("admins list: %d\n%s", code, out)
	}
	n.stop(t)
}

// People and projects from the command line: an invitation link the
// invitee joins with, a project renamed, the projects set, the admin removed.
func TestPeopleCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	n := startServe(t, dir, env())
	out, errOut, code := run(t, dir, env(), "projects", "list", "--json")
	var projects []struct{ ID string }
	if err := json.Unmarshal([]byte(out), &projects); code != 0 || err != nil || len(projects) != 1 {
		t.Fatalf("projects list: %d %v %s%s", code, err, out, errOut)
	}
	project := projects[0].ID
	if out, _, code := run(t, dir, env(), "projects", "rename", project, "--name", "Acme HR"); code != 0 || !strings.Contains(out, `"Acme HR"`) {
		t.Fatalf("projects rename: %d %s", code, out)
	}
	out, errOut, code = run(t, dir, env(), "admins", "invite", "--email", "Dana@Example.com", "--projects", project)
	link := regexp.MustCompile(`http://\S+/console/invite\?token=\S+`).FindString(out)
	if code != 0 || link == "" {
		t.Fatalf("admins invite: %d %s%s", code, out, errOut)
	}
	if _, errOut, code := run(t, dir, env(), "admins", "invite", "--email", "x@example.com", "--projects", "prj_nope"); code == 0 || !strings.Contains(errOut, "prj_nope") {
		t.Fatalf("an invitation to no project: %d %s", code, errOut)
	}
	u, _ := url.Parse(link)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(n.url+"/console/invite", url.Values{"token": {u.Query().Get("token")}, "password": {"dana's long password"}, "confirm": {"dana's long password"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || consoleSignIn(t, n.url+"/console", "dana@example.com", "dana's long password") != http.StatusSeeOther {
		t.Fatalf("joining with the link: %d", resp.StatusCode)
	}
	out, _, _ = run(t, dir, env(), "admins", "list", "--json")
	var list []struct{ ID, Email, Projects string }
	json.Unmarshal([]byte(out), &list)
	var dana string
	for _, a := range list {
		if a.Email == "dana@example.com" && a.Projects == project {
			dana = a.ID
		}
	}
	if dana == "" {
		t.Fatalf("admins list: %s", out)
	}
	if _, errOut, code := run(t, dir, env(), "admins", "projects", dana, "--set", project+",prj_nope"); code == 0 || !strings.Contains(errOut, "prj_nope") {
		t.Fatalf("a grant of no project: %d %s", code, errOut)
	}
	if _, errOut, code := run(t, dir, env(), "admins", "remove", dana); code == 0 || !strings.Contains(errOut, "last admin") {
		t.Fatalf("removing the last admin: %d %s", code, errOut)
	}
	if _, errOut, code := run(t, dir, env(), "admins", "create", "--email", "ops@example.com"); code != 0 {
		t.Fatalf("admins create: %s", errOut)
	}
	if out, errOut, code := run(t, dir, env(), "admins", "remove", dana); code != 0 || !strings.Contains(out, "Removed") {
		t.Fatalf("admins remove: %d %s%s", code, out, errOut)
	}
	if consoleSignIn(t, n.url+"/console", "dana@example.com", "dana's long password") == http.StatusSeeOther {
		t.Fatal("a removed admin signed in")
	}
	out, _, _ = run(t, dir, env(), "audit", "list", "--json")
	for _, action := range []string{"project.renamed", "admin.invited", "admin.created", "admin.removed"} {
		if !strings.Contains(out, `"action": "`+action+`"`) {
			t.Fatalf("%s is not in the audit trail:\n%s", action, out)
		}
	}
}

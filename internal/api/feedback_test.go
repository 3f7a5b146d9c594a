package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// POST /ai/tool-feedback takes what the StackOne AI SDK's tool_feedback tool
// sends (one account id or a list), keeps it in the project, and lists it;
// another project neither sees it nor can name its accounts.
func TestToolFeedback(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t)
	jw, eh := e.linkProvider(t, "justworks", "admin@acme.test"), e.linkProvider(t, "employmenthero", "owner@acme.test")
	for _, body := range []string{
		`{"feedback":"list_members missed contractors","account_id":"` + jw + `","tool_names":["justworks_list_members"]}`,
		`{"feedback":"  worked well  ","account_id":["` + jw + `","` + eh + `"],"tool_names":["hris_list_employees","payroll_list_employee_pay_statements"]}`,
	} {
		st, _, got := e.do(t, "POST", "/ai/tool-feedback", basic(e.keyA), body)
		if st != http.StatusCreated || got["message"] != "Feedback recorded" || got["id"] == nil {
			t.Fatalf("record %s: %d %v", body, st, got)
		}
	}
	st, _, list := e.do(t, "GET", "/ai/tool-feedback?page_size=1", basic(e.keyA), "")
	data, _ := list["data"].([]any)
	if st != http.StatusOK || len(data) != 1 || data[0].(map[string]any)["feedback"] != "list_members missed contractors" || list["next"] == nil {
		t.Fatalf("first page: %d %v", st, list)
	}
	_, _, rest := e.do(t, "GET", "/ai/tool-feedback?next="+list["next"].(string), basic(e.keyA), "")
	second := rest["data"].([]any)[0].(map[string]any)
	if second["feedback"] != "worked well" || len(second["account_ids"].([]any)) != 2 || len(second["tool_names"].([]any)) != 2 {
		t.Fatalf("second page: %v", rest)
	}
	for _, c := range []struct{ body, field string }{
		{`{"feedback":"","account_id":"` + jw + `","tool_names":["x"]}`, "feedback:"},
		{`{"feedback":"x","tool_names":["x"]}`, "account_id:"},
		{`{"feedback":"x","account_id":[],"tool_names":["x"]}`, "account_id:"},
		{`{"feedback":"x","account_id":"` + jw + `","tool_names":[]}`, "tool_names:"},
		{`{"feedback":"x","account_id":7,"tool_names":["x"]}`, "account_id:"},
	} {
		st, _, got := e.do(t, "POST", "/ai/tool-feedback", basic(e.keyA), c.body)
		if msg, _ := got["message"].(string); st != http.StatusBadRequest || !strings.Contains(msg, c.field) {
			t.Errorf("%s: %d %v", c.body, st, got)
		}
	}
	other := e.otherProjectKey(t)
	if st, _, got := e.do(t, "POST", "/ai/tool-feedback", basic(other), `{"feedback":"x","account_id":"`+jw+`","tool_names":["x"]}`); st != http.StatusNotFound {
		t.Fatalf("feedback naming another project's account: %d %v", st, got)
	}
	if _, _, got := e.do(t, "GET", "/ai/tool-feedback", basic(other), ""); len(got["data"].([]any)) != 0 {
		t.Fatalf("another project sees %v", got["data"])
	}
}

package linking

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/httpsec"
)

// FuzzSessionInput: whatever a connect-session request holds, sessionRules
// either names a problem or accepts a session with an owner, a lifetime of
// one second to thirty days, a known type and an http(s) origin.
func FuzzSessionInput(f *testing.F) {
	reg, err := connectors.Embedded()
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		`{"origin_owner_id":"c","origin_owner_name":"C"}`,
		`{"origin_owner_id":" ","origin_owner_name":"C","expires_in":1e300}`,
		`{"origin_owner_id":"c","origin_owner_name":"C","expires_in":-1,"type":"STAGING"}`,
		`{"origin_owner_id":"c","origin_owner_name":"C","allowed_origin":"javascript://x","categories":["hris","x"]}`,
		`{"origin_owner_id":"c","origin_owner_name":"C","allowed_origin":"https://app.test:8443","provider":"justworks","expires_in":0.5}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var in SessionInput
		if json.Unmarshal(raw, &in) != nil {
			return
		}
		problems, ttl, accountType := sessionRules(reg, &in)
		if len(problems) > 0 {
			return
		}
		if in.OriginOwnerID == "" || in.OriginOwnerName == "" || strings.TrimSpace(in.OriginOwnerID) != in.OriginOwnerID {
			t.Fatalf("accepted an owner %q / %q", in.OriginOwnerID, in.OriginOwnerName)
		}
		if ttl < time.Second || ttl > MaxSessionTTL {
			t.Fatalf("accepted a lifetime of %s", ttl)
		}
		if accountType != "" && accountType != "production" && accountType != "test" {
			t.Fatalf("accepted the type %q", accountType)
		}
		if in.AllowedOrigin != "" && !httpsec.IsOrigin(in.AllowedOrigin) {
			t.Fatalf("accepted the origin %q", in.AllowedOrigin)
		}
	})
}

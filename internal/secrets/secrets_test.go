package secrets_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/patchbayhq/patchbay/internal/secrets"
)

const base64URLAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// fixedKey returns a key whose secret is n repetitions of b, so that tests can build
// two rings holding the same key independently.
func fixedKey(id string, b byte) secrets.Key {
	return secrets.Key{ID: id, Secret: bytes.Repeat([]byte{b}, secrets.KeySize)}
}

func newKey(t *testing.T, id string) secrets.Key {
	t.Helper()
	k, err := secrets.GenerateKey(id)
	if err != nil {
		t.Fatalf("GenerateKey(%q): %v", id, err)
	}
	if k.ID != id || len(k.Secret) != secrets.KeySize {
		t.Fatalf("GenerateKey(%q) = id %q, %d bytes", id, k.ID, len(k.Secret))
	}
	return k
}

func newRing(t *testing.T, keys ...secrets.Key) *secrets.Keyring {
	t.Helper()
	ring, err := secrets.NewKeyring(keys...)
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	return ring
}

func seal(t *testing.T, ring *secrets.Keyring, plaintext, aad string) string {
	t.Helper()
	sealed, err := ring.Seal([]byte(plaintext), aad)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return sealed
}

func mustOpen(t *testing.T, ring *secrets.Keyring, sealed, aad, want string) {
	t.Helper()
	got, err := ring.Open(sealed, aad)
	if err != nil {
		t.Fatalf("Open(%q, %q): %v", sealed, aad, err)
	}
	if string(got) != want {
		t.Fatalf("Open(%q, %q) = %q, want %q", sealed, aad, got, want)
	}
}

// mustNotOpen checks that Open fails with ErrOpen and returns no plaintext.
func mustNotOpen(t *testing.T, ring *secrets.Keyring, sealed, aad string) {
	t.Helper()
	got, err := ring.Open(sealed, aad)
	if !errors.Is(err, secrets.ErrOpen) {
		t.Fatalf("Open(%q, %q) error = %v, want ErrOpen", sealed, aad, err)
	}
	if got != nil {
		t.Fatalf("Open(%q, %q) returned %q alongside an error, want nil", sealed, aad, got)
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	ring := newRing(t, newKey(t, "k1"))
	const aad = "connector_profiles/cp_123/client_secret"
	for _, plaintext := range []string{
		"",
		"x",
		"client-secret-value",
		"héllo wörld — 秘密 🔑",
		"\x00\x01\xff binary \n\t",
		strings.Repeat("long secret ", 1000),
	} {
		sealed := seal(t, ring, plaintext, aad)
		if !strings.HasPrefix(sealed, "k1:") {
			t.Errorf("sealed %q does not start with the primary id %q", sealed, "k1:")
		}
		if len(plaintext) >= 8 && strings.Contains(sealed, plaintext) {
			t.Errorf("sealed %q contains its plaintext", sealed)
		}
		got, err := ring.Open(sealed, aad)
		if err != nil {
			t.Fatalf("Open(Seal(%q)): %v", plaintext, err)
		}
		if !bytes.Equal(got, []byte(plaintext)) {
			t.Errorf("Open(Seal(%q)) = %q", plaintext, got)
		}
	}
}

func TestSealUsesFreshNonce(t *testing.T) {
	ring := newRing(t, newKey(t, "k1"))
	seen := map[string]bool{}
	for range 50 {
		sealed := seal(t, ring, "same plaintext", "aad")
		if seen[sealed] {
			t.Fatalf("Seal produced %q twice for the same plaintext", sealed)
		}
		seen[sealed] = true
		mustOpen(t, ring, sealed, "aad", "same plaintext")
	}
}

func TestSealedTextIsPrimaryIDAndBase64URL(t *testing.T) {
	ring := newRing(t, newKey(t, "primary_1"), newKey(t, "old-0"))
	sealed := seal(t, ring, "secret", "aad")
	id, encoded, ok := strings.Cut(sealed, ":")
	if !ok || id != "primary_1" {
		t.Fatalf("sealed %q: want prefix %q", sealed, "primary_1:")
	}
	raw, err := base64.RawURLEncoding.DecodeString(encoded)
	if err != nil {
		t.Fatalf("encoded part %q is not unpadded base64url: %v", encoded, err)
	}
	// 12-byte GCM nonce, 6 bytes of ciphertext, 16-byte tag.
	if want := 12 + len("secret") + 16; len(raw) != want {
		t.Errorf("sealed value decodes to %d bytes, want %d", len(raw), want)
	}
}

func TestOpenWithOtherAADFails(t *testing.T) {
	ring := newRing(t, newKey(t, "k1"))
	sealed := seal(t, ring, "secret", "connector_profiles/cp_1/client_secret")
	for _, aad := range []string{
		"connector_profiles/cp_2/client_secret", // another row
		"connector_profiles/cp_1/refresh_token", // another field
		"connector_profiles/cp_1/client_secret ",
		"",
	} {
		mustNotOpen(t, ring, sealed, aad)
	}
	mustOpen(t, ring, sealed, "connector_profiles/cp_1/client_secret", "secret")

	// And the other way round: sealed with an empty aad, opened with a non-empty one.
	empty := seal(t, ring, "secret", "")
	mustOpen(t, ring, empty, "", "secret")
	mustNotOpen(t, ring, empty, "x")
}

func TestOpenRejectsEveryTamperedCharacter(t *testing.T) {
	ring := newRing(t, newKey(t, "k1"))
	// Plaintext lengths 0, 1 and 2 cover all three base64 tail shapes (4, 2 and 0
	// unused bits in the last character).
	for _, plaintext := range []string{"", "a", "ab", "client secret"} {
		sealed := seal(t, ring, plaintext, "aad")
		prefix, encoded, _ := strings.Cut(sealed, ":")
		for i := range len(encoded) {
			for _, c := range []byte(base64URLAlphabet) {
				if c == encoded[i] {
					continue
				}
				tampered := prefix + ":" + encoded[:i] + string(c) + encoded[i+1:]
				got, err := ring.Open(tampered, "aad")
				if !errors.Is(err, secrets.ErrOpen) || got != nil {
					t.Fatalf("plaintext %q: replacing position %d (%q) with %q: Open = %q, %v; want nil, ErrOpen",
						plaintext, i, encoded[i], c, got, err)
				}
			}
		}
		mustOpen(t, ring, sealed, "aad", plaintext)
	}
}

func TestOpenRejectsMalformedValues(t *testing.T) {
	ring := newRing(t, newKey(t, "k1"))
	sealed := seal(t, ring, "secret", "aad")
	_, encoded, _ := strings.Cut(sealed, ":")
	raw, err := base64.RawURLEncoding.DecodeString(encoded)
	if err != nil {
		t.Fatal(err)
	}
	other := newRing(t, newKey(t, "k2"))

	cases := map[string]string{
		"empty":                          "",
		"no key id":                      encoded,
		"empty key id":                   ":" + encoded,
		"unknown key id":                 "k9:" + encoded,
		"key id of another ring":         seal(t, other, "secret", "aad"),
		"key id only":                    "k1:",
		"truncated by one char":          sealed[:len(sealed)-1],
		"truncated by half":              sealed[:len(sealed)/2],
		"shorter than nonce and tag":     "k1:" + base64.RawURLEncoding.EncodeToString(raw[:27]),
		"nonce and tag, body cut":        "k1:" + base64.RawURLEncoding.EncodeToString(raw[:len(raw)-1]),
		"extra byte appended":            "k1:" + base64.RawURLEncoding.EncodeToString(append(slices.Clone(raw), 0)),
		"std base64 with padding":        "k1:" + base64.StdEncoding.EncodeToString(raw),
		"not base64":                     "k1:!!not*base64!!",
		"whitespace inside":              "k1:" + encoded[:10] + " " + encoded[10:],
		"trailing newline":               sealed + "\n",
		"leading space before key id":    " " + sealed,
		"second key id":                  "k1:" + sealed,
		"flipped bit in decoded payload": "k1:" + base64.RawURLEncoding.EncodeToString(flipBit(raw, len(raw)-1)),
	}
	for name, value := range cases {
		t.Run(name, func(t *testing.T) {
			mustNotOpen(t, ring, value, "aad")
		})
	}
	// The untouched value still opens: the failures above are the tampering's doing.
	mustOpen(t, ring, sealed, "aad", "secret")
}

func flipBit(b []byte, i int) []byte {
	b = slices.Clone(b)
	b[i] ^= 1
	return b
}

func TestOpenWithSameIDButOtherSecretFails(t *testing.T) {
	a := newRing(t, fixedKey("k1", 0xaa))
	b := newRing(t, fixedKey("k1", 0xbb))
	sealed := seal(t, a, "secret", "aad")
	mustNotOpen(t, b, sealed, "aad")
	// A ring built separately from the same key material opens it.
	mustOpen(t, newRing(t, fixedKey("k1", 0xaa)), sealed, "aad", "secret")
}

func TestRotation(t *testing.T) {
	k1, k2 := newKey(t, "k1"), newKey(t, "k2")
	before := newRing(t, k1)
	during := newRing(t, k2, k1)
	after := newRing(t, k2)

	if got := during.Primary(); got != "k2" {
		t.Errorf("Primary() = %q, want k2", got)
	}
	if got := during.IDs(); !slices.Equal(got, []string{"k2", "k1"}) {
		t.Errorf("IDs() = %q, want [k2 k1]", got)
	}
	if got := during.SealedPrefix(); got != "k2:" {
		t.Errorf("SealedPrefix() = %q, want %q", got, "k2:")
	}

	old := seal(t, before, "secret", "row/field")
	mustOpen(t, during, old, "row/field", "secret")
	if strings.HasPrefix(old, during.SealedPrefix()) {
		t.Errorf("old value %q has the new primary's prefix; storage would not re-seal it", old)
	}
	mustNotOpen(t, after, old, "row/field") // k1 retired

	resealed := seal(t, during, "secret", "row/field")
	if !strings.HasPrefix(resealed, during.SealedPrefix()) {
		t.Errorf("re-sealed value %q lacks prefix %q", resealed, during.SealedPrefix())
	}
	mustOpen(t, during, resealed, "row/field", "secret")
	mustOpen(t, after, resealed, "row/field", "secret")
	mustNotOpen(t, before, resealed, "row/field") // k2 unknown to the old ring
}

func TestSealedPrefixDoesNotMatchLongerIDs(t *testing.T) {
	ring := newRing(t, newKey(t, "k1"))
	longer := newRing(t, newKey(t, "k10"))
	sealed := seal(t, longer, "secret", "aad")
	if strings.HasPrefix(sealed, ring.SealedPrefix()) {
		t.Errorf("value sealed under k10 (%q) matches k1's prefix %q", sealed, ring.SealedPrefix())
	}
}

func TestIDsReturnsCopy(t *testing.T) {
	ring := newRing(t, newKey(t, "a"), newKey(t, "b"))
	ids := ring.IDs()
	ids[0] = "mutated"
	if got := ring.IDs(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("IDs() after mutating a previous result = %q, want [a b]", got)
	}
	if ring.Primary() != "a" {
		t.Errorf("Primary() = %q, want a", ring.Primary())
	}
}

func TestNewKeyringValidation(t *testing.T) {
	good := func(id string) secrets.Key { return fixedKey(id, 1) }
	cases := []struct {
		name    string
		keys    []secrets.Key
		wantErr string // substring; empty means success
	}{
		{"no keys", nil, "no encryption keys"},
		{"one key", []secrets.Key{good("k1")}, ""},
		{"all id characters", []secrets.Key{good("AZaz09-_")}, ""},
		{"32-char id", []secrets.Key{good(strings.Repeat("a", 32))}, ""},
		{"33-char id", []secrets.Key{good(strings.Repeat("a", 33))}, "key id"},
		{"empty id", []secrets.Key{good("")}, "key id"},
		{"id with colon", []secrets.Key{good("k:1")}, "key id"},
		{"id with space", []secrets.Key{good("k 1")}, "key id"},
		{"id with dot", []secrets.Key{good("k.1")}, "key id"},
		{"id with comma", []secrets.Key{good("k,1")}, "key id"},
		{"id with newline", []secrets.Key{good("k1\n")}, "key id"},
		{"non-ASCII id", []secrets.Key{good("clé")}, "key id"},
		{"bad id on second key", []secrets.Key{good("k1"), good("bad id")}, "key id"},
		{"empty secret", []secrets.Key{{ID: "k1"}}, "want 32 bytes, got 0"},
		{"16-byte secret", []secrets.Key{{ID: "k1", Secret: make([]byte, 16)}}, "want 32 bytes, got 16"},
		{"31-byte secret", []secrets.Key{{ID: "k1", Secret: make([]byte, 31)}}, "want 32 bytes, got 31"},
		{"33-byte secret", []secrets.Key{{ID: "k1", Secret: make([]byte, 33)}}, "want 32 bytes, got 33"},
		{"short secret on second key", []secrets.Key{good("k1"), {ID: "k2", Secret: make([]byte, 24)}}, "want 32 bytes"},
		{"duplicate ids", []secrets.Key{good("k1"), fixedKey("k1", 2)}, "appears twice"},
		{"duplicate ids not adjacent", []secrets.Key{good("k1"), good("k2"), good("k1")}, "appears twice"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ring, err := secrets.NewKeyring(tc.keys...)
			if tc.wantErr == "" {
				if err != nil || ring == nil {
					t.Fatalf("NewKeyring = %v, %v; want a ring", ring, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("NewKeyring succeeded, want error containing %q", tc.wantErr)
			}
			if ring != nil {
				t.Errorf("NewKeyring returned a ring alongside error %v", err)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("NewKeyring error %q, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestNewKeyringKeepsOrder(t *testing.T) {
	ring := newRing(t, fixedKey("c", 1), fixedKey("a", 2), fixedKey("b", 3))
	if got := ring.IDs(); !slices.Equal(got, []string{"c", "a", "b"}) {
		t.Errorf("IDs() = %q, want [c a b]", got)
	}
	if ring.Primary() != "c" || ring.SealedPrefix() != "c:" {
		t.Errorf("Primary() = %q, SealedPrefix() = %q; want c, c:", ring.Primary(), ring.SealedPrefix())
	}
}

// symbolSecret encodes to base64 full of '+' and '/' (std) or '-' and '_' (url).
var symbolSecret = func() []byte {
	b := make([]byte, secrets.KeySize)
	for i := range b {
		b[i] = []byte{0xfb, 0xff, 0xbf}[i%3]
	}
	return b
}()

// sameKey reports whether ring's key id opens what a ring of want seals (and the
// reverse), which holds only when the secrets are equal.
func sameKey(t *testing.T, ring *secrets.Keyring, want secrets.Key) {
	t.Helper()
	ref := newRing(t, want)
	solo := newRing(t, secrets.Key{ID: want.ID, Secret: want.Secret})
	mustOpen(t, ring, seal(t, ref, "probe", want.ID), want.ID, "probe")
	if ring.Primary() == want.ID {
		mustOpen(t, solo, seal(t, ring, "probe2", want.ID), want.ID, "probe2")
	}
}

func TestParseKeysEncodings(t *testing.T) {
	std := base64.StdEncoding.EncodeToString(symbolSecret)
	if !strings.ContainsAny(std, "+/") || !strings.HasSuffix(std, "=") {
		t.Fatalf("test setup: %q should contain '+', '/' and padding", std)
	}
	encodings := map[string]string{
		"std padded":   std,
		"std raw":      base64.RawStdEncoding.EncodeToString(symbolSecret),
		"url padded":   base64.URLEncoding.EncodeToString(symbolSecret),
		"url raw":      base64.RawURLEncoding.EncodeToString(symbolSecret),
		"with spaces":  "  " + std + "  ",
		"with newline": std + "\n",
	}
	for name, encoded := range encodings {
		t.Run(name, func(t *testing.T) {
			ring, err := secrets.ParseKeys("k1:" + encoded)
			if err != nil {
				t.Fatalf("ParseKeys(%q): %v", "k1:"+encoded, err)
			}
			if !slices.Equal(ring.IDs(), []string{"k1"}) {
				t.Fatalf("IDs() = %q, want [k1]", ring.IDs())
			}
			sameKey(t, ring, secrets.Key{ID: "k1", Secret: symbolSecret})
		})
	}
}

func TestParseKeysSeparatorsAndComments(t *testing.T) {
	k1, k2, k3 := fixedKey("k1", 1), fixedKey("k2", 2), fixedKey("k3", 3)
	enc := func(k secrets.Key) string { return base64.StdEncoding.EncodeToString(k.Secret) }
	specs := map[string]string{
		"comma":              "k1:" + enc(k1) + ",k2:" + enc(k2) + ",k3:" + enc(k3),
		"newline":            "k1:" + enc(k1) + "\nk2:" + enc(k2) + "\nk3:" + enc(k3) + "\n",
		"crlf":               "k1:" + enc(k1) + "\r\nk2:" + enc(k2) + "\r\nk3:" + enc(k3) + "\r\n",
		"mixed":              "k1:" + enc(k1) + ",\nk2:" + enc(k2) + "\n\n,k3:" + enc(k3),
		"surrounding spaces": "  k1 : " + enc(k1) + " ,\tk2:" + enc(k2) + "\t, k3:" + enc(k3) + "  ",
		"empty fields":       ",,k1:" + enc(k1) + ",,k2:" + enc(k2) + ",k3:" + enc(k3) + ",",
		"comment lines": "# Patchbay encryption keys, primary first\n" +
			"k1:" + enc(k1) + "\n" +
			"  # k2: previous primary, retire after re-sealing\n" +
			"k2:" + enc(k2) + "\n" +
			"#k0:" + enc(fixedKey("k0", 9)) + "\n" +
			"k3:" + enc(k3) + "\n" +
			"# end\n",
		"comment field": "k1:" + enc(k1) + ",#disabled:" + enc(k3) + ",k2:" + enc(k2) + ",k3:" + enc(k3),
	}
	for name, spec := range specs {
		t.Run(name, func(t *testing.T) {
			ring, err := secrets.ParseKeys(spec)
			if err != nil {
				t.Fatalf("ParseKeys(%q): %v", spec, err)
			}
			if got := ring.IDs(); !slices.Equal(got, []string{"k1", "k2", "k3"}) {
				t.Fatalf("IDs() = %q, want [k1 k2 k3]", got)
			}
			if ring.Primary() != "k1" {
				t.Errorf("Primary() = %q, want k1", ring.Primary())
			}
			for _, k := range []secrets.Key{k1, k2, k3} {
				sameKey(t, ring, k)
			}
		})
	}
}

func TestParseKeysErrors(t *testing.T) {
	valid := base64.StdEncoding.EncodeToString(fixedKey("x", 7).Secret)
	cases := []struct {
		name, spec, wantErr string
	}{
		{"empty", "", "no encryption keys"},
		{"blank", " \n ,\r\n", "no encryption keys"},
		{"only comments", "# nothing here\n# still nothing", "no encryption keys"},
		{"missing colon", "k1" + valid, "want id:base64key"},
		{"missing colon on second key", "k1:" + valid + ",k2", "key 2: want id:base64key"},
		{"bad base64", "k1:not base64!!", "not base64"},
		{"bad base64 character", "k1:" + valid[:10] + "*" + valid[11:], "not base64"},
		{"mixed alphabets", "k1:" + strings.Repeat("+-", 21) + "A", "not base64"},
		{"empty key", "k1:", "want 32 bytes, got 0"},
		{"short key", "k1:" + base64.StdEncoding.EncodeToString(make([]byte, 16)), "want 32 bytes, got 16"},
		{"long key", "k1:" + base64.StdEncoding.EncodeToString(make([]byte, 64)), "want 32 bytes, got 64"},
		{"empty id", ":" + valid, "key id"},
		{"bad id characters", "k.1:" + valid, "key id"},
		{"id too long", strings.Repeat("k", 33) + ":" + valid, "key id"},
		{"duplicate ids", "k1:" + valid + ",k1:" + valid, "appears twice"},
		{"duplicate ids across lines", "k1:" + valid + "\n k1 :" + valid, "appears twice"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ring, err := secrets.ParseKeys(tc.spec)
			if err == nil {
				t.Fatalf("ParseKeys(%q) succeeded with ids %q, want error containing %q", tc.spec, ring.IDs(), tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseKeys(%q) error %q, want it to contain %q", tc.spec, err, tc.wantErr)
			}
			if strings.Contains(err.Error(), valid) {
				t.Errorf("ParseKeys error %q reveals the key material", err)
			}
		})
	}
}

func TestFormatParseKeysRoundTrip(t *testing.T) {
	keys := []secrets.Key{newKey(t, "k2"), newKey(t, "k1"), {ID: "sym", Secret: symbolSecret}}
	formatted := secrets.Format(keys...)
	if strings.Count(formatted, ",") != len(keys)-1 {
		t.Errorf("Format = %q, want %d comma-separated keys", formatted, len(keys))
	}
	ring, err := secrets.ParseKeys(formatted)
	if err != nil {
		t.Fatalf("ParseKeys(Format(...)): %v", err)
	}
	if got := ring.IDs(); !slices.Equal(got, []string{"k2", "k1", "sym"}) {
		t.Fatalf("IDs() = %q, want [k2 k1 sym]", got)
	}
	for _, k := range keys {
		sameKey(t, ring, k)
	}
	if got := secrets.Format(); got != "" {
		t.Errorf("Format() = %q, want empty", got)
	}
	if got, want := secrets.Format(fixedKey("a", 0)), "a:"+strings.Repeat("A", 43)+"="; got != want {
		t.Errorf("Format(zero key) = %q, want %q", got, want)
	}
}

func TestGenerateKeyIsRandom(t *testing.T) {
	a, b := newKey(t, "k"), newKey(t, "k")
	if bytes.Equal(a.Secret, b.Secret) {
		t.Fatal("GenerateKey returned the same secret twice")
	}
	if bytes.Equal(a.Secret, make([]byte, secrets.KeySize)) {
		t.Fatal("GenerateKey returned an all-zero secret")
	}
	// Values sealed under one generated key do not open under another with the same id.
	mustNotOpen(t, newRing(t, b), seal(t, newRing(t, a), "secret", "aad"), "aad")
}

func TestLoadOrCreateKeyFileCreatesThenLoads(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nested", "deeper", "patchbay.key")

	first, created, err := secrets.LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatalf("first LoadOrCreateKeyFile: %v", err)
	}
	if !created {
		t.Error("first call: created = false, want true")
	}
	if n := len(first.IDs()); n != 1 {
		t.Errorf("created ring has %d keys, want 1", n)
	}

	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("key file not created: %v", err)
	}
	if !info.Mode().IsRegular() {
		t.Errorf("key file mode %v, want a regular file", info.Mode())
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file permissions %o, want 600", perm)
	}
	dirInfo, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if perm := dirInfo.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("created directory permissions %o, want no group or other access", perm)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), first.Primary()+":") {
		t.Errorf("key file content does not start with %q", first.Primary()+":")
	}
	fromText, err := secrets.ParseKeys(string(data))
	if err != nil {
		t.Fatalf("key file content does not parse: %v", err)
	}

	second, created, err := secrets.LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatalf("second LoadOrCreateKeyFile: %v", err)
	}
	if created {
		t.Error("second call: created = true, want false")
	}
	if !slices.Equal(first.IDs(), second.IDs()) {
		t.Errorf("IDs differ: %q then %q", first.IDs(), second.IDs())
	}
	mustOpen(t, second, seal(t, first, "secret", "aad"), "aad", "secret")
	mustOpen(t, first, seal(t, second, "secret", "aad"), "aad", "secret")
	mustOpen(t, fromText, seal(t, first, "secret", "aad"), "aad", "secret")

	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, after) {
		t.Error("loading an existing key file rewrote it")
	}
	assertOnlyFile(t, filepath.Dir(path), "patchbay.key")
}

func TestLoadOrCreateKeyFileReadsExistingKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "patchbay.key")
	k2, k1 := fixedKey("k2", 2), fixedKey("k1", 1)
	content := "# rotated keys\n" + secrets.Format(k2) + "\n" + secrets.Format(k1) + "\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	ring, created, err := secrets.LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatalf("LoadOrCreateKeyFile: %v", err)
	}
	if created {
		t.Error("created = true for an existing file")
	}
	if !slices.Equal(ring.IDs(), []string{"k2", "k1"}) {
		t.Errorf("IDs() = %q, want [k2 k1]", ring.IDs())
	}
	sameKey(t, ring, k2)
	sameKey(t, ring, k1)
}

func TestLoadOrCreateKeyFileErrors(t *testing.T) {
	t.Run("path is a directory", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "patchbay.key")
		if err := os.Mkdir(path, 0o700); err != nil {
			t.Fatal(err)
		}
		ring, created, err := secrets.LoadOrCreateKeyFile(path)
		if err == nil {
			t.Fatalf("LoadOrCreateKeyFile(directory) succeeded: %v, created=%v", ring, created)
		}
		if ring != nil || created {
			t.Errorf("got ring %v, created %v alongside error", ring, created)
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("error %q does not name the path", err)
		}
		assertOnlyFile(t, filepath.Dir(path), "patchbay.key")
	})
	for name, content := range map[string]string{
		"garbage":        "this is not a key file\n",
		"empty":          "",
		"short key":      "k1:" + base64.StdEncoding.EncodeToString(make([]byte, 8)) + "\n",
		"binary garbage": "\x00\xff\xfe:\x01",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "patchbay.key")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			ring, created, err := secrets.LoadOrCreateKeyFile(path)
			if err == nil {
				t.Fatalf("LoadOrCreateKeyFile succeeded on %q: ids %q", content, ring.IDs())
			}
			if ring != nil || created {
				t.Errorf("got ring %v, created %v alongside error", ring, created)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the path %q", err, path)
			}
			// The bad file is left alone, not replaced by a fresh key.
			if data, _ := os.ReadFile(path); string(data) != content {
				t.Errorf("key file rewritten to %q", data)
			}
			assertOnlyFile(t, dir, "patchbay.key")
		})
	}
	t.Run("parent is a file", func(t *testing.T) {
		dir := t.TempDir()
		blocker := filepath.Join(dir, "data")
		if err := os.WriteFile(blocker, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := secrets.LoadOrCreateKeyFile(filepath.Join(blocker, "patchbay.key")); err == nil {
			t.Fatal("LoadOrCreateKeyFile under a regular file succeeded")
		}
	})
}

func TestLoadOrCreateKeyFileConcurrent(t *testing.T) {
	for round := range 5 {
		dir := filepath.Join(t.TempDir(), "data")
		path := filepath.Join(dir, "patchbay.key")
		const n = 16
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			rings   [n]*secrets.Keyring
			created [n]bool
			errs    [n]error
		)
		for i := range n {
			wg.Go(func() {
				<-start
				rings[i], created[i], errs[i] = secrets.LoadOrCreateKeyFile(path)
			})
		}
		close(start)
		wg.Wait()

		creators := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("round %d, caller %d: %v", round, i, errs[i])
			}
			if created[i] {
				creators++
			}
		}
		if creators != 1 {
			t.Errorf("round %d: %d callers report created=true, want exactly 1", round, creators)
		}
		for i := range n {
			sealed := seal(t, rings[i], "secret", "aad")
			for j := range n {
				mustOpen(t, rings[j], sealed, "aad", "secret")
			}
		}
		assertOnlyFile(t, dir, "patchbay.key")
	}
}

// assertOnlyFile checks that dir holds exactly one entry, name: no temporary files
// were left behind.
func assertOnlyFile(t *testing.T, dir, name string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{name}) {
		t.Errorf("directory %s holds %q, want only %q", dir, names, name)
	}
}

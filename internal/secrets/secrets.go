// Package secrets seals values with AES-256-GCM under a ring of identified keys.
//
// A sealed value is the text "<key id>:<base64url(nonce || ciphertext)>". The key id
// travels with the ciphertext so that old values still open after a new primary key
// is added, and associated data binds each ciphertext to the row and field that own
// it: a ciphertext copied to another row fails to open instead of leaking.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// KeySize is the length in bytes of every key: AES-256.
const KeySize = 32

// ErrOpen reports a sealed value that cannot be opened: tampered, truncated, sealed
// for another row or field, or sealed under a key this ring does not hold.
var ErrOpen = errors.New("sealed value cannot be opened")

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// Key is one AES-256 key and the id stored beside every ciphertext it seals.
type Key struct {
	ID     string
	Secret []byte
}

// Keyring seals with its primary key and opens with any of its keys.
type Keyring struct {
	primary string
	ids     []string
	aeads   map[string]cipher.AEAD
}

// NewKeyring builds a ring from keys; the first one is primary.
func NewKeyring(keys ...Key) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("no encryption keys")
	}
	ring := &Keyring{primary: keys[0].ID, aeads: make(map[string]cipher.AEAD, len(keys))}
	for _, k := range keys {
		if !keyIDPattern.MatchString(k.ID) {
			return nil, fmt.Errorf("key id %q: use 1-32 letters, digits, '-' or '_'", k.ID)
		}
		if len(k.Secret) != KeySize {
			return nil, fmt.Errorf("key %q: want %d bytes, got %d", k.ID, KeySize, len(k.Secret))
		}
		if _, dup := ring.aeads[k.ID]; dup {
			return nil, fmt.Errorf("key id %q appears twice", k.ID)
		}
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k.ID, err)
		}
		ring.aeads[k.ID] = aead
		ring.ids = append(ring.ids, k.ID)
	}
	return ring, nil
}

// ParseKeys reads the "id:base64key,id:base64key" form used by PATCHBAY_ENCRYPTION_KEYS
// and by key files (where newlines may separate keys too). Standard and URL-safe
// base64, padded or not, are accepted.
func ParseKeys(spec string) (*Keyring, error) {
	var keys []Key
	lines := strings.FieldsFunc(spec, func(r rune) bool { return r == '\n' || r == '\r' })
	for _, line := range lines {
		// A comment spans its whole line, commas and colons included.
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for _, field := range strings.Split(line, ",") {
			field = strings.TrimSpace(field)
			if field == "" || strings.HasPrefix(field, "#") {
				continue
			}
			id, encoded, ok := strings.Cut(field, ":")
			if !ok {
				return nil, fmt.Errorf("key %d: want id:base64key", len(keys)+1)
			}
			secret, err := decodeBase64(strings.TrimSpace(encoded))
			if err != nil {
				return nil, fmt.Errorf("key %q: not base64: %w", id, err)
			}
			keys = append(keys, Key{ID: strings.TrimSpace(id), Secret: secret})
		}
	}
	return NewKeyring(keys...)
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// GenerateKey returns a new random key with the given id.
func GenerateKey(id string) (Key, error) {
	secret := make([]byte, KeySize)
	if _, err := rand.Read(secret); err != nil {
		return Key{}, fmt.Errorf("generate key: %w", err)
	}
	return Key{ID: id, Secret: secret}, nil
}

// Format renders keys in the form ParseKeys reads.
func Format(keys ...Key) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.ID + ":" + base64.StdEncoding.EncodeToString(k.Secret)
	}
	return strings.Join(parts, ",")
}

// Primary returns the id of the key that seals new values.
func (r *Keyring) Primary() string { return r.primary }

// IDs returns the key ids of the ring, primary first.
func (r *Keyring) IDs() []string { return append([]string(nil), r.ids...) }

// Seal encrypts plaintext under the primary key, bound to aad (for example
// "connector_profiles/cp_123/client_secret").
func (r *Keyring) Seal(plaintext []byte, aad string) (string, error) {
	aead := r.aeads[r.primary]
	buf := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("seal: nonce: %w", err)
	}
	buf = aead.Seal(buf, buf, plaintext, []byte(aad))
	return r.primary + ":" + base64.RawURLEncoding.EncodeToString(buf), nil
}

// Open decrypts a sealed value bound to aad. Any mismatch gives ErrOpen, never garbage.
func (r *Keyring) Open(sealed, aad string) ([]byte, error) {
	id, encoded, ok := strings.Cut(sealed, ":")
	if !ok {
		return nil, fmt.Errorf("%w: no key id", ErrOpen)
	}
	aead, ok := r.aeads[id]
	if !ok {
		return nil, fmt.Errorf("%w: key %q is not configured (add it to PATCHBAY_ENCRYPTION_KEYS)", ErrOpen, id)
	}
	// Only the exact text Seal produces opens: the lenient decoder would skip
	// newlines and ignore the unused bits of the last character, so altered text
	// would still open.
	raw, err := base64.RawURLEncoding.Strict().DecodeString(encoded)
	if err != nil || strings.ContainsAny(encoded, "\r\n") || len(raw) < aead.NonceSize()+aead.Overhead() {
		return nil, fmt.Errorf("%w: malformed ciphertext", ErrOpen)
	}
	nonce, ciphertext := raw[:aead.NonceSize()], raw[aead.NonceSize():]
	plaintext, err := aead.Open(nil, nonce, ciphertext, []byte(aad))
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed", ErrOpen)
	}
	return plaintext, nil
}

// SealedPrefix is the prefix every value sealed under the primary key starts with;
// storage uses it to find values that still need re-sealing after a rotation.
func (r *Keyring) SealedPrefix() string { return r.primary + ":" }

package webhooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// secretPrefix marks a signing secret, as the Standard Webhooks libraries expect.
const secretPrefix = "whsec_"

// NewSecret returns a signing secret: "whsec_" and the base64 of 32 random bytes.
func NewSecret() string {
	key := make([]byte, 32)
	rand.Read(key) // never fails (crypto/rand)
	return secretPrefix + base64.StdEncoding.EncodeToString(key)
}

// secretKey is the HMAC key of a Standard Webhooks secret: the bytes its
// base64 part encodes.
func secretKey(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, secretPrefix))
	if err != nil {
		return nil, fmt.Errorf("signing secret is not whsec_ and base64: %w", err)
	}
	return key, nil
}

// signHeaders sets the signature headers of a delivery of body: the Standard
// Webhooks ones (webhook-id, webhook-timestamp and one "v1,…" signature per
// secret, newest first) and x-stackone-signature, the base64url HMAC-SHA256
// of the body under the newest secret taken as it is written, which receivers
// written for the product Patchbay follows check.
func signHeaders(h http.Header, id string, at time.Time, body []byte, secrets []string) error {
	ts := strconv.FormatInt(at.Unix(), 10)
	signed := make([]string, 0, len(secrets))
	for _, secret := range secrets {
		key, err := secretKey(secret)
		if err != nil {
			return err
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id + "." + ts + "."))
		mac.Write(body)
		signed = append(signed, "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", ts)
	h.Set("webhook-signature", strings.Join(signed, " "))
	if len(secrets) > 0 {
		mac := hmac.New(sha256.New, []byte(secrets[0]))
		mac.Write(body)
		h.Set("x-stackone-signature", base64.RawURLEncoding.EncodeToString(mac.Sum(nil)))
	}
	return nil
}

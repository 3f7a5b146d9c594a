package webhooks

import (
	"net/netip"
	"strings"
	"testing"
)

// TestTranslatedAndSpecialAddressesAreRefused: the attack review reached a
// loopback receiver through its NAT64 form; every translated form of a
// refused address, and every special-purpose block, is refused when an
// endpoint is saved and when a delivery dials.
func TestTranslatedAndSpecialAddressesAreRefused(t *testing.T) {
	refused := []string{
		"64:ff9b::7f00:1",    // NAT64 of 127.0.0.1
		"64:ff9b::a00:1",     // NAT64 of 10.0.0.1
		"64:ff9b::a9fe:a9fe", // NAT64 of the metadata address
		"2002:7f00:1::1",     // 6to4 of 127.0.0.1
		"2002:c0a8:101::",    // 6to4 of 192.168.1.1
		"::ffff:127.0.0.1",   // IPv4-mapped
		"::ffff:169.254.169.254",
		"::127.0.0.1",  // IPv4-compatible (deprecated)
		"64:ff9b:1::1", // local-use NAT64
		"2001::1",      // Teredo
		"2001:db8::1", "3fff::1", "100::1", "fc00::1", "fd12:3456::1", "fe80::1", "fec0::1", "ff02::1", "::", "::1",
		"0.0.0.0", "10.1.2.3", "100.64.0.1", "127.0.0.1", "169.254.169.254", "172.16.0.1", "192.0.0.8", "192.0.2.1",
		"192.88.99.1", "192.168.1.1", "198.18.0.1", "198.19.255.255", "198.51.100.1", "203.0.113.1", "224.0.0.1",
		"240.0.0.1", "255.255.255.255",
	}
	s := &Service{}
	for _, raw := range refused {
		if publicAddress(netip.MustParseAddr(raw)) {
			t.Errorf("%s is taken for a public address", raw)
		}
		host := raw
		if strings.Contains(raw, ":") {
			host = "[" + raw + "]"
		}
		if err := s.checkURL("http://" + host + ":8080/hook"); err == nil {
			t.Errorf("an endpoint at %s was saved", raw)
		}
	}
	for _, raw := range []string{"8.8.8.8", "93.184.215.14", "2606:4700::1111", "2a00:1450:4001::200e", "2002:808:808::1", "64:ff9b::808:808"} {
		if !publicAddress(netip.MustParseAddr(raw)) {
			t.Errorf("%s is refused", raw)
		}
	}
	// The dial itself is checked, as the review's NAT64 address was dialled.
	_, err := s.client(1).Get("http://[64:ff9b::7f00:1]:9/")
	if err == nil || !strings.Contains(err.Error(), "refused to connect") {
		t.Fatalf("dialling a NAT64 loopback: %v", err)
	}
}

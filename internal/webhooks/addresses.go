package webhooks

import "net/netip"

// specialPurpose are the blocks of IANA's IPv4 and IPv6 special-purpose
// address registries (and multicast): none is a receiver on the public
// internet, and several reach the host, its network or its cloud's metadata.
var specialPurpose = []netip.Prefix{
	// IPv4
	netip.MustParsePrefix("0.0.0.0/8"),       // this network
	netip.MustParsePrefix("10.0.0.0/8"),      // private
	netip.MustParsePrefix("100.64.0.0/10"),   // shared address space (carrier NAT)
	netip.MustParsePrefix("127.0.0.0/8"),     // loopback
	netip.MustParsePrefix("169.254.0.0/16"),  // link-local, cloud metadata
	netip.MustParsePrefix("172.16.0.0/12"),   // private
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("192.31.196.0/24"), // AS112
	netip.MustParsePrefix("192.52.193.0/24"), // AMT
	netip.MustParsePrefix("192.88.99.0/24"),  // 6to4 relay anycast
	netip.MustParsePrefix("192.168.0.0/16"),  // private
	netip.MustParsePrefix("192.175.48.0/24"), // AS112 direct delegation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("224.0.0.0/4"),     // multicast
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and the broadcast address
	// IPv6 (only global unicast, 2000::/3, is allowed at all; these are inside it)
	netip.MustParsePrefix("2001::/23"),     // IETF protocol assignments, Teredo included
	netip.MustParsePrefix("2001:db8::/32"), // documentation
	netip.MustParsePrefix("3fff::/20"),     // documentation
}

var (
	globalUnicast6 = netip.MustParsePrefix("2000::/3")
	// Forms that carry an IPv4 address inside an IPv6 one: the IPv4 address
	// is what the connection reaches, so it is what is checked.
	nat64     = netip.MustParsePrefix("64:ff9b::/96") // well-known NAT64 prefix: the last 32 bits
	sixToFour = netip.MustParsePrefix("2002::/16")    // 6to4: bits 16 to 48
)

// publicAddress reports whether addr is a receiver on the public internet:
// after unwrapping the IPv4 address an IPv4-mapped, NAT64 or 6to4 address
// carries, it is in no special-purpose block, and an IPv6 address is global
// unicast.
func publicAddress(addr netip.Addr) bool {
	addr = carriedIPv4(addr.Unmap())
	if addr.Is6() && !globalUnicast6.Contains(addr) {
		return false // loopback, unspecified, unique local, link-local, multicast, local-use NAT64, discard…
	}
	for _, p := range specialPurpose {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}

// carriedIPv4 returns the IPv4 address a NAT64 or 6to4 address carries, or
// addr itself.
func carriedIPv4(addr netip.Addr) netip.Addr {
	b := addr.As16()
	switch {
	case !addr.Is6():
		return addr
	case nat64.Contains(addr):
		return netip.AddrFrom4([4]byte(b[12:16]))
	case sixToFour.Contains(addr):
		return netip.AddrFrom4([4]byte(b[2:6]))
	}
	return addr
}

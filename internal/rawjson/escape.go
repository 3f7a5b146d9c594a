package rawjson

import (
	"encoding/binary"
	"math/bits"
)

// AppendEscaped appends s to dst as the inside of a JSON string: quotes,
// backslashes and control characters escaped, every other byte as it is. s
// must be valid UTF-8. Runs of plain bytes are found eight at a time, as the
// scanner finds the end of a string, so escaping a page of records costs a
// fraction of encoding/json's rune-by-rune string encoder.
func AppendEscaped(dst, s []byte) []byte {
	start, i := 0, 0
	for i < len(s) {
		if i+8 <= len(s) {
			if stop := specials(binary.LittleEndian.Uint64(s[i:])); stop == 0 {
				i += 8
				continue
			} else {
				i += bits.TrailingZeros64(stop) / 8
			}
		} else if plain[s[i]] {
			i++
			continue
		}
		c := s[i]
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	return append(dst, s[start:]...)
}

const hexDigits = "0123456789abcdef"

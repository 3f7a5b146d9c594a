package unified

import "github.com/patchbayhq/patchbay/internal/rawjson"

// Provider records are decoded with encoding/json/v2 (its prototype until the
// standard library ships it), about twice as fast as v1 on a page of records,
// except the employee records: their pages are the largest the unified API
// maps, and reading them with reflection cost several times the rest of the
// call. Those records read themselves with a rawjson.Decoder, member by
// member, skipping what no mapper uses, while the executor checks the page
// (actions.Request.Decode).

// decoder is a record that reads itself.
type decoder interface {
	decode(d *rawjson.Decoder) error
}

// listOf is a list of records that read themselves, itself read by hand.
type listOf[T any, P interface {
	*T
	decoder
}] []T

func (l *listOf[T, P]) decode(d *rawjson.Decoder) error {
	return readEach(d, (*[]T)(l), func(v *T, d *rawjson.Decoder) error { return P(v).decode(d) })
}

// intoList lets a list of T be read by hand.
func intoList[T any, P interface {
	*T
	decoder
}](dst *[]T) decoder {
	return (*listOf[T, P])(dst)
}

// readEach reads an array, appending each element read with read to list.
// Each element is read in place: a local one would escape to the heap through
// read, for every element.
func readEach[T any](d *rawjson.Decoder, list *[]T, read func(*T, *rawjson.Decoder) error) error {
	return d.Array(func() error {
		var zero T
		*list = append(*list, zero)
		return read(&(*list)[len(*list)-1], d)
	})
}

// readOptional reads an object with read into a new T; nil for null.
func readOptional[T any](d *rawjson.Decoder, read func(*T, *rawjson.Decoder) error) (*T, error) {
	if d.Null() {
		return nil, nil
	}
	v := new(T)
	return v, read(v, d)
}

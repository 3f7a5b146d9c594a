package unified

import "github.com/patchbayhq/patchbay/internal/rawjson"

// Provider records are decoded with encoding/json/v2 (its prototype until the
// standard library ships it), about twice as fast as v1 on a page of records,
// except the employee records: their pages are the largest the unified API
// maps, and reading them with reflection cost several times the rest of the
// call. Those records read themselves with a rawjson.Decoder, member by
// member, skipping what no mapper uses, while the executor checks the page
// (actions.Session.RunDecoded).

// decoder is a record that reads itself.
type decoder interface {
	decode(d *rawjson.Decoder) error
}

// eachRecord reads a list of records that read themselves, handing each to
// the function as soon as it is read: the page's records are mapped one at a
// time, and no list of them is kept.
type eachRecord[R any, P interface {
	*R
	decoder
}] func(*R)

func (fn eachRecord[R, P]) decode(d *rawjson.Decoder) error {
	var r, zero R // one record, read again for each
	return d.Array(func() error {
		r = zero
		if err := P(&r).decode(d); err != nil {
			return err
		}
		fn(&r)
		return nil
	})
}

// forEach lets a list of R be read by hand, each record handed to fn.
func forEach[R any, P interface {
	*R
	decoder
}](fn func(*R)) decoder {
	return eachRecord[R, P](fn)
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

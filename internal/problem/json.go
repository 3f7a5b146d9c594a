package problem

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
)

// FromJSON turns an error decoding what (such as "the body") into an
// Invalid problem that says what is wrong in the caller's terms: the field,
// what it must be and what came. It never names a Go type.
func FromJSON(what string, err error) *Error {
	var syntax *json.SyntaxError
	var wrongType *json.UnmarshalTypeError
	var tooLarge *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return New(Invalid, "%s is empty: send a JSON object", what)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return New(Invalid, "%s is not valid JSON: it ends too early", what)
	case errors.As(err, &syntax):
		return New(Invalid, "%s is not valid JSON: %s (at byte %d)", what, syntax.Error(), syntax.Offset)
	case errors.As(err, &tooLarge):
		return New(Invalid, "%s is larger than %d bytes", what, tooLarge.Limit)
	case errors.As(err, &wrongType) && wrongType.Field == "":
		return New(Invalid, "%s must be %s, not %s", what, jsonKind(wrongType.Type), article(wrongType.Value))
	case errors.As(err, &wrongType):
		return New(Invalid, "%s: must be %s, not %s", wrongType.Field, jsonKind(wrongType.Type), article(wrongType.Value))
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if strings.Contains(msg, "Go ") {
		msg = "its fields do not have the expected types"
	}
	return New(Invalid, "%s is not what this endpoint takes: %s", what, msg)
}

// jsonKind names the JSON a Go type is decoded from.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a base64 string"
		}
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number in range"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another JSON value"
}

// article puts "a"/"an" before the JSON kind encoding/json reports ("array",
// "object", "string", "number", "bool"…).
func article(value string) string {
	switch {
	case value == "bool":
		return "true or false"
	case strings.HasPrefix(value, "number "):
		return "the number " + strings.TrimPrefix(value, "number ")
	case strings.ContainsAny(value[:min(1, len(value))], "aeiou"):
		return "an " + value
	}
	return "a " + value
}

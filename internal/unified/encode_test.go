package unified

import (
	"reflect"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/patchbayhq/patchbay/internal/actions"
)

// TestEmployeesEncodeAsTheirTagsSay holds the hand-written encoding of
// employees to what encoding/json/v2 writes from the models' struct tags: for
// every employee the mappers make from the simulators' records, for an empty
// one, and for one with every field, however deep, set — so that a field added
// to a model and not to its writer fails here.
func TestEmployeesEncodeAsTheirTagsSay(t *testing.T) {
	var full Employee
	fill(reflect.ValueOf(&full).Elem())
	employees := []Employee{full, {}, {ID: "e", HomeLocation: &Location{}, Employments: []Employment{{Type: &TypedEnum{}, ContractType: &ContractType{}}}},
		{ID: "e", Gender: &Enum{Value: "female", SourceValue: 3.5}, CustomFields: []CustomField{{Value: []any{"a", 1.0}}, {Value: nil}},
			Name: "<Zoë & \"Jo\"\u2028\n\x01>"}}
	for _, samples := range providerSamples(t) {
		for _, e := range samples["Employee"] {
			employees = append(employees, e.(Employee))
		}
	}
	next := "cursor \"2\""
	answers := []Answer{
		{Data: employees, list: true},
		{Data: employees[:1], Next: &next, list: true, Raw: []actions.RawCall{{Method: "GET", URL: "https://api.example/x?a=1&b=<2>", Response: []byte(`{"ok":true}`)}}},
		{Data: []Employee{}, list: true},
		{Data: full},
		{Data: full, created: true, Raw: []actions.RawCall{{Method: "GET"}}},
		{Data: []Company{{ID: "c"}}, list: true},
		{Data: map[string]any{"id": "x"}},
	}
	for i, a := range answers {
		got, err := a.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		want, err := jsonv2.Marshal(tagged(a))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("answer %d:\n got %s\nwant %s", i, got, want)
		}
	}
	if _, err := (Answer{Data: Employee{ID: "bad \xff"}}).AppendJSON(nil); err == nil {
		t.Error("invalid UTF-8 encoded without an error")
	}
}

// tagged is the answer as its struct tags describe it.
func tagged(a Answer) any {
	if !a.list {
		return a
	}
	return struct {
		Data any               `json:"data"`
		Next *string           `json:"next"`
		Raw  []actions.RawCall `json:"raw,omitempty"`
	}{a.Data, a.Next, a.Raw}
}

// fill sets every field of v, and of what it points to or holds, to a value
// that is not empty.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("s_" + v.Type().Name())
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Float64:
		v.SetFloat(1.25)
	case reflect.Interface:
		v.Set(reflect.ValueOf("any value"))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case reflect.Struct:
		for i := range v.NumField() {
			fill(v.Field(i))
		}
	default:
		panic("fill: no value for " + v.Type().String())
	}
}

// Reading a page: the records and the continuation at the places the connector
// names, in one pass, and the opaque next cursor handed to callers.

package actions

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/patchbayhq/patchbay/internal/connectors"
	"github.com/patchbayhq/patchbay/internal/paging"
	"github.com/patchbayhq/patchbay/internal/problem"
	"github.com/patchbayhq/patchbay/internal/rawjson"
)

// decodeAnswer checks a page and reads it in one pass: decode reads the
// records at the first path; the values at the other paths are returned.
func decodeAnswer(body []byte, paths []string, decode func(d *rawjson.Decoder) error) ([]json.RawMessage, error) {
	d := rawjson.NewDecoder(body)
	found := make([]json.RawMessage, len(paths))
	err := d.Find(paths, func(i int) (err error) {
		if i == 0 {
			return decode(d)
		}
		found[i], err = d.Raw()
		return err
	})
	if err == nil {
		err = d.End()
	}
	return found, err
}

// resultPaths are the places in a successful answer that result reads: the
// records, and for a list the value that tells whether another page follows.
func resultPaths(c *connectors.Connector, action *connectors.Action) []string {
	if p := c.API.Pagination; action.Paginated && p != nil {
		return []string{action.Data, p.ContinuationField()}
	}
	return []string{action.Data}
}

// result turns a successful answer into the records and the next page's
// continuation value. The records are passed on as the provider's own bytes:
// decoding and re-encoding a page of a hundred records would cost more than
// everything else Patchbay does for the call.
func result(c *connectors.Connector, action *connectors.Action, req Request, ans answer) (Result, error) {
	if len(bytes.TrimSpace(ans.body)) == 0 {
		return Result{}, nil // 204 No Content, or an empty 200
	}
	if ans.malformed != nil {
		err := error(&problem.Error{Kind: problem.Provider, Message: c.Name + "'s answer is not JSON Patchbay can pass on: " + ans.malformed.Error(),
			ProviderErrors: []problem.ProviderError{{Status: ans.status, Raw: truncate(string(ans.body))}}})
		if ans.streamed {
			err = fmt.Errorf("%w: %w", ErrAnswerBegun, err)
		}
		return Result{}, err
	}
	var res Result
	switch {
	case req.decode != nil:
		var err error
		if ans.found, err = decodeAnswer(ans.body, resultPaths(c, action), req.decode); err != nil {
			return Result{}, &problem.Error{Kind: problem.Provider, Message: fmt.Sprintf("%s answered %s with records Patchbay cannot read: %v", c.Name, action.ID, err),
				ProviderErrors: []problem.ProviderError{{Status: ans.status, Raw: truncate(string(ans.body))}}}
		}
	case ans.streamed:
		res.Streamed = true
	default:
		// Nothing streamed: the caller passed no writer, or the records are
		// the whole document (a single object), which Stream does not pass
		// on, or absent. The buffer goes back to the pool when Run returns,
		// so the caller gets a copy.
		res.Data = json.RawMessage(bytes.Clone(ans.found[0]))
	}
	p := c.API.Pagination
	if len(ans.found) < 2 || ans.found[1] == nil {
		return res, nil
	}
	limit, _ := strconv.Atoi(scalar(req.Query[p.LimitParam])) // the next page keeps the page size
	switch p.Style {
	case connectors.CursorStyle:
		var next string
		if json.Unmarshal(ans.found[1], &next) == nil && next != "" {
			res.Next = wrapNext(action.ID, next, limit)
		}
	case connectors.PageStyle:
		current := max(p.FirstPage, 1)
		if v, ok := req.Query[p.PageParam]; ok {
			if n, err := strconv.Atoi(scalar(v)); err == nil {
				current = n
			}
		}
		var total float64
		if json.Unmarshal(ans.found[1], &total) == nil && float64(current) < total {
			res.Next = wrapNext(action.ID, strconv.Itoa(current+1), limit)
		}
	}
	return res, nil
}

// nextCursor is what an opaque next carries: the action it belongs to and the
// provider's own continuation value (a cursor, or a page number).
type nextCursor struct {
	Action string `json:"a"`
	Value  string `json:"v"`
	Limit  int    `json:"l,omitempty"` // the page size the first page asked for
}

func wrapNext(action, value string, limit int) *string {
	raw, _ := json.Marshal(nextCursor{Action: action, Value: value, Limit: limit})
	s := base64.RawURLEncoding.EncodeToString(raw)
	return &s
}

// decodeNext reads a next value an earlier answer of action gave.
func decodeNext(action, next string) (nextCursor, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(next)
	var cur nextCursor
	if err != nil || json.Unmarshal(raw, &cur) != nil || cur.Action != action {
		return nextCursor{}, false
	}
	return cur, true
}

// liftPaging takes next and page_size from where clients put them. The
// StackOne AI SDK sends every tool argument that is not path, query or
// headers in body, so for an action that takes no body, a body holding only
// next and page_size is the paging; and a next in the query is the paging
// when the action's query has no next of its own.
func liftPaging(action *connectors.Action, req *Request) {
	if body, ok := req.Body.(map[string]any); ok && len(body) > 0 && action.Schema("body") == nil {
		var in struct {
			Next     *string `json:"next"`
			PageSize *int    `json:"page_size"`
		}
		raw, _ := json.Marshal(body) // decoded JSON: encodes again
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if dec.Decode(&in) == nil { // anything else stays, for validation to name
			req.Body = nil
			if in.Next != nil && req.Next == "" {
				req.Next = *in.Next
			}
			if in.PageSize != nil && req.PageSize == 0 {
				req.SetPageSize(*in.PageSize)
			}
		}
	}
	if next, ok := req.Query["next"].(string); ok && req.Next == "" {
		if q := action.Schema("query"); q == nil || q.Properties["next"] == nil {
			req.Next = next
			delete(req.Query, "next")
		}
	}
}

// applyPaging turns next and page_size into the action's own paging inputs.
// A next may also come where the provider's own cursor (or page) goes in the
// query, which is how the reference's SDK passes it back.
func applyPaging(c *connectors.Connector, action *connectors.Action, req *Request) error {
	p := c.API.Pagination
	if action.Paginated && p != nil {
		liftPaging(action, req)
	}
	if req.Next == "" && action.Paginated && p != nil {
		param := p.CursorParam
		if p.Style == connectors.PageStyle {
			param = p.PageParam
		}
		if v, ok := req.Query[param].(string); ok {
			if _, ours := decodeNext(action.ID, v); ours {
				req.Next = v
				delete(req.Query, param)
			}
		}
	}
	if (req.Next != "" || req.PageSize != 0) && (!action.Paginated || p == nil) {
		return fmt.Errorf("next, page_size: %s does not page", action.ID)
	}
	if req.PageSize != 0 {
		if req.PageSize < 1 || req.PageSize > p.MaxLimit {
			return paging.SizeError(p.MaxLimit)
		}
		req.Query[p.LimitParam] = req.PageSize
	}
	if req.Next == "" {
		return nil
	}
	cur, ok := decodeNext(action.ID, req.Next)
	if !ok {
		return fmt.Errorf("next: not a cursor an earlier %s call returned", action.ID)
	}
	if _, set := req.Query[p.LimitParam]; !set && cur.Limit > 0 {
		req.Query[p.LimitParam] = cur.Limit
	}
	if p.Style == connectors.CursorStyle {
		req.Query[p.CursorParam] = cur.Value
		return nil
	}
	page, err := strconv.Atoi(cur.Value)
	if err != nil {
		return fmt.Errorf("next: not a cursor an earlier %s call returned", action.ID)
	}
	req.Query[p.PageParam] = page
	return nil
}

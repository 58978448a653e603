package api

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Query parameters every POST route reads.
const (
	paramDryRun = "dry_run"
	paramQueue  = "queue" // CSV batches only: JSON bodies carry "queue"
)

// postQuery reads the query of a POST whose body is JSON: only dry_run.
func postQuery(q url.Values) (dryRun bool, p *problem) {
	for k := range q {
		if k != paramDryRun {
			return false, fieldProblem(k, fmt.Sprintf("unknown query parameter %q: with a JSON body, every field goes in the body", clip(k, 40)))
		}
	}
	return dryRunParam(q)
}

func dryRunParam(q url.Values) (bool, *problem) {
	vs := q[paramDryRun]
	if len(vs) > 1 {
		return false, fieldProblem(paramDryRun, "given more than once")
	}
	dry, err := boolParam(q.Get(paramDryRun))
	if err != nil {
		return false, fieldProblem(paramDryRun, "want true or false")
	}
	return dry, nil
}

// queryInto decodes the query parameters of a CSV batch into v (a pointer
// to tasks.BatchPayload), one parameter per JSON field of the payload but
// skip: the parameters are turned into the JSON object the body would
// have carried, so every payload field, present or future, is accepted
// with its JSON name and type, and refused with the same 422.
func queryInto(q url.Values, v any, skip ...string) *problem {
	fields := jsonFields(reflect.TypeOf(v).Elem())
	obj := make(map[string]json.RawMessage, len(q))
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the first refused parameter is the same every time
	for _, k := range keys {
		if k == paramDryRun || k == paramQueue {
			continue
		}
		f, ok := fieldNamed(fields, k)
		if !ok || f.Name != k || slices.Contains(skip, k) {
			return fieldProblem(k, fmt.Sprintf("unknown query parameter %q", clip(k, 40)))
		}
		if len(q[k]) > 1 {
			return fieldProblem(k, "given more than once")
		}
		raw, err := queryValue(q.Get(k), f.Type)
		if err != nil {
			return fieldProblem(k, "invalid "+k+": "+want(f.Type))
		}
		obj[k] = raw
	}
	b, err := json.Marshal(obj)
	if err != nil {
		panic(err) // raw values produced above: cannot fail
	}
	return decodeJSON(b, v)
}

// queryValue turns one parameter into the JSON value of a field of type t.
func queryValue(s string, t reflect.Type) (json.RawMessage, error) {
	switch {
	case t == timeType:
		// A "+" left unencoded in a query string arrives as a space;
		// RFC 3339 has no space, so it can only have been a "+".
		return json.Marshal(strings.ReplaceAll(s, " ", "+"))
	case t.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, err
		}
		return json.Marshal(b)
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, err
		}
		return json.Marshal(n)
	case t.Kind() == reflect.String:
		return json.Marshal(s)
	}
	// Any other type (none today) takes its JSON text as it is.
	if !json.Valid([]byte(s)) {
		return nil, fmt.Errorf("not JSON")
	}
	return json.RawMessage(s), nil
}

package web

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// apiTime renders a time as RFC 3339 in UTC, and the zero time ("never")
// as null, as Files.com does.
type apiTime time.Time

func (t apiTime) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	if tt.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(tt.UTC().Format(time.RFC3339))
}

// optionalID renders 0 ("none") as null.
func optionalID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// joinIDs renders ids as Files.com's comma-separated string.
func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

// UnmarshalJSON reads what MarshalJSON writes.
func (t *apiTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = apiTime{}
		return nil
	}
	var tt time.Time
	if err := json.Unmarshal(b, &tt); err != nil {
		return err
	}
	*t = apiTime(tt)
	return nil
}

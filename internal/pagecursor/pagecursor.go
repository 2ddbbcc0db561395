// Package pagecursor is the one format of the opaque cursors that page
// through a list after its previous page's last record (keyset paging):
// the REST API hands them out in the X-Files-Cursor header, the admin
// console in its "next page" links. A cursor holds the id of the
// previous page's last record and, when the list is sorted by another
// field, that record's value of it (store.Sort.After), so the next page
// starts after it in the store's index order, never at an offset. It is
// bound to the list that made it (and to its order): a cursor of another
// list or order is refused, whatever it holds. A cursor is not signed; it
// only says where to continue, which the caller may see anyway.
package pagecursor

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

const (
	version = 1
	headLen = 1 + 8 + 4 // version, last id, list hash
	// sortedVersion adds a hash of the order (field and direction) and
	// the last record's value of the field: a kind byte, then the value.
	sortedVersion = 2
	sortedHead    = headLen + 4 + 1
	// MaxBytes is the longest cursor read; a longer one is refused
	// before it is decoded.
	MaxBytes = 2048
)

// Kinds of value a sorted cursor holds.
const (
	valueNone byte = iota
	valueString
	valueBool
	valueTime
	valueInt
)

// Sorted reports whether a list in order s is in another order than by
// id ascending, and so needs a sorted cursor.
func Sorted(s store.Sort) bool {
	return (s.Field != "" && s.Field != "id") || s.Desc
}

// Encode makes the cursor after lastID of a list by id: a version byte,
// the id, and a hash of the list's name, base64url encoded.
func Encode(lastID int64, list string) string {
	b := make([]byte, headLen)
	b[0] = version
	binary.BigEndian.PutUint64(b[1:9], uint64(lastID))
	binary.BigEndian.PutUint32(b[9:], listHash(list))
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode reads a cursor Encode made for the same list.
func Decode(c, list string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(c, "="))
	if err != nil || len(b) != headLen || b[0] != version ||
		binary.BigEndian.Uint32(b[9:]) != listHash(list) {
		return 0, identity.ErrInvalidCursor
	}
	id := int64(binary.BigEndian.Uint64(b[1:9]))
	if id <= 0 {
		return 0, identity.ErrInvalidCursor
	}
	return id, nil
}

func listHash(list string) uint32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(list))
	return h.Sum32()
}

// sortHash ties a sorted cursor to its order.
func sortHash(s store.Sort) uint32 {
	return listHash(fmt.Sprintf("%s %t", s.Field, s.Desc))
}

// EncodeSorted makes the cursor after a record of a sorted list: its id
// and its value of the sort field (store.UserSortValue and the like).
func EncodeSorted(lastID int64, list string, s store.Sort, value any) string {
	b := make([]byte, sortedHead, sortedHead+16)
	b[0] = sortedVersion
	binary.BigEndian.PutUint64(b[1:9], uint64(lastID))
	binary.BigEndian.PutUint32(b[9:13], listHash(list))
	binary.BigEndian.PutUint32(b[13:17], sortHash(s))
	switch v := value.(type) {
	case string:
		b[17] = valueString
		b = append(b, v...)
	case bool:
		b[17] = valueBool
		if v {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	case time.Time:
		if !v.IsZero() {
			b[17] = valueTime
			b = binary.BigEndian.AppendUint64(b, uint64(v.UnixMicro()))
		}
	case int64:
		b[17] = valueInt
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeSorted reads a sorted cursor made by the same list in the same
// order; anything else is an invalid cursor, whatever it holds.
func DecodeSorted(c, list string, s store.Sort) (int64, any, error) {
	if len(c) > MaxBytes {
		return 0, nil, identity.ErrInvalidCursor
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(c, "="))
	if err != nil || len(b) < sortedHead || b[0] != sortedVersion ||
		binary.BigEndian.Uint32(b[9:13]) != listHash(list) || binary.BigEndian.Uint32(b[13:17]) != sortHash(s) {
		return 0, nil, identity.ErrInvalidCursor
	}
	id := int64(binary.BigEndian.Uint64(b[1:9]))
	if id <= 0 {
		return 0, nil, identity.ErrInvalidCursor
	}
	rest := b[sortedHead:]
	switch b[17] {
	case valueNone:
		if len(rest) == 0 {
			return id, time.Time{}, nil // a time field without a value
		}
	case valueString:
		if utf8.Valid(rest) {
			return id, string(rest), nil
		}
	case valueBool:
		if len(rest) == 1 && rest[0] <= 1 {
			return id, rest[0] == 1, nil
		}
	case valueTime:
		if len(rest) == 8 {
			return id, time.UnixMicro(int64(binary.BigEndian.Uint64(rest))).UTC(), nil
		}
	case valueInt:
		if len(rest) == 8 {
			return id, int64(binary.BigEndian.Uint64(rest)), nil
		}
	}
	return 0, nil, identity.ErrInvalidCursor
}

// Fits reports whether a sorted cursor's value is of the kind of its
// field (one of fields); the store refuses any other, and the caller's
// mistake would be answered as the server's.
func Fits(fields map[string]store.FieldKind, o store.Sort) bool {
	if o.Field == "" || o.Field == "id" {
		return true // by id, the cursor's id is the whole position
	}
	var ok bool
	switch fields[o.Field] {
	case store.KindText, store.KindExact:
		_, ok = o.After.(string)
	case store.KindBool:
		_, ok = o.After.(bool)
	case store.KindTime:
		_, ok = o.After.(time.Time)
	case store.KindID:
		_, ok = o.After.(int64)
	}
	return ok
}

// Read reads the cursor c of list in order s into the store's list
// options: where the page starts. An empty cursor is the first page.
func Read(c, list string, s store.Sort) (afterID int64, after any, err error) {
	if c == "" {
		return 0, nil, nil
	}
	if !Sorted(s) {
		id, err := Decode(c, list)
		return id, nil, err
	}
	return DecodeSorted(c, list, s)
}

// Next is the cursor after last, a list's last record shown, whose id is
// lastID and whose value of the sort field is value.
func Next(list string, s store.Sort, lastID int64, value any) string {
	if !Sorted(s) {
		return Encode(lastID, list)
	}
	return EncodeSorted(lastID, list, s, value)
}

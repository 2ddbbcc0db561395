package main

import "github.com/gatehouse/gatehouse/internal/store"

// cliPageSize is how many records a command reads per store call.
const cliPageSize = 1000

// forEachPage reads a list page by page (by ascending id) and calls fn for
// every record, so commands never hold a whole table in memory.
func forEachPage[T any](list func(store.ListOptions) ([]T, error), id func(T) int64, fn func(T) error) error {
	o := store.ListOptions{Limit: cliPageSize}
	for {
		page, err := list(o)
		if err != nil {
			return err
		}
		for _, rec := range page {
			if err := fn(rec); err != nil {
				return err
			}
		}
		if len(page) < o.Limit {
			return nil
		}
		o.AfterID = id(page[len(page)-1])
	}
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"time"
)

// loadResult is one load run: requests per second and latency percentiles.
type loadResult struct {
	rps      float64
	p50, p99 time.Duration
	errors   int
}

// loadGetUser sends GET /api/rest/v1/users/{id} for random ids in [1, maxID]
// over conns keep-alive connections for d, and reports throughput and
// latency. Any non-200 answer counts as an error.
func loadGetUser(ctx context.Context, base, apiKey string, ids []int64, conns int, d time.Duration) (loadResult, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()

	var mu sync.Mutex
	var all []time.Duration
	errs := 0
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1<<14)
			bad := 0
			for ctx.Err() == nil {
				id := ids[rand.IntN(len(ids))]
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/api/rest/v1/users/%d", base, id), nil)
				req.Header.Set("X-FilesAPI-Key", apiKey)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						bad++
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					bad++
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			all = append(all, lat...)
			errs += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if len(all) == 0 {
		return loadResult{}, fmt.Errorf("no successful request (%d errors)", errs)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	return loadResult{
		rps:    float64(len(all)) / elapsed.Seconds(),
		p50:    all[len(all)/2],
		p99:    all[len(all)*99/100],
		errors: errs,
	}, nil
}

// listAllUsers pages through GET /api/rest/v1/users following the cursor
// header, and returns how many users it saw.
func listAllUsers(ctx context.Context, base, apiKey string, perPage int) (int, error) {
	cursor, seen := "", 0
	for {
		url := fmt.Sprintf("%s/api/rest/v1/users?per_page=%d", base, perPage)
		if cursor != "" {
			url += "&cursor=" + cursor
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		req.Header.Set("X-FilesAPI-Key", apiKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return seen, err
		}
		var page []json.RawMessage
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil {
			return seen, fmt.Errorf("list users: HTTP %d, %v", resp.StatusCode, err)
		}
		seen += len(page)
		cursor = resp.Header.Get("X-Files-Cursor")
		if cursor == "" {
			return seen, nil
		}
	}
}

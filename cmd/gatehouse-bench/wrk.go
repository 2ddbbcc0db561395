package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// wrkScript picks a random user id between GH_MIN_ID and GH_MAX_ID for
// every request and sends the API key.
const wrkScript = `
local min_id = tonumber(os.getenv("GH_MIN_ID"))
local max_id = tonumber(os.getenv("GH_MAX_ID"))
local key = os.getenv("GH_API_KEY")
math.randomseed(os.time())
request = function()
  local id = math.random(min_id, max_id)
  return wrk.format("GET", "/api/rest/v1/users/" .. id, {["X-FilesAPI-Key"] = key})
end
`

// loadWithWrk runs the same load as loadGetUser with wrk, a C load
// generator that leaves more of the two cores to the server than a Go
// client does. ids must be contiguous.
func loadWithWrk(ctx context.Context, base, apiKey string, ids []int64, conns int, d time.Duration) (loadResult, error) {
	dir, err := os.MkdirTemp("", "gatehouse-wrk-")
	if err != nil {
		return loadResult{}, err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "get-user.lua")
	if err := os.WriteFile(script, []byte(wrkScript), 0o600); err != nil {
		return loadResult{}, err
	}
	cmd := exec.CommandContext(ctx, "wrk", "-t2", fmt.Sprintf("-c%d", conns), fmt.Sprintf("-d%ds", int(d.Seconds())),
		"--latency", "-s", script, base+"/")
	cmd.Env = append(os.Environ(), fmt.Sprintf("GH_MIN_ID=%d", ids[0]), fmt.Sprintf("GH_MAX_ID=%d", ids[len(ids)-1]),
		"GH_API_KEY="+apiKey)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return loadResult{}, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	return parseWrk(string(out))
}

var (
	wrkRPS      = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	wrkPct      = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$`)
	wrkNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	wrkSockErrs = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

func parseWrk(out string) (loadResult, error) {
	var r loadResult
	m := wrkRPS.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("wrk printed no Requests/sec:\n%s", out)
	}
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	for _, p := range wrkPct.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(p[2], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[p[3]]
		d := time.Duration(v * float64(unit))
		if p[1] == "50" {
			r.p50 = d
		} else {
			r.p99 = d
		}
	}
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		r.errors, _ = strconv.Atoi(m[1])
	}
	if m := wrkSockErrs.FindStringSubmatch(out); m != nil {
		for _, n := range m[1:] {
			k, _ := strconv.Atoi(n)
			r.errors += k
		}
	}
	if r.p99 == 0 {
		return r, fmt.Errorf("wrk printed no latency distribution:\n%s", out)
	}
	return r, nil
}

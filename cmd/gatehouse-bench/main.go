// Command gatehouse-bench measures the figures Gatehouse promises and prints
// them as a table: store bulk-create speed, REST API throughput and latency
// under concurrent load, the server's resident memory idle and after a
// full paged listing, and what a thousand idle SFTP sessions cost it in
// CPU and memory. The server runs as a real child process (the gatehouse
// binary given with --binary), so memory is the server's alone and the load
// crosses a real loopback socket.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"text/tabwriter"
	"time"
)

type options struct {
	binary   string
	users    int
	conns    int
	duration time.Duration
	runs     int
	postgres bool
	goClient bool
	// idleSessions idle SFTP sessions are measured over idleWindow (0:
	// not measured); idleOnly measures nothing else.
	idleSessions int
	idleWindow   time.Duration
	idleOnly     bool
}

// result is one row of the printed table.
type result struct {
	engine, measure, value, goal string
}

func main() {
	var o options
	flag.StringVar(&o.binary, "binary", "bin/gatehouse", "gatehouse binary to benchmark")
	flag.IntVar(&o.users, "users", 100_000, "users to create")
	flag.IntVar(&o.conns, "conns", 64, "concurrent connections for the load test")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of one load run")
	flag.IntVar(&o.runs, "runs", 3, "load runs per engine; the table shows medians")
	flag.BoolVar(&o.postgres, "postgres", true, "also benchmark on a PostgreSQL server started for the run")
	flag.BoolVar(&o.goClient, "go-client", false, "load with the built-in Go client even when wrk is installed")
	flag.BoolVar(&serverLogs, "server-logs", false, "show the servers' logs")
	flag.IntVar(&o.idleSessions, "idle-sessions", 1000, "idle SFTP sessions whose cost to the server is measured (0: skip)")
	flag.DurationVar(&o.idleWindow, "idle-window", 30*time.Second, "how long the idle SFTP sessions are measured")
	flag.BoolVar(&o.idleOnly, "idle-only", false, "measure only the idle SFTP sessions")
	flag.Parse()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))

	ctx := context.Background()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "gatehouse-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	bin, err := filepath.Abs(o.binary)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%s: %w (build it with 'make build')", bin, err)
	}
	o.binary = bin
	var rows []result

	if o.idleSessions > 0 {
		r, err := idleSFTP(ctx, o)
		if err != nil {
			return fmt.Errorf("idle SFTP sessions: %w", err)
		}
		rows = append(rows, r...)
	}
	if o.idleOnly {
		printTable(rows)
		return nil
	}

	idle, err := idleMemory(ctx, o)
	if err != nil {
		return fmt.Errorf("idle memory: %w", err)
	}
	rows = append(rows, result{"sqlite", "resident memory, idle, empty site", mib(idle), "< 40 MB"})

	engines := []engine{sqliteEngine()}
	if o.postgres {
		pg, stop, err := postgresEngine(ctx)
		if err != nil {
			return fmt.Errorf("postgres: %w (run with -postgres=false to skip)", err)
		}
		defer stop()
		engines = append(engines, pg)
	}
	for _, e := range engines {
		r, err := benchEngine(ctx, o, e)
		if err != nil {
			return fmt.Errorf("%s: %w", e.name, err)
		}
		rows = append(rows, r...)
	}
	printTable(rows)
	return nil
}

func printTable(rows []result) {
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENGINE\tMEASURE\tRESULT\tGOAL")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.engine, r.measure, r.value, r.goal)
	}
	tw.Flush()
}

func mib(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

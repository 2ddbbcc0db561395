package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/pgtest"
)

// engine is a database the benchmark runs on.
type engine struct {
	name string
	// databaseURL returns a fresh, empty database ("" for SQLite).
	databaseURL func(ctx context.Context) (string, error)
}

func sqliteEngine() engine {
	return engine{name: "sqlite", databaseURL: func(context.Context) (string, error) { return "", nil }}
}

// postgresEngine starts a real PostgreSQL server for the run.
func postgresEngine(ctx context.Context) (engine, func(), error) {
	srv, err := pgtest.StartServer()
	if err != nil {
		return engine{}, nil, err
	}
	return engine{name: "postgres", databaseURL: srv.CreateDatabase}, srv.Stop, nil
}

// benchEngine seeds o.users users into a fresh database, then measures the
// API against a server child process on it.
func benchEngine(ctx context.Context, o options, e engine) ([]result, error) {
	dir, err := os.MkdirTemp("", "gatehouse-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	dbURL, err := e.databaseURL(ctx)
	if err != nil {
		return nil, err
	}
	// The base URL only satisfies the sign-in core while seeding; the
	// server records its own.
	c := config.Config{DataDir: dir, DatabaseURL: dbURL, MasterKeyFile: filepath.Join(dir, "master.key"), LogLevel: "warn", LogFormat: "text",
		BaseURL: "http://127.0.0.1"}

	fmt.Fprintf(os.Stderr, "%s: creating %d users through the store…\n", e.name, o.users)
	ids, createTime, apiKey, err := seed(ctx, c, o.users)
	if err != nil {
		return nil, err
	}
	rows := []result{{e.name, fmt.Sprintf("create %d users through the store", o.users),
		fmt.Sprintf("%.1f s (%.0f users/s)", createTime.Seconds(), float64(o.users)/createTime.Seconds()), goal(e, "< 15 s")}}

	args := []string{"--data-dir", dir}
	if dbURL != "" {
		args = append(args, "--database-url", dbURL)
	}
	srv, err := startServer(ctx, o.binary, args...)
	if err != nil {
		return nil, err
	}
	defer srv.stop()

	load := loadGetUser
	client := "Go client"
	if _, err := exec.LookPath("wrk"); err == nil && !o.goClient {
		load, client = loadWithWrk, "wrk"
	}
	// One short warm-up, then the measured runs.
	if _, err := load(ctx, srv.base, apiKey, ids, o.conns, 2*time.Second); err != nil {
		return nil, err
	}
	var rps, p50, p99 []float64
	errs := 0
	for i := 0; i < o.runs; i++ {
		fmt.Fprintf(os.Stderr, "%s: load run %d/%d (%d connections, %s)…\n", e.name, i+1, o.runs, o.conns, o.duration)
		r, err := load(ctx, srv.base, apiKey, ids, o.conns, o.duration)
		if err != nil {
			return nil, err
		}
		rps = append(rps, r.rps)
		p50 = append(p50, float64(r.p50))
		p99 = append(p99, float64(r.p99))
		errs += r.errors
	}
	label := fmt.Sprintf("GET /users/{id}, API key, %d conns (%s)", o.conns, client)
	rows = append(rows,
		result{e.name, label + ": requests/s (median of " + fmt.Sprint(o.runs) + ")", fmt.Sprintf("%.0f", median(rps)), ">= 5000"},
		result{e.name, label + ": p50 latency", time.Duration(median(p50)).Round(10 * time.Microsecond).String(), ""},
		result{e.name, label + ": p99 latency", time.Duration(median(p99)).Round(10 * time.Microsecond).String(), "< 20 ms"},
		result{e.name, label + ": failed requests", fmt.Sprint(errs), "0"},
	)

	t0 := time.Now()
	seen, err := listAllUsers(ctx, srv.base, apiKey, 1000)
	if err != nil {
		return nil, err
	}
	listTime := time.Since(t0)
	rss, peak, err := srv.memory()
	if err != nil {
		return nil, err
	}
	rows = append(rows,
		result{e.name, "list every user page by page (per_page=1000)", fmt.Sprintf("%d users in %.1f s", seen, listTime.Seconds()), ""},
		result{e.name, "server resident memory after the listing", mib(rss), "< 150 MB"},
		result{e.name, "server peak resident memory (whole run)", mib(peak), "< 150 MB"},
	)
	return rows, nil
}

func goal(e engine, g string) string {
	if e.name == "sqlite" {
		return g
	}
	return "(same run)"
}

// seed creates n users in one transaction, timing only the creation, and a
// site-wide API key for the load.
func seed(ctx context.Context, c config.Config, n int) ([]int64, time.Duration, string, error) {
	a, err := app.Open(ctx, c, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, 0, "", err
	}
	defer a.Close()
	ids := make([]int64, 0, n)
	t0 := time.Now()
	err = a.Store.Tx(ctx, func(ctx context.Context) error {
		for i := 0; i < n; i++ {
			u := store.User{
				SiteID:               a.Site.ID,
				Username:             fmt.Sprintf("user%06d", i),
				Email:                fmt.Sprintf("user%06d@example.com", i),
				Name:                 fmt.Sprintf("Bench User %d", i),
				AuthenticationMethod: store.AuthSSO,
				RestAPIPermission:    true,
				TimeZone:             "Eastern Time (US & Canada)",
			}
			if err := a.Store.CreateUser(ctx, &u); err != nil {
				return err
			}
			ids = append(ids, u.ID)
		}
		return nil
	})
	elapsed := time.Since(t0)
	if err != nil {
		return nil, 0, "", err
	}
	zero := int64(0)
	name := "bench"
	_, key, err := a.Identity.CreateAPIKey(ctx, identity.SystemActor, a.Site.ID, identity.APIKeyChange{UserID: &zero, Name: &name})
	if err != nil {
		return nil, 0, "", err
	}
	return ids, elapsed, key, nil
}

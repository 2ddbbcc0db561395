package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/store"
)

func eventsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "events", Short: "Read the SSO log, the external log and the SCIM log (all three by default, merged by time)"}
	cmd.AddCommand(eventsListCmd(), eventsTailCmd())
	return cmd
}

// eventFlags are the filters both subcommands take.
type eventFlags struct {
	log, typ, status, username, since string
	provider                          int64
}

func addEventFlags(cmd *cobra.Command, f *eventFlags, sinceDefault string) {
	fs := cmd.Flags()
	fs.StringVar(&f.log, "log", "all", "which log: all (the three merged by time), sso, external or scim")
	fs.StringVar(&f.typ, "type", "", "only entries of this event type (sso, external)")
	fs.StringVar(&f.status, "status", "", "only entries with this status, e.g. success, failure, partial_failure (sso, external)")
	fs.StringVar(&f.username, "username", "", "only entries about this username (sso)")
	fs.Int64Var(&f.provider, "provider", 0, "only entries about this SSO provider id")
	fs.StringVar(&f.since, "since", sinceDefault, "only entries from this long ago (24h, 7d) or since this time (RFC 3339)")
}

// logs are the logs the flags read: the one --log names, or for all,
// those that have every field filtered on (--username: the SSO log only).
func (f *eventFlags) logs() []string {
	if f.log != "all" {
		return []string{f.log}
	}
	switch {
	case f.username != "":
		return []string{"sso"}
	case f.typ != "" || f.status != "":
		return []string{"sso", "external"}
	}
	return []string{"sso", "external", "scim"}
}

// query turns the flags into a store query, refusing filters the chosen
// log does not have rather than ignoring them.
func (f *eventFlags) query(now time.Time) (store.EventQuery, error) {
	q := store.EventQuery{EventType: f.typ, Status: f.status, Username: f.username, SSOStrategyID: f.provider}
	switch f.log {
	case "all", "sso":
	case "external":
		if f.username != "" {
			return q, fmt.Errorf("--username applies to --log sso only")
		}
	case "scim":
		if f.username != "" || f.typ != "" || f.status != "" {
			return q, fmt.Errorf("--type, --status and --username do not apply to --log scim")
		}
	default:
		return q, fmt.Errorf("--log %q: want all, sso, external or scim", f.log)
	}
	since, err := parseSince(f.since, now)
	if err != nil {
		return q, err
	}
	q.CreatedAfter = since
	return q, nil
}

// parseSince reads "24h", "90m", "7d" (a time before now) or an RFC 3339
// time. Empty means no bound.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		n, err = strconv.Atoi(days)
		d = time.Duration(n) * 24 * time.Hour
	}
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("--since %q: want a duration such as 24h or 7d, or a time such as 2026-03-01T09:00:00Z", s)
	}
	return now.Add(-d), nil
}

// eventRow is one entry of any log, as the table shows it.
type eventRow struct {
	id                                   int64
	log                                  string
	at                                   time.Time
	typ, status, user, provider, summary string
}

// eventReader reads the chosen logs as rows.
type eventReader struct {
	a         *app.App
	logs      []string
	providers map[int64]string
	// after is, per log, the last entry read (for tail).
	after map[string]int64
}

func newEventReader(ctx context.Context, a *app.App, logs []string) (*eventReader, error) {
	r := &eventReader{a: a, logs: logs, providers: map[int64]string{}, after: map[string]int64{}}
	err := forEachPage(func(o store.ListOptions) ([]store.SSOStrategy, error) {
		return a.Identity.ListSSOStrategies(ctx, a.Site.ID, o)
	}, func(p store.SSOStrategy) int64 { return p.ID }, func(p store.SSOStrategy) error {
		r.providers[p.ID] = p.Label
		return nil
	})
	return r, err
}

func (r *eventReader) provider(id int64, label string) string {
	if label == "" {
		label = r.providers[id]
	}
	switch {
	case id == 0 && label == "":
		return ""
	case id == 0:
		return label
	case label == "":
		return "#" + strconv.FormatInt(id, 10)
	}
	return fmt.Sprintf("%s (#%d)", label, id)
}

// page reads one page of log; more reports whether a full page came back.
func (r *eventReader) page(ctx context.Context, log string, q store.EventQuery) (rows []eventRow, more bool, err error) {
	site := r.a.Site.ID
	switch log {
	case "sso":
		evs, err := r.a.Identity.ListSSOEvents(ctx, site, q)
		for _, e := range evs {
			user := e.Username
			if user == "" && e.UserID != 0 {
				user = "#" + strconv.FormatInt(e.UserID, 10)
			}
			summary := e.Body
			if len(e.EventErrors) > 0 {
				summary += " [" + strings.Join(e.EventErrors, "; ") + "]"
			}
			rows = append(rows, eventRow{e.ID, log, e.CreatedAt, e.EventType, e.Status, user,
				r.provider(e.SSOStrategyID, e.ProviderLabel), summary})
		}
		return rows, len(evs) == q.Limit, err
	case "external":
		evs, err := r.a.Identity.ListExternalEvents(ctx, site, q)
		for _, e := range evs {
			rows = append(rows, eventRow{e.ID, log, e.CreatedAt, e.EventType, e.Status, "", r.provider(e.SSOStrategyID, ""), e.Body})
		}
		return rows, len(evs) == q.Limit, err
	default:
		logs, err := r.a.Identity.ListScimLogs(ctx, site, q)
		for _, l := range logs {
			rows = append(rows, eventRow{l.ID, log, l.CreatedAt, "scim", strconv.Itoa(l.HTTPResponseCode), l.UserAgent,
				r.provider(l.SSOStrategyID, ""), l.RequestMethod + " " + l.RequestPath})
		}
		return rows, len(logs) == q.Limit, err
	}
}

// latest reads every entry of the logs matching q after the last one
// read, and returns the last n of them by time (all with n <= 0), the
// logs merged.
func (r *eventReader) latest(ctx context.Context, q store.EventQuery, n int) ([]eventRow, error) {
	var each [][]eventRow
	for _, log := range r.logs {
		rows, err := r.latestOf(ctx, log, q, n)
		if err != nil {
			return nil, err
		}
		each = append(each, rows)
		if len(rows) > 0 {
			r.after[log] = rows[len(rows)-1].id
		}
	}
	out := mergeByTime(each)
	if n > 0 && len(out) > n {
		out = out[len(out)-n:]
	}
	return out, nil
}

// mergeByTime merges logs, each in its own order (as written), into one
// list by time: the earliest of the logs' next entries goes first, so a
// log's own order is kept even where its times are not in order.
func mergeByTime(logs [][]eventRow) []eventRow {
	var out []eventRow
	for {
		next := -1
		for i, rows := range logs {
			if len(rows) > 0 && (next < 0 || rows[0].at.Before(logs[next][0].at)) {
				next = i
			}
		}
		if next < 0 {
			return out
		}
		out = append(out, logs[next][0])
		logs[next] = logs[next][1:]
	}
}

// latestOf pages through the entries of one log and keeps the last n.
func (r *eventReader) latestOf(ctx context.Context, log string, q store.EventQuery, n int) ([]eventRow, error) {
	var out []eventRow
	q.Limit = 1000
	q.AfterID = r.after[log]
	for {
		rows, more, err := r.page(ctx, log, q)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
		if n > 0 && len(out) > n {
			out = out[len(out)-n:]
		}
		if !more || len(rows) == 0 {
			return out, nil
		}
		q.AfterID = rows[len(rows)-1].id
	}
}

func eventsListCmd() *cobra.Command {
	var f eventFlags
	var limit int
	cmd := dbCommand("list", "List log entries, oldest first (the last --limit of them)", cobra.NoArgs,
		func(cmd *cobra.Command, a *app.App, _ []string) error {
			q, err := f.query(time.Now())
			if err != nil {
				return err
			}
			r, err := newEventReader(cmd.Context(), a, f.logs())
			if err != nil {
				return err
			}
			rows, err := r.latest(cmd.Context(), q, limit)
			if err != nil {
				return err
			}
			return printEventRows(cmd.OutOrStdout(), rows, true)
		})
	addEventFlags(cmd, &f, "24h")
	cmd.Flags().IntVar(&limit, "limit", 100, "show at most this many of the newest matching entries (0: all)")
	return cmd
}

func eventsTailCmd() *cobra.Command {
	var f eventFlags
	var every time.Duration
	cmd := dbCommand("tail", "Show the last 10 log entries, then new ones as they arrive, until interrupted", cobra.NoArgs,
		func(cmd *cobra.Command, a *app.App, _ []string) error {
			ctx := cmd.Context()
			q, err := f.query(time.Now())
			if err != nil {
				return err
			}
			r, err := newEventReader(ctx, a, f.logs())
			if err != nil {
				return err
			}
			rows, err := r.latest(ctx, q, 10)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if err := printEventRows(out, rows, true); err != nil {
				return err
			}
			tick := time.NewTicker(every)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return nil
				case <-tick.C:
				}
				rows, err := r.latest(ctx, q, 0)
				if err != nil {
					if ctx.Err() != nil {
						return nil
					}
					return err
				}
				if len(rows) == 0 {
					continue
				}
				if err := printEventRows(out, rows, false); err != nil {
					return err
				}
			}
		})
	addEventFlags(cmd, &f, "24h")
	cmd.Flags().DurationVar(&every, "every", 2*time.Second, "how often to look for new entries")
	return cmd
}

// printEventRows writes rows as a table. Log entries hold text from
// outside (bodies, user agents, usernames): control characters, which
// could drive the terminal, are shown as spaces.
func printEventRows(w io.Writer, rows []eventRow, header bool) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	if header {
		fmt.Fprintln(tw, "ID\tLOG\tTIME\tTYPE\tSTATUS\tUSER\tPROVIDER\tSUMMARY")
	}
	for _, e := range rows {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.id, e.log, e.at.Local().Format("2006-01-02 15:04:05"),
			cell(e.typ, 24), cell(e.status, 16), cell(e.user, 32), cell(e.provider, 32), cell(e.summary, 120))
	}
	return tw.Flush()
}

// cell makes s one printable line of at most max runes.
func cell(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.In(r, unicode.Bidi_Control, unicode.Zl, unicode.Zp) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "-"
	}
	if r := []rune(s); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}

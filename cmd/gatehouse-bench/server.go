package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// serverLogs, set by -server-logs, passes the servers' logs through.
var serverLogs bool

// server is a gatehouse serve child process.
type server struct {
	cmd  *exec.Cmd
	base string
}

// startServer runs `gatehouse serve` with the given extra arguments on a free
// loopback port and waits until /readyz answers.
func startServer(ctx context.Context, binary string, args ...string) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	// The table measures HTTP only; the transfer and metrics listeners
	// stay off, so a server already on their default ports cannot stop the
	// run.
	cmd := exec.CommandContext(ctx, binary, append([]string{"serve", "--listen", addr, "--log-level", "warn",
		"--sftp-listen", "off", "--ftp-listen", "off", "--metrics-listen", "off"}, args...)...)
	cmd.Stdout, cmd.Stderr = nil, nil
	if serverLogs {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, base: "http://" + addr}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.stop()
	return nil, fmt.Errorf("server on %s did not become ready within 60s", addr)
}

// stop sends SIGTERM (the graceful path) and waits.
func (s *server) stop() {
	if s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(35 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

// memory returns the server's current and peak resident set size in bytes.
func (s *server) memory() (rss, peak int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(fields[1], 10, 64)
		switch fields[0] {
		case "VmRSS:":
			rss = kb * 1024
		case "VmHWM:":
			peak = kb * 1024
		}
	}
	return rss, peak, sc.Err()
}

// idleMemory starts a server on an empty data directory, lets it settle,
// and reads its resident memory.
func idleMemory(ctx context.Context, o options) (int64, error) {
	dir, err := os.MkdirTemp("", "gatehouse-bench-idle-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	s, err := startServer(ctx, o.binary, "--data-dir", dir)
	if err != nil {
		return 0, err
	}
	defer s.stop()
	time.Sleep(3 * time.Second)
	rss, _, err := s.memory()
	return rss, err
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// runDemoSite serves the demo's small web site: iissd --demo runs it as
// the "W3SVC" service (iissd re-executes itself), so stopping and starting
// the Internet services visibly takes the site down and up.
func runDemoSite(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("iissd demo-site", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "address to serve on")
	name := fs.String("name", "W3SVC", "the service name shown on the page")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(stderr, "demo-site:", err)
		return 1
	}
	started := time.Now()
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "Hello from the iissd demo site (%s), pid %d, up %s\n", *name, os.Getpid(), time.Since(started).Round(time.Second))
	})}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, "demo-site:", err)
		return 1
	}
	return 0
}

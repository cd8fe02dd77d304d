package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

var version = "0.1.0-dev"

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "user":
			return runUser(args[1:], stdin, stdout, stderr)
		case "disable", "enable":
			return runToggle(args[0], args[1:], stdout, stderr)
		case "demo-site":
			return runDemoSite(args[1:], stderr)
		case "demo-service":
			return runDemoService()
		case "version":
			fmt.Fprintln(stdout, "iissd", version)
			return 0
		}
	}
	return runServe(args, stdout, stderr)
}

type serveFlags struct {
	config, listen, objectListen, state string
	demo                                bool
}

func runServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("iissd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f serveFlags
	fs.StringVar(&f.config, "config", "/etc/iissd/iissd.toml", "configuration file")
	fs.BoolVar(&f.demo, "demo", false, "run the built-in demo: three services, an administrator 'admin', loopback only")
	fs.StringVar(&f.listen, "listen", "", "activation address (overrides listen.activation; demo default 127.0.0.1:135)")
	fs.StringVar(&f.objectListen, "object-listen", "", "object exporter address (overrides listen.object)")
	fs.StringVar(&f.state, "state", "", "state directory (overrides state.dir)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	var err error
	if f.demo {
		err = serveDemo(ctx, f, stdout, stderr)
	} else {
		err = serveConfigFile(ctx, f, stderr)
	}
	if err != nil {
		fmt.Fprintln(stderr, "iissd:", err)
		return 1
	}
	return 0
}

func serveConfigFile(ctx context.Context, f serveFlags, stderr io.Writer) error {
	cfg, err := LoadConfig(f.config)
	if err != nil {
		return err
	}
	f.apply(cfg)
	return serve(ctx, cfg, f.config, stderr, nil)
}

// apply lets command-line flags override the file.
func (f serveFlags) apply(cfg *Config) {
	if f.listen != "" {
		cfg.Listen.Activation = f.listen
	}
	if f.objectListen != "" {
		cfg.Listen.Object = f.objectListen
	}
	if f.state != "" {
		cfg.State.Dir = f.state
	}
}

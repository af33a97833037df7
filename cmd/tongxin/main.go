// Command tongxin is the community's WeChat official-account assistant.
//
//	tongxin serve       run the webhook, admin API and workers
//	tongxin migrate     apply database migrations and exit
//	tongxin chat        talk to a running server as a resident, in the terminal
//	tongxin menu push   publish the custom menu through the official-account API
//	tongxin erase       erase a resident's personal data (tongxin erase -h)
//
// Configuration comes from TONGXIN_* environment variables (see README).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/tongxin/tongxin/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "tongxin:", err)
		os.Exit(1)
	}
}

const usage = `usage: tongxin <command>

commands:
  serve       run the service (webhook, admin API, health, metrics)
  migrate     apply database migrations and exit
  chat        chat with a running server as a resident (tongxin chat -h)
  menu push   publish the custom menu to the official account
  erase       erase a resident's personal data (tongxin erase -h)`

// run is main without the process: tests call it with their own
// environment and streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	case "erase":
		// Its flags come first: erase -h answers without a configuration.
		return erase(ctx, args[1:], func() (config.Config, *slog.Logger, error) {
			cfg, err := config.Load(getenv, configRules...)
			if err != nil {
				return config.Config{}, nil, err
			}
			return cfg, newLogger(cfg, stderr), nil
		}, stdout)
	}
	cfg, err := config.Load(getenv, configRules...)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	switch args[0] {
	case "serve":
		return serve(ctx, cfg, log, nil)
	case "migrate":
		return migrate(ctx, cfg, log)
	case "chat":
		return chat(ctx, cfg, args[1:], stdin, stdout)
	case "menu":
		if len(args) < 2 || args[1] != "push" {
			return errors.New("usage: tongxin menu push")
		}
		return pushMenu(ctx, cfg, log, stdout)
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

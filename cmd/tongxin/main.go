// Command tongxin is the community's WeChat official-account assistant.
//
//	tongxin serve       run the webhook, admin API and workers
//	tongxin migrate     apply database migrations and exit
//	tongxin chat        talk to a running server as a resident, in the terminal
//	tongxin bench       play many residents against a running server and time it
//	tongxin menu push   publish the custom menu through the official-account API
//	tongxin erase       erase a resident's personal data
//	tongxin version     print the version and the Go it was built with
//
// Every command answers -h (or tongxin help COMMAND) without doing
// anything. Configuration comes from TONGXIN_* environment variables (see
// README).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
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

// invocation is what a command runs with. Its configuration is loaded
// only once the command's flags are parsed (load), so that -h and a
// mistyped flag are answered whatever the environment holds.
type invocation struct {
	args   []string
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// load reads the configuration and builds the logger it asks for.
func (inv *invocation) load() (config.Config, *slog.Logger, error) {
	cfg, err := config.Load(inv.getenv, configRules...)
	if err != nil {
		return config.Config{}, nil, err
	}
	return cfg, newLogger(cfg, inv.stderr), nil
}

// command is one subcommand: its name as typed ("menu push"), a line for
// the command list, and what it does. run parses its own flags first
// (flags), so help never acts.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, inv *invocation) error
}

var commands = []command{
	{"serve", "run the service (webhook, admin API, health, metrics, workers)", serveCommand},
	{"migrate", "apply database migrations and exit", migrateCommand},
	{"chat", "chat with a running server as a resident, in the terminal", chatCommand},
	{"bench", "play many residents against a running server: msg/s, latency, errors", benchCommand},
	{"menu push", "publish the custom menu to the official account", menuPushCommand},
	{"erase", "erase a resident's personal data", eraseCommand},
	{"version", "print the version and the Go it was built with", versionCommand},
}

func usage() string {
	var b strings.Builder
	b.WriteString("usage: tongxin <command> [flags]\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-10s  %s\n", c.name, c.summary)
	}
	b.WriteString("\ntongxin <command> -h (or tongxin help <command>) explains a command and does nothing else.\n" +
		"Configuration: TONGXIN_* environment variables (README).")
	return b.String()
}

// find returns the command args start with and the arguments after its
// name.
func find(args []string) (*command, []string) {
	for i := range commands {
		words := strings.Fields(commands[i].name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == commands[i].name {
			return &commands[i], args[len(words):]
		}
	}
	return nil, nil
}

// run is main without the process: tests call it with their own
// environment and streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage())
		return errors.New("no command given")
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) == 1 {
			fmt.Fprintln(stdout, usage())
			return nil
		}
		// help COMMAND is COMMAND -h.
		args = append(append([]string(nil), args[1:]...), "-h")
	case "menu":
		// The only menu command is push: say so rather than "unknown".
		if len(args) == 1 || args[1] != "push" {
			if len(args) > 1 && isHelp(args[1]) {
				fmt.Fprintln(stdout, "usage: tongxin menu push [-h]")
				return nil
			}
			fmt.Fprintln(stderr, "usage: tongxin menu push [-h]")
			return errors.New("menu: the only menu command is push")
		}
	}
	c, rest := find(args)
	if c == nil {
		fmt.Fprintln(stderr, usage())
		return fmt.Errorf("unknown command %q", args[0])
	}
	return c.run(ctx, &invocation{args: rest, getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr})
}

func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

// flags parses a command's flags: "usage: tongxin NAME ..." and the text
// head its help starts with, then its flags. On -h it prints the help to
// stdout and reports done with no error; on a flag it does not know, or
// an argument where it takes none, it prints the usage to stderr and
// returns the error. A command runs only when done is false.
func flags(fs *flag.FlagSet, inv *invocation, head string, positional bool) (done bool, err error) {
	fs.SetOutput(io.Discard) // the errors are returned, the usage printed here
	help := func(w io.Writer) {
		fmt.Fprintln(w, head)
		fs.SetOutput(w)
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintln(w, "\nflags:")
			fs.PrintDefaults()
		}
		fs.SetOutput(io.Discard)
	}
	err = fs.Parse(inv.args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		help(inv.stdout)
		return true, nil
	case err != nil:
		help(inv.stderr)
		return true, fmt.Errorf("%s: %w", fs.Name(), err)
	case !positional && fs.NArg() > 0:
		// A help asked for after an argument still only helps.
		for _, a := range fs.Args() {
			if isHelp(a) {
				help(inv.stdout)
				return true, nil
			}
		}
		help(inv.stderr)
		return true, fmt.Errorf("%s: unexpected argument %q (tongxin %s -h)", fs.Name(), fs.Arg(0), fs.Name())
	}
	return false, nil
}

const serveUsage = `usage: tongxin serve

Runs the service until interrupted: the WeChat webhook (POST /wechat), the
admin API (/api/v1/, with TONGXIN_ADMIN_TOKEN), /healthz, /readyz,
/metrics, and the workers that deliver notices. Applies the database
migrations first. Configured by TONGXIN_* environment variables (README).`

func serveCommand(ctx context.Context, inv *invocation) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	if done, err := flags(fs, inv, serveUsage, false); done {
		return err
	}
	cfg, log, err := inv.load()
	if err != nil {
		return err
	}
	return serve(ctx, cfg, log, nil)
}

const migrateUsage = `usage: tongxin migrate

Applies the database migrations (TONGXIN_DATABASE_URL) and exits. serve
applies them too; this is for deploying the schema before the service.`

func migrateCommand(ctx context.Context, inv *invocation) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	if done, err := flags(fs, inv, migrateUsage, false); done {
		return err
	}
	cfg, log, err := inv.load()
	if err != nil {
		return err
	}
	return migrate(ctx, cfg, log)
}

const menuPushUsage = `usage: tongxin menu push

Publishes the bot's main menu as the official account's custom menu,
through the official-account API (TONGXIN_WECHAT_APPID, _SECRET,
_API_BASE). It replaces the menu residents see.`

func menuPushCommand(ctx context.Context, inv *invocation) error {
	fs := flag.NewFlagSet("menu push", flag.ContinueOnError)
	if done, err := flags(fs, inv, menuPushUsage, false); done {
		return err
	}
	cfg, log, err := inv.load()
	if err != nil {
		return err
	}
	return pushMenu(ctx, cfg, log, inv.stdout)
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

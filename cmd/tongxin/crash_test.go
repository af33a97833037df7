package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/jobs"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/wechat"
	"github.com/tongxin/tongxin/wechat/wechattest"
)

// TestCrashLosesNothing kills a real tongxin process (SIGKILL) while it is
// delivering, starts another, and counts at the fake WeChat API: every
// notification arrives, exactly once. The servers run with a 2 s job
// timeout and a 3 s rescue, so the second takes up the killed one's
// deliveries as soon as it leads the job queue (River's leader lease, up to
// 15 s) rather than after a minute's row lease.
func TestCrashLosesNothing(t *testing.T) {
	bin := testBinary(t)
	dir := t.TempDir()
	dbURL := storagetest.SQLiteURL(t)
	if os.Getenv("TONGXIN_TEST_POSTGRES_URL") != "" {
		dbURL = storagetest.PostgresURL(t)
	}
	e := newEnv(t, dbURL)
	cfgFile := filepath.Join(dir, "tongxin.toml")
	if err := os.WriteFile(cfgFile, []byte("[notify.templates.crash_test]\nid = \"TPL-CRASH\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.vars["TONGXIN_CONFIG_FILE"] = cfgFile
	e.vars["TONGXIN_NOTIFY_JOB_TIMEOUT"] = "2s"
	e.vars["TONGXIN_NOTIFY_RESCUE_AFTER"] = "3s"
	e.vars["TONGXIN_QUIET_HOURS"] = "off"

	// Queue the notifications as a feature would, before any server runs.
	store, err := storage.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := migrateAll(context.Background(), store); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	runner, err := jobs.New(store, jobs.Config{}, log)
	if err != nil {
		t.Fatal(err)
	}
	queue, err := notify.New(runner, store, nil, notify.Config{}, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	const total = 30
	for i := range total {
		err := store.Transact(context.Background(), func(tx *storage.Tx) error {
			_, err := queue.Enqueue(context.Background(), tx, bot.Notice{
				Kind: "crash_test", To: fmt.Sprintf("o-crash-%02d", i), Key: fmt.Sprintf("crash-%02d", i),
				Text: "通知", Fields: map[string]string{"title": fmt.Sprintf("第%d条", i)},
			})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Residents are outside the 48-hour window, so every notification goes
	// as a template message, whose client_msg_id lets WeChat (and the fake)
	// drop a send repeated after the crash.
	e.fake.FailNext(wechattest.PathCustomSend, wechat.CodeOutOfWindow, 10*total)
	e.fake.SetDelay(150 * time.Millisecond)

	first := e.spawn(t, bin)
	bottest.WaitFor(t, 60*time.Second, "the first server delivered nothing", func() bool {
		return e.fake.Count(wechattest.PathTemplate) >= 5
	})
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	delivered := e.fake.Count(wechattest.PathTemplate)
	if delivered >= total {
		t.Fatalf("everything was delivered before the crash (%d); the test proves nothing", delivered)
	}
	t.Logf("killed after %d of %d deliveries", delivered, total)

	e.fake.SetDelay(0)
	second := e.spawn(t, bin)
	// The ledger empties once the second server has sent what the first
	// never took up and, after the lease, what it was sending when killed
	// (WeChat drops a repeat by its client_msg_id).
	bottest.WaitFor(t, 90*time.Second, "notifications still pending on the ledger", func() bool {
		rows, err := store.ListNotifications(context.Background(), storage.NotificationPending, 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		return len(rows) == 0
	})
	// Stop the server, so that nothing can be sent after the count.
	stop(second)

	seen := map[string]int{}
	for _, s := range e.fake.TemplateSends() {
		seen[s.ToUser]++
	}
	for who, n := range seen {
		if n != 1 {
			t.Errorf("%s got %d template messages, want 1", who, n)
		}
	}
	if len(seen) != total {
		t.Errorf("template messages reached %d residents, want %d", len(seen), total)
	}
	if n := e.fake.Count(wechattest.PathTemplate); n != total {
		t.Errorf("the fake counted %d template sends, want %d", n, total)
	}
	sent, err := store.ListNotifications(context.Background(), storage.NotificationSent, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(sent) != total {
		t.Errorf("%d notifications sent on the ledger, want %d", len(sent), total)
	}
}

// stop ends a server as SIGTERM does in production: in-flight work
// finishes, then the process exits.
func stop(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
}

// spawn runs the binary with the environment's variables until the test
// ends.
func (e *testEnv) spawn(t *testing.T, bin string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range e.vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop(cmd) // again, after a test's own stop, is harmless
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return cmd
}

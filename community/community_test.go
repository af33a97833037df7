package community_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	cm "github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/community"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/notify/notifytest"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/redisstate"
	"github.com/tongxin/tongxin/storage/redisstate/redistest"
	"github.com/tongxin/tongxin/storage/storagetest"
)

var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, bot.Shanghai)

// failures records the reasons OnBindFailure reports.
type failures struct {
	mu      sync.Mutex
	reasons []string
}

func (f *failures) add(r string) { f.mu.Lock(); f.reasons = append(f.reasons, r); f.mu.Unlock() }

func (f *failures) count(r string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, x := range f.reasons {
		if x == r {
			n++
		}
	}
	return n
}

type rig struct {
	store *storage.Store
	svc   *community.Service
	clock *bottest.Clock
	fails *failures
}

func newRig(t *testing.T, s *storage.Store) *rig {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	box := notifytest.Queue(t, s, notify.Config{})
	c, prefix, _ := redistest.New(t)
	r := &rig{store: s, clock: bottest.NewClock(t0), fails: &failures{}}
	r.svc = community.New(s, community.Config{
		Now:           r.clock.Now,
		Failures:      &redisstate.Counter{Client: c, Prefix: prefix, Window: time.Hour},
		Notices:       box,
		OnBindFailure: r.fails.add,
		Log:           log,
	})
	return r
}

func (r *rig) create(t *testing.T, name string, roles ...cm.Role) (cm.Staff, string) {
	t.Helper()
	var rs []string
	for _, x := range roles {
		rs = append(rs, string(x))
	}
	st, code, err := r.svc.CreateStaff(context.Background(), community.StaffInput{Name: name, Roles: rs})
	if err != nil {
		t.Fatalf("CreateStaff(%s): %v", name, err)
	}
	return st, code
}

func message(err error) string {
	var ue *bot.UserError
	if errors.As(err, &ue) {
		return ue.Message
	}
	return ""
}

// TestBindCodesCannotBeGuessed reproduces the attack of the review (six
// digits, a week, no limit: a supervisor taken in 50 guesses over five
// openids) and shows each part of the defence.
func TestBindCodesCannotBeGuessed(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		sup, code := r.create(t, "王芳", cm.RoleSupervisor)

		// Long, random, from an alphabet without look-alikes.
		if !regexp.MustCompile(`^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{10}$`).MatchString(code) {
			t.Fatalf("bind code %q: want 10 characters without 0/O/1/I/L", code)
		}
		// Stored hashed: the database never holds the code itself.
		var stored string
		if err := s.DB().GetContext(ctx, &stored, s.DB().Rebind(`SELECT bind_code FROM staff WHERE id = ?`), sup.ID); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(code))
		if stored == code || stored != hex.EncodeToString(sum[:]) {
			t.Errorf("stored bind code %q: want the SHA-256 of the code, never the code", stored)
		}

		// Five openids guessing five times each: all locked out, and the
		// right code no longer binds from any of them.
		for i := range 5 {
			openid := fmt.Sprintf("o-attacker-%d", i)
			for j := range 5 {
				if _, err := r.svc.Bind(ctx, openid, fmt.Sprintf("%06d", i*5+j)); message(err) == "" {
					t.Fatalf("guess %d from %s: %v, want a refusal", j, openid, err)
				}
			}
			if _, err := r.svc.Bind(ctx, openid, code); !strings.Contains(message(err), "失败次数过多") {
				t.Fatalf("the right code from a locked-out openid: %v, want the lock-out", err)
			}
		}
		if got := r.fails.count("bad_code"); got != 25 {
			t.Errorf("bad_code failures counted %d, want 25", got)
		}
		if got := r.fails.count("locked"); got != 5 {
			t.Errorf("locked refusals counted %d, want 5", got)
		}
		// The real staff member, from their own phone, still binds, in
		// lower case and with a dash as people type it.
		typed := strings.ToLower(code[:5]) + "-" + code[5:]
		got, err := r.svc.Bind(ctx, "o-wangfang", typed)
		if err != nil || got.ID != sup.ID {
			t.Fatalf("Bind by the owner = %+v, %v", got, err)
		}
	})
}

func TestBindLocksEveryoneOutAfterManyFailures(t *testing.T) {
	r := newRig(t, storagetest.Open(t))
	ctx := context.Background()
	_, code := r.create(t, "张三", cm.RoleGridWorker)
	for i := range 50 {
		if _, err := r.svc.Bind(ctx, fmt.Sprintf("o-spread-%d", i), "22222AAAAA"); message(err) == "" {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	if _, err := r.svc.Bind(ctx, "o-zhangsan", code); !strings.Contains(message(err), "暂时不可用") {
		t.Fatalf("after 50 failures over 50 openids: %v, want binding paused for everyone", err)
	}
	if got := r.fails.count("locked_all"); got != 1 {
		t.Errorf("locked_all counted %d, want 1", got)
	}
}

func TestBindCodesLastADay(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		st, code := r.create(t, "周网格", cm.RoleGridWorker)
		r.clock.Set(t0.Add(community.BindCodeTTL + time.Minute))
		if _, err := r.svc.Bind(ctx, "o-late", code); !strings.Contains(message(err), "过期") {
			t.Fatalf("a code past a day: %v, want expired", err)
		}
		fresh, expires, err := r.svc.ReissueBindCode(ctx, st.ID)
		if err != nil || fresh == code || !expires.Equal(r.clock.Now().UTC().Add(community.BindCodeTTL)) {
			t.Fatalf("reissue: %q %v %v", fresh, expires, err)
		}
		if _, err := r.svc.Bind(ctx, "o-late", fresh); err != nil {
			t.Fatalf("bind with the reissued code: %v", err)
		}
	})
}

// TestBindTellsTheAdmins: a successful bind is news to every bound admin,
// in the bind's transaction; with no admin bound it goes to the duty group.
func TestBindTellsTheAdmins(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		_, adminCode := r.create(t, "管理员甲", cm.RoleAdmin)
		if _, err := r.svc.Bind(ctx, "o-admin", adminCode); err != nil {
			t.Fatal(err)
		}
		_, code := r.create(t, "张三", cm.RoleGridWorker)
		if _, err := r.svc.Bind(ctx, "o-zhangsan-1234", code); err != nil {
			t.Fatal(err)
		}
		all, err := s.ListNotifications(ctx, "", 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		var to []string
		for i := len(all) - 1; i >= 0; i-- { // newest first: read oldest first
			n := all[i]
			if n.Kind != community.NoticeStaffBound {
				continue
			}
			to = append(to, n.Recipient)
			if n.Recipient == "o-admin" && (strings.Contains(n.Payload, "o-zhangsan") || !strings.Contains(n.Payload, "尾号 1234")) {
				t.Errorf("bind notice payload %s: want the openid's tail only", n.Payload)
			}
		}
		// The first admin's own bind had no other admin: the duty group.
		if fmt.Sprint(to) != "[role:duty o-admin]" {
			t.Errorf("bind notices went to %v, want [role:duty o-admin]", to)
		}
	})
}

func TestPatchAndUnbindStaff(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		st, code := r.create(t, "张三", cm.RoleGridWorker)
		if _, err := r.svc.Bind(ctx, "o-zhangsan", code); err != nil {
			t.Fatal(err)
		}
		var hooked []int64
		r.svc.OnDeactivate(func(ctx context.Context, tx *storage.Tx, st cm.Staff) error {
			hooked = append(hooked, st.ID)
			return nil
		})
		name, roles := "张三丰", []string{"grid_worker", "mediator"}
		got, err := r.svc.PatchStaff(ctx, st.ID, community.StaffPatch{Name: &name, Roles: &roles})
		if err != nil || got.Name != name || !got.Has(cm.RoleMediator) || !got.Active || len(hooked) != 0 {
			t.Fatalf("PatchStaff(name, roles) = %+v, %v (hooks %v)", got, err, hooked)
		}
		bad := []string{"janitor"}
		if _, err := r.svc.PatchStaff(ctx, st.ID, community.StaffPatch{Roles: &bad}); !strings.HasPrefix(fmt.Sprint(err), "community.PatchStaff") || message(err) == "" {
			t.Errorf("unknown role: %v", err)
		}
		off := false
		if got, err = r.svc.PatchStaff(ctx, st.ID, community.StaffPatch{Active: &off}); err != nil || got.Active {
			t.Fatalf("deactivate: %+v, %v", got, err)
		}
		if fmt.Sprint(hooked) != fmt.Sprint([]int64{st.ID}) {
			t.Errorf("deactivation hooks ran for %v", hooked)
		}
		if _, err := r.svc.PatchStaff(ctx, st.ID, community.StaffPatch{Active: &off}); err != nil || len(hooked) != 1 {
			t.Errorf("deactivating twice ran the hooks again: %v %v", hooked, err)
		}
		if _, err := r.svc.PatchStaff(ctx, 4242, community.StaffPatch{Active: &off}); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("unknown id: %v", err)
		}
		// Inactive staff cannot bind a new phone either.
		code2, _, err := r.svc.ReissueBindCode(ctx, st.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.svc.Bind(ctx, "o-new-phone", code2); message(err) == "" {
			t.Errorf("an inactive staff member bound a phone: %v", err)
		}

		// Unbinding forgets the openid; a new code binds the new phone.
		on := true
		if _, err := r.svc.PatchStaff(ctx, st.ID, community.StaffPatch{Active: &on}); err != nil {
			t.Fatal(err)
		}
		if got, err = r.svc.Unbind(ctx, st.ID); err != nil || got.OpenID != "" {
			t.Fatalf("Unbind = %+v, %v", got, err)
		}
		if _, err := r.svc.StaffByOpenID(ctx, "o-zhangsan"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("the unbound openid is still staff: %v", err)
		}
		code3, _, err := r.svc.ReissueBindCode(ctx, st.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := r.svc.Bind(ctx, "o-new-phone", code3); err != nil || got.ID != st.ID {
			t.Errorf("bind after unbind: %+v, %v", got, err)
		}
		if _, err := r.svc.Unbind(ctx, 4242); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("unbind unknown id: %v", err)
		}
	})
}

// TestContactLookups: residents are given a grid worker's work phone,
// never their private one; the duty roster lists the active 值班员 only;
// a building's grid worker is found through its grid, and a building
// without one is not found.
func TestContactLookups(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		worker, _, err := r.svc.CreateStaff(ctx, community.StaffInput{Name: "张网格", Phone: "13900000001", WorkPhone: "0937-6221234", Roles: []string{"grid_worker"}})
		if err != nil || worker.WorkPhone != "0937-6221234" {
			t.Fatalf("CreateStaff with a work phone = %+v, %v", worker, err)
		}
		if _, _, err := r.svc.CreateStaff(ctx, community.StaffInput{Name: "钱", WorkPhone: "打我电话", Roles: []string{"duty"}}); message(err) == "" {
			t.Errorf("a work phone that is no number: %v", err)
		}
		duty, _ := r.create(t, "王值班", cm.RoleDuty)
		gone, _ := r.create(t, "赵离职", cm.RoleDuty)
		off := false
		if _, err := r.svc.PatchStaff(ctx, gone.ID, community.StaffPatch{Active: &off}); err != nil {
			t.Fatal(err)
		}
		onDuty, err := r.svc.OnDuty(ctx)
		if err != nil || len(onDuty) != 1 || onDuty[0].ID != duty.ID {
			t.Errorf("OnDuty = %+v, %v; want only 王值班", onDuty, err)
		}
		for _, n := range []int{3, 4} {
			if _, err := r.svc.SaveBuilding(ctx, community.BuildingInput{Number: n}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := r.svc.CreateGrid(ctx, community.GridInput{Name: "一网格", WorkerID: worker.ID, Buildings: []int{3}}); err != nil {
			t.Fatal(err)
		}
		got, err := r.svc.GridWorker(ctx, 3)
		if err != nil || got.ID != worker.ID || got.WorkPhone != "0937-6221234" {
			t.Errorf("GridWorker(3) = %+v, %v", got, err)
		}
		for _, n := range []int{4, 99} {
			if _, err := r.svc.GridWorker(ctx, n); !errors.Is(err, bot.ErrNotFound) {
				t.Errorf("GridWorker(%d) = %v, want not found", n, err)
			}
		}
		work := ""
		if got, err := r.svc.PatchStaff(ctx, worker.ID, community.StaffPatch{WorkPhone: &work}); err != nil || got.WorkPhone != "" {
			t.Errorf("removing the work phone: %+v, %v", got, err)
		}
	})
}

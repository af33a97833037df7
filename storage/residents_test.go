package storage_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

// shanghai is the zone the community lives in; a fixed zone so the tests need
// no tzdata.
var shanghai = time.FixedZone("CST", 8*3600)

// at returns a Shanghai time with nanoseconds, to check that storage stores
// UTC and truncates to microseconds on both engines.
func at(day, hour int) time.Time {
	return time.Date(2025, 3, day, hour, 30, 15, 123456789, shanghai)
}

// stored is what t reads back as.
func stored(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func ptr[T any](v T) *T { return &v }

var profile = bot.Resident{
	OpenID:  "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
	Name:    "阿依古丽",
	Phone:   "13800138000",
	Address: "3号楼2单元201",
	Role:    "户主",
	Note:    "独居老人",
}

func TestResidents(t *testing.T) {
	id := profile.OpenID
	renamed := profile
	renamed.Name, renamed.Phone, renamed.Note = "阿依古丽·买买提", "13900139000", ""

	for n, tc := range []struct {
		name string
		// steps run in order; step i runs with the clock at at(1, i).
		steps []func(context.Context, bot.Residents) error
		want  bot.Resident
	}{
		{
			name: "profile only",
			steps: []func(context.Context, bot.Residents) error{
				func(ctx context.Context, r bot.Residents) error { return r.SaveProfile(ctx, profile) },
			},
			want: with(profile, func(r *bot.Resident) {
				r.CreatedAt, r.UpdatedAt = stored(at(1, 0)), stored(at(1, 0))
			}),
		},
		{
			name: "follow only",
			steps: []func(context.Context, bot.Residents) error{
				func(ctx context.Context, r bot.Residents) error { return r.SetSubscribed(ctx, id, true, at(20, 9)) },
			},
			want: bot.Resident{
				OpenID: id, Subscribed: true, SubscribedAt: ptr(stored(at(20, 9))),
				CreatedAt: stored(at(1, 0)), UpdatedAt: stored(at(1, 0)),
			},
		},
		{
			name: "every field: follow, profile, unfollow, update profile",
			steps: []func(context.Context, bot.Residents) error{
				func(ctx context.Context, r bot.Residents) error { return r.SetSubscribed(ctx, id, true, at(20, 9)) },
				func(ctx context.Context, r bot.Residents) error { return r.SaveProfile(ctx, profile) },
				func(ctx context.Context, r bot.Residents) error { return r.SetSubscribed(ctx, id, false, at(21, 9)) },
				func(ctx context.Context, r bot.Residents) error { return r.SaveProfile(ctx, renamed) },
			},
			want: with(renamed, func(r *bot.Resident) {
				r.Subscribed = false
				r.SubscribedAt, r.UnsubscribedAt = ptr(stored(at(20, 9))), ptr(stored(at(21, 9)))
				r.CreatedAt, r.UpdatedAt = stored(at(1, 0)), stored(at(1, 3))
			}),
		},
		{
			name: "profile upsert keeps subscription",
			steps: []func(context.Context, bot.Residents) error{
				func(ctx context.Context, r bot.Residents) error { return r.SetSubscribed(ctx, id, true, at(20, 9)) },
				func(ctx context.Context, r bot.Residents) error {
					// Subscription fields of the argument are ignored.
					p := profile
					p.Subscribed, p.SubscribedAt, p.UnsubscribedAt = false, nil, ptr(at(2, 2))
					return r.SaveProfile(ctx, p)
				},
			},
			want: with(profile, func(r *bot.Resident) {
				r.Subscribed, r.SubscribedAt = true, ptr(stored(at(20, 9)))
				r.CreatedAt, r.UpdatedAt = stored(at(1, 0)), stored(at(1, 1))
			}),
		},
		{
			name: "subscription upsert keeps profile",
			steps: []func(context.Context, bot.Residents) error{
				func(ctx context.Context, r bot.Residents) error { return r.SaveProfile(ctx, profile) },
				func(ctx context.Context, r bot.Residents) error { return r.SetSubscribed(ctx, id, true, at(20, 9)) },
				func(ctx context.Context, r bot.Residents) error { return r.SetSubscribed(ctx, id, false, at(21, 9)) },
				func(ctx context.Context, r bot.Residents) error { return r.SetSubscribed(ctx, id, true, at(22, 9)) },
			},
			want: with(profile, func(r *bot.Resident) {
				r.Subscribed = true
				r.SubscribedAt, r.UnsubscribedAt = ptr(stored(at(22, 9))), ptr(stored(at(21, 9)))
				r.CreatedAt, r.UpdatedAt = stored(at(1, 0)), stored(at(1, 3))
			}),
		},
		{
			name: "late retry of an older follow does not undo an unfollow",
			steps: []func(context.Context, bot.Residents) error{
				func(ctx context.Context, r bot.Residents) error { return r.SetSubscribed(ctx, id, false, at(21, 9)) },
				func(ctx context.Context, r bot.Residents) error { return r.SetSubscribed(ctx, id, true, at(20, 9)) },
			},
			want: bot.Resident{
				OpenID: id, Subscribed: false,
				SubscribedAt: ptr(stored(at(20, 9))), UnsubscribedAt: ptr(stored(at(21, 9))),
				CreatedAt: stored(at(1, 0)), UpdatedAt: stored(at(1, 1)),
			},
		},
		{
			name: "late retry of an older unfollow keeps the newer unfollow time",
			steps: []func(context.Context, bot.Residents) error{
				func(ctx context.Context, r bot.Residents) error { return r.SetSubscribed(ctx, id, false, at(21, 9)) },
				func(ctx context.Context, r bot.Residents) error { return r.SetSubscribed(ctx, id, false, at(20, 9)) },
			},
			want: bot.Resident{
				OpenID: id, Subscribed: false, UnsubscribedAt: ptr(stored(at(21, 9))),
				CreatedAt: stored(at(1, 0)), UpdatedAt: stored(at(1, 1)),
			},
		},
		{
			name: "follow and unfollow in the same second: the later call wins",
			steps: []func(context.Context, bot.Residents) error{
				func(ctx context.Context, r bot.Residents) error { return r.SetSubscribed(ctx, id, true, at(20, 9)) },
				func(ctx context.Context, r bot.Residents) error { return r.SetSubscribed(ctx, id, false, at(20, 9)) },
			},
			want: bot.Resident{
				OpenID: id, Subscribed: false,
				SubscribedAt: ptr(stored(at(20, 9))), UnsubscribedAt: ptr(stored(at(20, 9))),
				CreatedAt: stored(at(1, 0)), UpdatedAt: stored(at(1, 1)),
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
				ctx := context.Background()
				run := func(r bot.Residents) error {
					for i, step := range tc.steps {
						s.Now = func() time.Time { return at(1, i) }
						if err := step(ctx, r); err != nil {
							return fmt.Errorf("step %d: %w", i, err)
						}
					}
					return nil
				}
				// Every other case runs inside one transaction, so the
				// methods are exercised on Tx as well as on Store.
				var err error
				if n%2 == 0 {
					err = run(s)
				} else {
					err = s.Transact(ctx, func(tx *storage.Tx) error { return run(tx) })
				}
				if err != nil {
					t.Fatal(err)
				}
				got, err := s.Resident(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("resident mismatch (-want +got):\n%s", diff)
				}
				checkUTC(t, got)
			})
		})
	}
}

func with(r bot.Resident, f func(*bot.Resident)) bot.Resident {
	f(&r)
	return r
}

// checkUTC fails unless every time of r is in UTC: cmp compares times with
// Equal, which ignores the zone.
func checkUTC(t *testing.T, r bot.Resident) {
	t.Helper()
	times := map[string]*time.Time{
		"SubscribedAt": r.SubscribedAt, "UnsubscribedAt": r.UnsubscribedAt,
		"CreatedAt": &r.CreatedAt, "UpdatedAt": &r.UpdatedAt,
	}
	for name, tm := range times {
		if tm != nil && tm.Location() != time.UTC {
			t.Errorf("%s = %v, want UTC", name, tm)
		}
	}
}

func TestResidentsInTransaction(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		s.Now = func() time.Time { return at(1, 0) }
		err := s.Transact(ctx, func(tx *storage.Tx) error {
			if err := tx.SaveProfile(ctx, profile); err != nil {
				return err
			}
			if err := tx.SetSubscribed(ctx, profile.OpenID, true, at(20, 9)); err != nil {
				return err
			}
			n, err := tx.CountResidents(ctx)
			if err != nil {
				return err
			}
			if n != 1 {
				t.Errorf("CountResidents in tx = %d, want 1", n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Resident(ctx, profile.OpenID)
		if err != nil {
			t.Fatal(err)
		}
		want := with(profile, func(r *bot.Resident) {
			r.Subscribed, r.SubscribedAt = true, ptr(stored(at(20, 9)))
			r.CreatedAt, r.UpdatedAt = stored(at(1, 0)), stored(at(1, 0))
		})
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("resident mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestResidentNotFound(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		if err := s.SaveProfile(ctx, profile); err != nil {
			t.Fatal(err)
		}
		_, err := s.Resident(ctx, "oUpF8someoneElse0000000000")
		if !errors.Is(err, bot.ErrNotFound) {
			t.Fatalf("Resident(unknown) error = %v, want ErrNotFound", err)
		}
	})
}

func TestResidentsRejectEmptyOpenID(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		if err := s.SaveProfile(ctx, bot.Resident{Name: "x"}); err == nil {
			t.Error("SaveProfile with empty openid succeeded")
		}
		if err := s.SetSubscribed(ctx, "", true, at(1, 0)); err == nil {
			t.Error("SetSubscribed with empty openid succeeded")
		}
	})
}

func TestCountResidents(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		for i := range 3 {
			if err := s.SetSubscribed(ctx, fmt.Sprintf("o-count-%d", i), i%2 == 0, at(1, 0)); err != nil {
				t.Fatal(err)
			}
		}
		// Saving the profile of a known resident adds no one.
		if err := s.SaveProfile(ctx, bot.Resident{OpenID: "o-count-0", Name: "李四"}); err != nil {
			t.Fatal(err)
		}
		n, err := s.CountResidents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != 3 {
			t.Errorf("CountResidents = %d, want 3", n)
		}
	})
}

// TestConcurrentWrites checks that writers do not fail on each other: on
// SQLite they must wait for the write lock (busy_timeout), on PostgreSQL
// concurrent upserts of one key must not raise a unique violation.
func TestConcurrentWrites(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		const n = 20
		var wg sync.WaitGroup
		errs := make(chan error, 2*n)
		for i := range n {
			wg.Go(func() {
				var err error
				if i%2 == 0 {
					err = s.SaveProfile(ctx, bot.Resident{OpenID: "o-same", Name: fmt.Sprint("name ", i)})
				} else {
					err = s.SetSubscribed(ctx, "o-same", i%4 == 1, time.Now())
				}
				errs <- err
			})
			wg.Go(func() {
				openid := fmt.Sprintf("o-each-%02d", i)
				err := s.Transact(ctx, func(tx *storage.Tx) error {
					if err := tx.SaveProfile(ctx, bot.Resident{OpenID: openid, Name: "王五"}); err != nil {
						return err
					}
					return tx.SetSubscribed(ctx, openid, true, time.Now())
				})
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		got, err := s.CountResidents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got != n+1 {
			t.Errorf("CountResidents = %d, want %d", got, n+1)
		}
		for i := range n {
			r, err := s.Resident(ctx, fmt.Sprintf("o-each-%02d", i))
			if err != nil {
				t.Fatal(err)
			}
			if r.Name != "王五" || !r.Subscribed {
				t.Errorf("resident %d: name %q subscribed %t, want both writes kept", i, r.Name, r.Subscribed)
			}
		}
	})
}

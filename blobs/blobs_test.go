package blobs_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongxin/tongxin/blobs"
	"github.com/tongxin/tongxin/bot"
)

// stores runs fn on each Store: a directory, and a bucket of the fake S3
// service below.
func stores(t *testing.T, fn func(t *testing.T, s blobs.Store)) {
	t.Run("dir", func(t *testing.T) {
		d, err := blobs.NewDir(filepath.Join(t.TempDir(), "media"))
		if err != nil {
			t.Fatal(err)
		}
		fn(t, d)
	})
	t.Run("s3", func(t *testing.T) {
		fn(t, newFakeS3(t).store(t))
	})
}

func get(t *testing.T, s blobs.Store, key string) ([]byte, error) {
	t.Helper()
	rc, err := s.Get(context.Background(), key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func TestStoreContract(t *testing.T) {
	stores(t, func(t *testing.T, s blobs.Store) {
		ctx := context.Background()
		photo := bytes.Repeat([]byte{0xff, 0xd8, 1, 2, 3}, 1000)
		if err := s.Put(ctx, "tickets/7/1", bytes.NewReader(photo), int64(len(photo)), "image/jpeg"); err != nil {
			t.Fatal(err)
		}
		got, err := get(t, s, "tickets/7/1")
		if err != nil || !bytes.Equal(got, photo) {
			t.Fatalf("Get = %d bytes, %v; want the %d bytes put", len(got), err, len(photo))
		}

		// Put replaces.
		if err := s.Put(ctx, "tickets/7/1", strings.NewReader("second"), -1, "text/plain"); err != nil {
			t.Fatal(err)
		}
		if got, err := get(t, s, "tickets/7/1"); err != nil || string(got) != "second" {
			t.Errorf("after replacing: %q, %v", got, err)
		}

		// Missing keys are bot.ErrNotFound; deleting them is no error.
		if _, err := get(t, s, "tickets/7/2"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("Get of a missing key = %v, want bot.ErrNotFound", err)
		}
		if err := s.Delete(ctx, "tickets/7/2"); err != nil {
			t.Errorf("Delete of a missing key: %v", err)
		}
		if err := s.Delete(ctx, "tickets/7/1"); err != nil {
			t.Fatal(err)
		}
		if _, err := get(t, s, "tickets/7/1"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("Get after Delete = %v, want bot.ErrNotFound", err)
		}

		// A reader shorter than announced stores nothing.
		if err := s.Put(ctx, "short", strings.NewReader("abc"), 10, "text/plain"); err == nil {
			t.Error("Put of 3 bytes announced as 10 succeeded")
		}
		if _, err := get(t, s, "short"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("after a short Put: %v, want bot.ErrNotFound", err)
		}

		// Keys that could name another file are refused.
		for _, key := range []string{"", "../x", "a/../../x", "/abs", "a//b", "a/./b", "a\\b", "ä", strings.Repeat("k", 513)} {
			if err := s.Put(ctx, key, strings.NewReader("x"), 1, ""); err == nil {
				t.Errorf("Put(%q) succeeded", key)
			}
			if _, err := s.Get(ctx, key); err == nil || errors.Is(err, bot.ErrNotFound) {
				t.Errorf("Get(%q) = %v, want a refusal", key, err)
			}
			if err := s.Delete(ctx, key); err == nil {
				t.Errorf("Delete(%q) succeeded", key)
			}
		}
	})
}

func TestStoreConcurrentPuts(t *testing.T) {
	stores(t, func(t *testing.T, s blobs.Store) {
		ctx := context.Background()
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				body := bytes.Repeat([]byte{byte(i)}, 4096)
				if err := s.Put(ctx, "same", bytes.NewReader(body), int64(len(body)), ""); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		got, err := get(t, s, "same")
		if err != nil || len(got) != 4096 || !bytes.Equal(got, bytes.Repeat(got[:1], 4096)) {
			t.Errorf("after concurrent puts: %d bytes, %v; want one whole blob", len(got), err)
		}
	})
}

func TestDirLayout(t *testing.T) {
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "data", "media")
	d, err := blobs.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(root); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("NewDir created %s before anything was stored", root)
	}
	if err := d.Put(ctx, "tickets/9/1", strings.NewReader("x"), 1, ""); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(root, "tickets", "9", "1"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("blob mode %v: others may read residents' photos", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Join(root, "tickets", "9"))
	if len(entries) != 1 {
		t.Errorf("%d files beside the blob: temporary files left over", len(entries)-1)
	}
	if err := d.Delete(ctx, "tickets/9/1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "tickets")); !errors.Is(err, os.ErrNotExist) {
		t.Error("emptied directories are left behind")
	}
	if _, err := os.Stat(root); err != nil {
		t.Errorf("the root went with them: %v", err)
	}
}

func TestS3Config(t *testing.T) {
	for _, cfg := range []blobs.S3Config{
		{Endpoint: "s3.example.com", Bucket: "b"},
		{Endpoint: "ftp://s3.example.com", Bucket: "b"},
		{Endpoint: "https://s3.example.com/bucket", Bucket: "b"},
		{Endpoint: "https://s3.example.com"},
		{Endpoint: "https://s3.example.com", Bucket: "b", Addressing: "sideways"},
	} {
		if _, err := blobs.NewS3(cfg); err == nil {
			t.Errorf("NewS3(%+v) succeeded", cfg)
		}
	}
}

func TestS3CheckAndSigning(t *testing.T) {
	f := newFakeS3(t)
	s := f.store(t)
	if err := s.Check(context.Background()); err != nil {
		t.Errorf("Check: %v", err)
	}
	if err := s.Put(context.Background(), "k", strings.NewReader("x"), 1, "image/png"); err != nil {
		t.Fatal(err)
	}
	if got := f.contentType("k"); got != "image/png" {
		t.Errorf("stored content type %q, want image/png", got)
	}
	other, err := blobs.NewS3(blobs.S3Config{Endpoint: f.srv.URL, Bucket: "missing", Region: "us-east-1",
		AccessKey: fakeAccessKey, SecretKey: "secret", Addressing: blobs.AddressingPath, Transport: f.srv.Client().Transport})
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Check(context.Background()); err == nil {
		t.Error("Check of a missing bucket succeeded")
	}
}

const (
	fakeBucket    = "tongxin-media"
	fakeAccessKey = "AKIDTONGXINTEST"
)

// fakeS3 is a TLS server on loopback answering the few S3 calls the store
// makes (path-style addressing), as real services do, down to the error
// documents. It checks that requests are signed with the access key, not
// the signature itself.
type fakeS3 struct {
	srv *httptest.Server

	mu      sync.Mutex
	objects map[string]object
}

type object struct {
	body        []byte
	contentType string
	modified    time.Time
}

func newFakeS3(t *testing.T) *fakeS3 {
	f := &fakeS3{objects: map[string]object{}}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	// Connections the client keeps open end with the test, noisily.
	f.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	f.srv.StartTLS()
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeS3) store(t *testing.T) *blobs.S3 {
	t.Helper()
	s, err := blobs.NewS3(blobs.S3Config{
		Endpoint: f.srv.URL, Bucket: fakeBucket, AccessKey: fakeAccessKey, SecretKey: "secret",
		Addressing: blobs.AddressingPath, Transport: f.srv.Client().Transport,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fakeS3) contentType(key string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.objects[key].contentType
}

func s3Error(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>fake</RequestId></Error>`, code, code)
}

func (f *fakeS3) serve(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential="+fakeAccessKey+"/") {
		s3Error(w, http.StatusForbidden, "AccessDenied")
		return
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if bucket != fakeBucket {
		if r.Method == http.MethodHead {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		s3Error(w, http.StatusNotFound, "NoSuchBucket")
		return
	}
	if key == "" {
		if _, ok := r.URL.Query()["location"]; ok {
			_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">us-east-1</LocationConstraint>`)
			return
		}
		w.WriteHeader(http.StatusOK) // HEAD bucket: it exists
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.Method {
	case http.MethodPut:
		body, err := io.ReadAll(r.Body)
		if err != nil || int64(len(body)) != r.ContentLength {
			s3Error(w, http.StatusBadRequest, "IncompleteBody")
			return
		}
		f.objects[key] = object{body: body, contentType: r.Header.Get("Content-Type"), modified: time.Now().UTC()}
		w.Header().Set("ETag", etag(body))
		w.WriteHeader(http.StatusOK)
	case http.MethodGet, http.MethodHead:
		o, ok := f.objects[key]
		if !ok {
			if r.Method == http.MethodHead {
				w.WriteHeader(http.StatusNotFound)
				return
			}
			s3Error(w, http.StatusNotFound, "NoSuchKey")
			return
		}
		w.Header().Set("Content-Type", o.contentType)
		w.Header().Set("ETag", etag(o.body))
		w.Header().Set("Last-Modified", o.modified.Format(http.TimeFormat))
		http.ServeContent(w, r, "", o.modified, bytes.NewReader(o.body))
	case http.MethodDelete:
		delete(f.objects, key)
		w.WriteHeader(http.StatusNoContent)
	default:
		s3Error(w, http.StatusMethodNotAllowed, "MethodNotAllowed")
	}
}

func etag(b []byte) string {
	sum := md5.Sum(b)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

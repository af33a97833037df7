// Package blobs keeps files by key: the photos and voice messages of
// tickets today. Store is the port; Dir keeps blobs in a local directory
// (the default, for one instance or a shared volume) and S3 in a bucket of
// an S3-compatible service (AWS S3, MinIO, Tencent COS, Aliyun OSS), which
// every instance reaches.
//
// It does not know what the blobs are, who may read them or when they
// must go: the media package decides that and keeps, in the database,
// each blob's key, type and size. Nor does it encrypt: a directory's
// permissions or a bucket's policy and server-side encryption protect what
// it holds.
package blobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Store keeps blobs by key. Implementations are safe for concurrent use.
type Store interface {
	// Put stores size bytes from r (size -1: as many as r has) under
	// key, replacing any blob there. A reader of key sees the old blob or
	// the new one, never a part. contentType is kept where the store can
	// (S3); callers keep it themselves too.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	// Get opens the blob under key for reading; the caller closes it.
	// Returns an error wrapping bot.ErrNotFound when there is none.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes the blob under key. A key with no blob is not an
	// error, so erasing twice is harmless.
	Delete(ctx context.Context, key string) error
}

// maxKey bounds a key; S3 allows 1024 bytes.
const maxKey = 512

// CheckKey reports whether key is acceptable to every Store: segments of
// ASCII letters, digits, '.', '_' and '-' separated by single slashes, no
// segment "." or "..", at most 512 bytes. Keys name files on disk, so
// nothing else gets through.
func CheckKey(key string) error {
	if key == "" || len(key) > maxKey {
		return fmt.Errorf("blob key %q: want 1 to %d bytes", key, maxKey)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("blob key %q: empty, . or .. segment", key)
		}
		for _, c := range []byte(seg) {
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
				return fmt.Errorf("blob key %q: only letters, digits, '.', '_', '-' and '/'", key)
			}
		}
	}
	return nil
}

// errSize reports a Put whose reader did not hold the size announced.
var errSize = errors.New("blob is not the size announced")

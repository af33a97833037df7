package blobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/tongxin/tongxin/bot"
)

// Dir keeps blobs as files below a directory, one file per key (the key's
// slashes are subdirectories). Files are written to a temporary name and
// renamed, so a crash never leaves half a blob under a key. Files and
// directories are readable by the process's user only: they hold
// residents' photos.
type Dir struct {
	root string
}

var _ Store = (*Dir)(nil)

// NewDir returns a Store in the directory root, which is created (with
// its parents) when the first blob is stored.
func NewDir(root string) (*Dir, error) {
	if root == "" {
		return nil, errors.New("blobs.NewDir: no directory")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("blobs.NewDir(%s): %w", root, err)
	}
	return &Dir{root: abs}, nil
}

// Root is the directory the blobs are kept in, as an absolute path.
func (d *Dir) Root() string { return d.root }

func (d *Dir) path(key string) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	return filepath.Join(d.root, filepath.FromSlash(key)), nil
}

// Put implements Store.
func (d *Dir) Put(ctx context.Context, key string, r io.Reader, size int64, _ string) (err error) {
	defer wrap(&err, "blobs.Dir.Put", key)
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".put-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	n, err := io.Copy(f, r)
	if err != nil {
		return err
	}
	if size >= 0 && n != size {
		return fmt.Errorf("%w: %d bytes, not %d", errSize, n, size)
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), p)
}

// Get implements Store.
func (d *Dir) Get(ctx context.Context, key string) (_ io.ReadCloser, err error) {
	defer wrap(&err, "blobs.Dir.Get", key)
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, bot.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Delete implements Store. It also removes the directories the blob
// leaves empty, up to the root.
func (d *Dir) Delete(ctx context.Context, key string) (err error) {
	defer wrap(&err, "blobs.Dir.Delete", key)
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for dir := filepath.Dir(p); dir != d.root && len(dir) > len(d.root); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil {
			break // not empty, or already gone
		}
	}
	return nil
}

// wrap adds the operation and key to a non-nil *err.
func wrap(err *error, op, key string) {
	if *err != nil {
		*err = fmt.Errorf("%s(%s): %w", op, key, *err)
	}
}

package blobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/tongxin/tongxin/bot"
)

// Addressing styles of S3Config.Addressing.
const (
	// AddressingAuto lets the client choose: virtual-hosted for AWS,
	// Google and Aliyun endpoints, path-style for the others.
	AddressingAuto = "auto"
	// AddressingPath puts the bucket in the path: MinIO and most
	// self-hosted services.
	AddressingPath = "path"
	// AddressingVirtual puts the bucket in the host name
	// (BUCKET.cos.ap-guangzhou.myqcloud.com): Tencent COS, and any
	// service that no longer accepts path-style requests.
	AddressingVirtual = "virtual"
)

// S3Config addresses a bucket of an S3-compatible service.
type S3Config struct {
	// Endpoint is the service's URL, https://host[:port] (http:// only on
	// a trusted network), without the bucket.
	Endpoint string
	Bucket   string
	// Region signs the requests (ap-guangzhou, us-east-1, ...); empty
	// asks the service for the bucket's region first.
	Region    string
	AccessKey string
	SecretKey string
	// Addressing is AddressingAuto (when empty), AddressingPath or
	// AddressingVirtual.
	Addressing string
	// Transport carries the requests; nil is Go's default. Tests use it to
	// trust a local server's certificate.
	Transport http.RoundTripper
}

// S3 keeps blobs as objects of one bucket, the key as the object name.
type S3 struct {
	client *minio.Client
	bucket string
}

var _ Store = (*S3)(nil)

// NewS3 returns a Store on the bucket of cfg. It makes no request: Check
// does.
func NewS3(cfg S3Config) (*S3, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" {
		return nil, fmt.Errorf("blobs.NewS3: endpoint %q: want http(s)://host[:port]", cfg.Endpoint)
	}
	if cfg.Bucket == "" {
		return nil, errors.New("blobs.NewS3: no bucket")
	}
	lookup := minio.BucketLookupAuto
	switch cfg.Addressing {
	case "", AddressingAuto:
	case AddressingPath:
		lookup = minio.BucketLookupPath
	case AddressingVirtual:
		lookup = minio.BucketLookupDNS
	default:
		return nil, fmt.Errorf("blobs.NewS3: addressing %q: want auto, path or virtual", cfg.Addressing)
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       u.Scheme == "https",
		Region:       cfg.Region,
		BucketLookup: lookup,
		Transport:    cfg.Transport,
		// The job that stores a blob retries with its own backoff; a few
		// quick tries here ride out a dropped connection.
		MaxRetries: 3,
	})
	if err != nil {
		return nil, fmt.Errorf("blobs.NewS3: %w", err)
	}
	return &S3{client: client, bucket: cfg.Bucket}, nil
}

// Check reports whether the bucket exists and the credentials reach it,
// for a warning at start-up.
func (s *S3) Check(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("blobs.S3.Check(%s): %w", s.bucket, err)
	}
	if !ok {
		return fmt.Errorf("blobs.S3.Check(%s): no such bucket", s.bucket)
	}
	return nil
}

// Put implements Store.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) (err error) {
	defer wrap(&err, "blobs.S3.Put", key)
	if err := CheckKey(key); err != nil {
		return err
	}
	// The blob is read whole first: the blobs kept here are a few MB; a
	// reader that can seek lets the client resend it on a dropped
	// connection, and one of a known size goes up in one request rather
	// than in parts of 16 MB; a short reader is caught before anything is
	// sent.
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if size >= 0 && int64(len(b)) != size {
		return fmt.Errorf("%w: %d bytes, not %d", errSize, len(b), size)
	}
	_, err = s.client.PutObject(ctx, s.bucket, key, bytes.NewReader(b), int64(len(b)), minio.PutObjectOptions{ContentType: contentType})
	return err
}

// Get implements Store.
func (s *S3) Get(ctx context.Context, key string) (_ io.ReadCloser, err error) {
	defer wrap(&err, "blobs.S3.Get", key)
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, notFound(err)
	}
	// The object is fetched lazily: Stat makes the request, so a missing
	// key is reported here rather than at the first Read.
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		return nil, notFound(err)
	}
	return obj, nil
}

// Delete implements Store. S3 answers a delete of a missing key with
// success.
func (s *S3) Delete(ctx context.Context, key string) (err error) {
	defer wrap(&err, "blobs.S3.Delete", key)
	if err := CheckKey(key); err != nil {
		return err
	}
	return s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
}

// notFound maps S3's NoSuchKey to bot.ErrNotFound.
func notFound(err error) error {
	if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
		return fmt.Errorf("%w: %w", bot.ErrNotFound, err)
	}
	return err
}

package config

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Media says where the copies of tickets' photos and voice messages are
// kept: the directory Dir, unless S3.Endpoint names a bucket service.
type Media struct {
	// Dir is TONGXIN_MEDIA_DIR, a directory of this machine (or a volume
	// every instance mounts).
	Dir string
	// S3 is the bucket of an S3-compatible service (AWS S3, MinIO, Tencent
	// COS, Aliyun OSS), used when its Endpoint is set.
	S3 MediaS3
}

// MediaS3 is the S3 part of Media, TONGXIN_MEDIA_S3_*.
type MediaS3 struct {
	// Endpoint is https://host[:port] of the service, without the bucket;
	// empty keeps media in Dir.
	Endpoint string
	Bucket   string
	// Region signs the requests; empty asks the service.
	Region    string
	AccessKey string
	SecretKey string
	// Addressing is auto, path (bucket in the path: MinIO) or virtual
	// (bucket in the host name: COS).
	Addressing string
}

// mediaSettings are the TONGXIN_MEDIA_* variables.
var mediaSettings = []setting{
	{name: "TONGXIN_MEDIA_DIR",
		set:   func(c *Config, v string) error { c.Media.Dir = v; return nil },
		get:   func(c Config) string { return c.Media.Dir },
		check: func(c Config) error { return notEmpty(c.Media.Dir) }},
	{name: "TONGXIN_MEDIA_S3_ENDPOINT",
		set:   func(c *Config, v string) error { c.Media.S3.Endpoint = strings.TrimRight(v, "/"); return nil },
		get:   func(c Config) string { return c.Media.S3.Endpoint },
		check: func(c Config) error { return checkS3Endpoint(c.Media.S3.Endpoint) }},
	{name: "TONGXIN_MEDIA_S3_BUCKET",
		set:   func(c *Config, v string) error { c.Media.S3.Bucket = v; return nil },
		get:   func(c Config) string { return c.Media.S3.Bucket },
		check: func(c Config) error { return checkBucket(c.Media.S3) }},
	{name: "TONGXIN_MEDIA_S3_REGION",
		set: func(c *Config, v string) error { c.Media.S3.Region = v; return nil },
		get: func(c Config) string { return c.Media.S3.Region }},
	{name: "TONGXIN_MEDIA_S3_ACCESS_KEY",
		set:   func(c *Config, v string) error { c.Media.S3.AccessKey = v; return nil },
		get:   func(c Config) string { return c.Media.S3.AccessKey },
		check: func(c Config) error { return neededForS3(c.Media.S3, c.Media.S3.AccessKey) }},
	{name: "TONGXIN_MEDIA_S3_SECRET_KEY", secret: true,
		set:   func(c *Config, v string) error { c.Media.S3.SecretKey = v; return nil },
		get:   func(c Config) string { return c.Media.S3.SecretKey },
		check: func(c Config) error { return neededForS3(c.Media.S3, c.Media.S3.SecretKey) }},
	{name: "TONGXIN_MEDIA_S3_ADDRESSING",
		set: func(c *Config, v string) error { c.Media.S3.Addressing = strings.ToLower(v); return nil },
		get: func(c Config) string { return c.Media.S3.Addressing },
		check: func(c Config) error {
			switch c.Media.S3.Addressing {
			case "auto", "path", "virtual":
				return nil
			}
			return fmt.Errorf("want auto, path or virtual, got %q", c.Media.S3.Addressing)
		}},
}

func checkS3Endpoint(s string) error {
	if s == "" {
		return nil // media stay in TONGXIN_MEDIA_DIR
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URL: %v", stripURLError(err))
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("want https://host[:port] without the bucket, got %q", redactURL(s))
	}
	return nil
}

// checkBucket checks the bucket name as S3 does: 3 to 63 lower-case
// letters, digits, dots and hyphens, starting and ending with a letter or
// digit.
func checkBucket(s MediaS3) error {
	if s.Endpoint == "" {
		return nil
	}
	b := s.Bucket
	const want = "want the bucket's name: 3 to 63 lower-case letters, digits, '.' and '-'"
	if len(b) < 3 || len(b) > 63 || !alnum(b[0]) || !alnum(b[len(b)-1]) {
		return errors.New(want)
	}
	for _, c := range []byte(b) {
		if !alnum(c) && c != '.' && c != '-' {
			return errors.New(want)
		}
	}
	return nil
}

func alnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

func neededForS3(s MediaS3, v string) error {
	if s.Endpoint != "" && v == "" {
		return errors.New("must be set with TONGXIN_MEDIA_S3_ENDPOINT")
	}
	return nil
}

package config_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tongxin/tongxin/config"
)

// defaultMedia is where media go when nothing is set.
var defaultMedia = config.Media{Dir: "data/media", S3: config.MediaS3{Addressing: "auto"}}

func TestLoadMedia(t *testing.T) {
	got, err := config.Load(env(map[string]string{
		"TONGXIN_MEDIA_DIR":           "/var/lib/tongxin/media",
		"TONGXIN_MEDIA_S3_ENDPOINT":   "https://cos.ap-guangzhou.myqcloud.com/",
		"TONGXIN_MEDIA_S3_BUCKET":     "tongxin-media-1250000000",
		"TONGXIN_MEDIA_S3_REGION":     "ap-guangzhou",
		"TONGXIN_MEDIA_S3_ACCESS_KEY": "AKID",
		"TONGXIN_MEDIA_S3_SECRET_KEY": "s3-secret",
		"TONGXIN_MEDIA_S3_ADDRESSING": "Virtual",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := config.Media{Dir: "/var/lib/tongxin/media", S3: config.MediaS3{
		Endpoint: "https://cos.ap-guangzhou.myqcloud.com", Bucket: "tongxin-media-1250000000", Region: "ap-guangzhou",
		AccessKey: "AKID", SecretKey: "s3-secret", Addressing: "virtual",
	}}
	if diff := cmp.Diff(want, got.Media); diff != "" {
		t.Errorf("Media mismatch (-want +got):\n%s", diff)
	}
	if s := got.String(); strings.Contains(s, "s3-secret") || !strings.Contains(s, `TONGXIN_MEDIA_S3_SECRET_KEY="***"`) {
		t.Errorf("the S3 secret key is not masked: %s", s)
	}
}

func TestMediaRules(t *testing.T) {
	s3 := map[string]string{
		"TONGXIN_MEDIA_S3_ENDPOINT":   "https://s3.example.com",
		"TONGXIN_MEDIA_S3_BUCKET":     "media",
		"TONGXIN_MEDIA_S3_ACCESS_KEY": "AKID",
		"TONGXIN_MEDIA_S3_SECRET_KEY": "secret",
	}
	for _, tc := range []struct {
		key, value, want string
	}{
		{"TONGXIN_MEDIA_S3_ENDPOINT", "s3.example.com", "want https://host[:port]"},
		{"TONGXIN_MEDIA_S3_ENDPOINT", "https://s3.example.com/media", "without the bucket"},
		{"TONGXIN_MEDIA_S3_ENDPOINT", "https://AKID:secret@s3.example.com", "want https://host[:port]"},
		{"TONGXIN_MEDIA_S3_BUCKET", "", "TONGXIN_MEDIA_S3_BUCKET: want the bucket's name"},
		{"TONGXIN_MEDIA_S3_BUCKET", "Media_Files", "TONGXIN_MEDIA_S3_BUCKET: want the bucket's name"},
		{"TONGXIN_MEDIA_S3_ACCESS_KEY", "", "TONGXIN_MEDIA_S3_ACCESS_KEY: must be set with TONGXIN_MEDIA_S3_ENDPOINT"},
		{"TONGXIN_MEDIA_S3_SECRET_KEY", "", "TONGXIN_MEDIA_S3_SECRET_KEY: must be set with TONGXIN_MEDIA_S3_ENDPOINT"},
		{"TONGXIN_MEDIA_S3_ADDRESSING", "sideways", "want auto, path or virtual"},
	} {
		vars := map[string]string{}
		for k, v := range s3 {
			vars[k] = v
		}
		vars[tc.key] = tc.value
		_, err := config.Load(env(vars))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s=%q: %v, want an error with %q", tc.key, tc.value, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") && tc.key != "TONGXIN_MEDIA_S3_SECRET_KEY" {
			t.Errorf("%s=%q: the error shows the secret: %v", tc.key, tc.value, err)
		}
	}
	// Without an endpoint the S3 settings are not needed.
	if _, err := config.Load(env(map[string]string{"TONGXIN_MEDIA_S3_BUCKET": "Anything"})); err != nil {
		t.Errorf("a bucket without an endpoint: %v", err)
	}
}

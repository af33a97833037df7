package wechat

import (
	"sync"

	"github.com/sirupsen/logrus"
)

var quietOnce sync.Once

// QuietSDKLogs raises logrus's global logger to warn level, because the SDK
// logs whole message bodies (personal data) at debug level through it.
// Constructors in this package call it once; main may call it again after
// anything else that touches logrus's level.
func QuietSDKLogs() {
	logrus.SetLevel(logrus.WarnLevel)
}

func quietSDKLogsOnce() { quietOnce.Do(QuietSDKLogs) }

package notify

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the outbox's Prometheus metrics.
type Metrics struct {
	results *prometheus.CounterVec
	latency prometheus.Histogram
	depth   func(ctx context.Context) (int, error)
}

// NewMetrics registers the outbox metrics on reg (none when nil); log
// reports a failing queue-depth query.
func NewMetrics(reg prometheus.Registerer, log *slog.Logger) *Metrics {
	m := &Metrics{
		results: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tongxin_notifications_total",
			Help: "Delivery attempts by channel, kind and result (sent, failed, fallback, retry).",
		}, []string{"channel", "kind", "result"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tongxin_notification_delivery_seconds",
			Help:    "Time from a notification being due to its delivery.",
			Buckets: []float64{.1, .5, 1, 5, 15, 60, 300, 1800, 7200},
		}),
	}
	if reg == nil {
		return m
	}
	depth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "tongxin_notifications_queue_depth",
		Help: "Notifications pending delivery (including those held for quiet hours).",
	}, func() float64 {
		if m.depth == nil {
			return 0
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := m.depth(ctx)
		if err != nil {
			if log != nil {
				log.Warn("queue depth", "err", err)
			}
			return -1
		}
		return float64(n)
	})
	reg.MustRegister(m.results, m.latency, depth)
	return m
}

func (m *Metrics) result(channel, kind, result string) {
	m.results.WithLabelValues(channel, kind, result).Inc()
}

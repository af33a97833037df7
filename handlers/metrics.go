package handlers

import (
	"net/http"

	"github.com/tongxin/tongxin/bot"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the service's Prometheus metrics. It implements bot.Observer
// for the flow counters and bot.UnderstandingObserver for what was
// understood. Each Server has its own registry, so that tests can
// run several in one process.
type Metrics struct {
	reg          *prometheus.Registry
	messages     *prometheus.CounterVec
	latency      prometheus.Histogram
	duplicates   prometheus.Counter
	reclaimed    prometheus.Counter
	rateLimited  prometheus.Counter
	lateReplies  *prometheus.CounterVec
	rejected     *prometheus.CounterVec
	unavailable  prometheus.Counter
	conflicts    prometheus.Counter
	flowsStarted *prometheus.CounterVec
	flowsEnded   *prometheus.CounterVec
	bindFailures *prometheus.CounterVec
	understood   *prometheus.CounterVec
}

// NewMetrics registers the metrics (and the Go runtime's) on a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tongxin_messages_total", Help: "Webhook messages accepted, by kind (text, image, event:subscribe, ...).",
		}, []string{"kind"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tongxin_reply_seconds", Help: "Time from receiving a message to answering the webhook.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2, 3, 4, 5},
		}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tongxin_duplicates_suppressed_total", Help: "WeChat retries answered from the first delivery's result instead of being processed again.",
		}),
		reclaimed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tongxin_deliveries_reclaimed_total", Help: "WeChat retries that took over a message whose first delivery died (an instance killed mid-message) and processed it.",
		}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tongxin_rate_limited_total", Help: "Messages refused because their sender exceeded the per-minute limit.",
		}),
		lateReplies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tongxin_late_replies_total", Help: "Replies that missed the webhook deadline and were queued to go out as customer-service messages, by result (queued, failed).",
		}, []string{"result"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tongxin_webhook_rejected_total", Help: "Webhook requests refused, by reason.",
		}, []string{"reason"}),
		unavailable: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tongxin_state_unavailable_total", Help: "Messages answered with an apology (稍后再试) without running the bot, because Redis did not answer in time before it.",
		}),
		conflicts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tongxin_session_write_conflicts_total", Help: "Replies whose conversation state was not written because the resident's lock had been lost to another message (Redis out of reach or a stalled process).",
		}),
		flowsStarted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tongxin_flows_started_total", Help: "Guided conversations started, by flow.",
		}, []string{"flow"}),
		flowsEnded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tongxin_flows_ended_total", Help: "Guided conversations ended, by flow and how (completed, cancelled, expired, lost, paused, replaced).",
		}, []string{"flow", "how"}),
		bindFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tongxin_staff_bind_failures_total", Help: "Staff binds (绑定) refused, by reason (bad_code, locked, locked_all): alert on a rise, someone may be guessing codes.",
		}, []string{"reason"}),
		understood: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tongxin_understood_total",
			Help: "Messages no keyword, menu key or scene claimed, by the intent understood (none: nothing) and the confidence band (sure, unsure, none). band=\"none\" are fallbacks: what residents ask that nobody taught the bot (GET /api/v1/unrecognised lists them).",
		}, []string{"intent", "band"}),
	}
	m.reg.MustRegister(m.messages, m.latency, m.duplicates, m.reclaimed, m.rateLimited, m.lateReplies, m.rejected, m.unavailable, m.conflicts,
		m.flowsStarted, m.flowsEnded, m.bindFailures, m.understood, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

var (
	_ bot.Observer              = (*Metrics)(nil)
	_ bot.UnderstandingObserver = (*Metrics)(nil)
)

// FlowStarted implements bot.Observer.
func (m *Metrics) FlowStarted(flow string) { m.flowsStarted.WithLabelValues(flow).Inc() }

// FlowEnded implements bot.Observer.
func (m *Metrics) FlowEnded(flow, how string) {
	if flow == "" {
		flow = "unknown"
	}
	m.flowsEnded.WithLabelValues(flow, how).Inc()
}

// Understood implements bot.UnderstandingObserver. The intent is one the
// features registered ("" when none was recognised), never the resident's
// words, so the labels stay few.
func (m *Metrics) Understood(intent, band string) {
	if intent == "" {
		intent = "none"
	}
	m.understood.WithLabelValues(intent, band).Inc()
}

// BindFailed counts a refused staff bind; it is community.Config's
// OnBindFailure.
func (m *Metrics) BindFailed(reason string) { m.bindFailures.WithLabelValues(reason).Inc() }

// Registry returns the registry, for other packages to add their metrics.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

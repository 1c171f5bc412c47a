import Prometheus

/// The server's Prometheus metrics, in one registry per server (not the process-wide
/// swift-metrics factory), so several servers in one process — the tests — keep their own counts.
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()

    let promptTokens: Counter
    let generatedTokens: Counter
    let completions: Counter
    let queueDepth: Gauge
    let activeSlots: Gauge
    let timeToFirstToken: ValueHistogram
    let completionDuration: ValueHistogram

    /// Seconds: from a tenth of a millisecond (a tiny model's token) to two minutes (a long completion).
    static let latencyBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120]

    public init() {
        promptTokens = registry.makeCounter(descriptor: Self.name("prompt_tokens", "total", "Prompt tokens of admitted completions."))
        generatedTokens = registry.makeCounter(descriptor: Self.name("generated_tokens", "total", "Tokens sampled by completions."))
        completions = registry.makeCounter(descriptor: Self.name("completions", "total", "Completions finished, cancelled ones included."))
        queueDepth = registry.makeGauge(descriptor: Self.name("queue", "depth", "Completions waiting for a free slot."))
        activeSlots = registry.makeGauge(descriptor: Self.name("active", "slots", "Completions being generated now."))
        timeToFirstToken = registry.makeValueHistogram(
            descriptor: Self.name("time_to_first_token", "seconds", "From a completion's arrival to its first token, queueing included."),
            buckets: Self.latencyBuckets)
        completionDuration = registry.makeValueHistogram(
            descriptor: Self.name("completion_duration", "seconds", "From a completion's arrival to its last token."),
            buckets: Self.latencyBuckets)
    }

    /// Counts one answered HTTP request, by route pattern (never the raw path, whose variety is
    /// unbounded) and status.
    func recordRequest(route: String, method: String, status: Int, seconds: Double) {
        let labels = [("route", route), ("method", method), ("status", String(status))]
        registry.makeCounter(descriptor: Self.name("http_requests", "total", "HTTP requests answered."), labels: labels)
            .increment()
        registry.makeValueHistogram(
            descriptor: Self.name("http_request_duration", "seconds", "Time until the response head is ready (a stream's body continues)."),
            labels: [("route", route)], buckets: Self.latencyBuckets)
            .record(seconds)
    }

    /// The exposition text `GET /metrics` serves.
    public func exposition() -> String {
        registry.emitToString()
    }

    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "finch", metricName: metric, unitName: unit, helpText: help)
    }
}

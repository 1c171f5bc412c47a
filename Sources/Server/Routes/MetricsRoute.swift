import Hummingbird

/// `GET /metrics`: the Prometheus text exposition of `ServerMetrics`.
enum MetricsRoute {
    static func add(to router: Router<FinchRequestContext>, metrics: ServerMetrics) {
        router.get("/metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
    }
}

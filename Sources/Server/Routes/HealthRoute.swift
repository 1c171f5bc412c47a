import Hummingbird

/// `GET /health` (also `/v1/health`): 503 `{"status": "loading"}` until the model and the shop
/// are loaded, then 200 `{"status": "ok"}` — what llama.cpp's server answers and load balancers poll.
enum HealthRoute {
    struct Status: Encodable {
        let status: String
    }

    static func add(to router: Router<FinchRequestContext>, isReady: @escaping @Sendable () -> Bool) {
        for path in ["/health", "/v1/health"] {
            router.get(RouterPath(path)) { _, _ -> Response in
                !isReady()
                    ? JSONResponse.make(Status(status: "loading"), status: .serviceUnavailable)
                    : JSONResponse.make(Status(status: "ok"))
            }
        }
    }
}

import Hummingbird

/// `GET /openapi.json` (always) and `GET /` (the shop's page, with a shop database). Both are
/// public: the page signs in through `/api/token` itself.
enum DocumentRoutes {
    static let publicPaths: Set<String> = ["/", "/openapi.json"]

    /// What the page may load: only this server's own inline script and style, and `fetch` to it.
    static let pagePolicy = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

    /// `X-Content-Type-Options`, which swift-http-types does not name.
    private static let contentTypeOptions = HTTPFields.Element.Name("X-Content-Type-Options")!

    static func add(to router: Router<FinchRequestContext>, shop: Bool) {
        let document = ByteBuffer(bytes: OpenAPIDocument.data(shop: shop))
        router.get("/openapi.json") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: document))
        }
        guard shop else { return }
        let page = ByteBuffer(string: ShopPage.html)
        router.get("/") { _, _ -> Response in
            Response(status: .ok,
                     headers: [.contentType: "text/html; charset=utf-8", .contentSecurityPolicy: pagePolicy,
                               contentTypeOptions: "nosniff", .cacheControl: "no-cache"],
                     body: ResponseBody(byteBuffer: page))
        }
    }
}

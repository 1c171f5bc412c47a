import Foundation

/// The OpenAPI 3.1 document `GET /openapi.json` serves: the paths of the routes this server has
/// (the page and the shop API only when it serves a shop), the components, and the JWT as the
/// default security of every operation that does not say otherwise.
public enum OpenAPIDocument {
    /// The paths that exist only beside a shop database.
    public static func isShopPath(_ path: String) -> Bool {
        path == "/" || path.hasPrefix("/api/")
    }

    /// The document as a JSON object; `shop` keeps the page and the `/api/` paths.
    public static func object(shop: Bool) -> [String: Any] {
        let paths = parse(OpenAPIPaths.json).filter { shop || !isShopPath($0.key) }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Finch",
                "version": "1.0.0",
                "description": "Finch's server: OpenAI-compatible completions (llama.cpp's endpoints) and, with a shop database, the recommendations shop with accounts, narratives, search and its web page.",
            ] as [String: Any],
            "servers": [["url": "/"]],
            "security": [["bearerJWT": [String]()]],
            "paths": paths,
            "components": parse(OpenAPIComponents.json),
        ]
    }

    /// The bytes served, encoded once per configuration.
    public static func data(shop: Bool) -> Data {
        shop ? withShop : withoutShop
    }

    private static let withShop = encode(object(shop: true))
    private static let withoutShop = encode(object(shop: false))

    private static func encode(_ object: [String: Any]) -> Data {
        // The literals are checked by OpenAPITests, so serialising them cannot fail at run time.
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }

    private static func parse(_ json: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] ?? [:]
    }
}

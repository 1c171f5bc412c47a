import Hummingbird

/// Path and query parameters of the shop routes, checked: a value that is not a number, or out
/// of its range, is a 400 naming the parameter, never a crash or a silent default.
enum ShopParameters {
    static func pathInteger(_ name: String, context: some RequestContext) throws -> Int {
        let text = context.parameters.get(name) ?? ""
        guard let value = Int(text) else {
            throw APIError.invalidRequest("'\(name)' in the path must be an integer (got \"\(text.prefix(40))\").", param: name)
        }
        return value
    }

    static func integer(_ name: String, in request: Request, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = request.uri.queryParameters.get(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError.invalidRequest("'\(name)' must be an integer in \(range.lowerBound)...\(range.upperBound) (got \"\(text.prefix(40))\").",
                                          param: name)
        }
        return number
    }

    static func boolean(_ name: String, in request: Request) throws -> Bool {
        guard let text = request.uri.queryParameters.get(name) else { return false }
        switch text.lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        default: throw APIError.invalidRequest("'\(name)' must be true or false (got \"\(text.prefix(40))\").", param: name)
        }
    }

    /// Answers 405 (with `Allow`) for the usual methods a route at `path` does not take; the
    /// router alone would say 404, as if the path did not exist.
    static func refuseOtherMethods<Context: RequestContext>(on router: some RouterMethods<Context>, _ path: String,
                                                           allowed: [HTTPRequest.Method]) {
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] where !allowed.contains(method) {
            router.on(RouterPath(path), method: method) { request, _ -> Response in
                var response = APIError.methodNotAllowed(method, request.uri.path, allowed: allowed).response()
                response.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
                return response
            }
        }
    }
}

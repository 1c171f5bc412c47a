import Foundation
import Hummingbird

/// OpenAI's error object, `{"error": {"message", "type", "param", "code"}}`, which its clients
/// (and llama.cpp's) parse; every failure the server answers takes this shape.
public struct APIError: Error, Sendable, Equatable {
    public var status: HTTPResponse.Status
    public var message: String
    /// OpenAI's category: `invalid_request_error`, `authentication_error`, `not_found_error`, `server_error`, …
    public var type: String
    /// The request field at fault, when one is.
    public var param: String?
    public var code: String?

    public init(status: HTTPResponse.Status, message: String, type: String, param: String? = nil, code: String? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }

    public static func invalidRequest(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: .badRequest, message: message, type: "invalid_request_error", param: param, code: code)
    }

    static let invalidAPIKey = APIError(
        status: .unauthorized, message: "Missing or incorrect API key: send the header 'Authorization: Bearer <key>'.",
        type: "invalid_request_error", code: "invalid_api_key")

    static let loading = APIError(status: .serviceUnavailable, message: "The model is still loading.",
                                  type: "unavailable_error", code: "model_loading")

    static let noModel = APIError(status: .serviceUnavailable, message: "This server has no completion model: start `serve` with --checkpoint DIR.",
                                  type: "unavailable_error", code: "no_model")

    static func notFound(_ method: HTTPRequest.Method, _ path: String) -> APIError {
        APIError(status: .notFound, message: "No route \(method.rawValue) \(path).", type: "not_found_error")
    }

    static func bodyTooLarge(limit: Int) -> APIError {
        APIError(status: .contentTooLarge, message: "The request body is larger than the server's limit of \(limit) bytes.",
                 type: "invalid_request_error", code: "request_too_large")
    }

    /// The error object for any error a route or middleware threw: ours as they are, Hummingbird's
    /// HTTP errors with their status, a body that is not the expected JSON as 400 naming the field.
    static func from(_ error: any Error, method: HTTPRequest.Method, path: String, bodyLimit: Int) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as DecodingError:
            return .invalidRequest(Self.describe(error), param: Self.field(of: error))
        case let error as any HTTPResponseError:
            switch error.status {
            case .notFound: return .notFound(method, path)
            case .contentTooLarge: return .bodyTooLarge(limit: bodyLimit)
            case let status where status.kind == .clientError:
                return APIError(status: status, message: (error as? HTTPError)?.body ?? status.reasonPhrase,
                                type: "invalid_request_error")
            default:
                return APIError(status: error.status, message: error.status.reasonPhrase, type: "server_error")
            }
        default:
            return APIError(status: .internalServerError, message: "Internal error: \(error)", type: "server_error")
        }
    }

    func response() -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: jsonBody())))
    }

    /// `{"error": {...}}` with `param` and `code` as `null` when absent, as OpenAI sends them.
    func jsonBody() -> Data {
        struct Body: Encodable {
            struct Details: Encodable {
                let message: String, type: String, param: String?, code: String?
                enum CodingKeys: String, CodingKey { case message, type, param, code }
                func encode(to encoder: any Encoder) throws {
                    var container = encoder.container(keyedBy: CodingKeys.self)
                    try container.encode(message, forKey: .message)
                    try container.encode(type, forKey: .type)
                    try container.encode(param, forKey: .param)
                    try container.encode(code, forKey: .code)
                }
            }
            let error: Details
        }
        return (try? JSONResponse.encode(Body(error: .init(message: message, type: type, param: param, code: code))))
            ?? Data(#"{"error":{"message":"error encoding failed","type":"server_error","param":null,"code":null}}"#.utf8)
    }

    // MARK: Decoding errors in words

    private static func field(of error: DecodingError) -> String? {
        let path: [any CodingKey]
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): path = context.codingPath
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        @unknown default: return nil
        }
        let names = path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
        return names.isEmpty ? nil : names.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }

    private static func describe(_ error: DecodingError) -> String {
        let field = field(of: error).map { "'\($0)'" }
        switch error {
        case .typeMismatch(let type, _):
            return "Invalid type for \(field ?? "the body"): expected \(Self.jsonName(of: type))."
        case .valueNotFound(let type, _):
            return "\(field ?? "A field") must be \(Self.jsonName(of: type)), not null."
        case .keyNotFound:
            return "Missing required field \(field ?? "")."
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "The request body is not valid JSON." }
            return "Invalid value for \(field ?? "a field"): \(context.debugDescription)"
        @unknown default:
            return "The request body does not match the expected JSON."
        }
    }

    private static func jsonName(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is UInt64.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is Bool.Type: "a boolean"
        case is [String].Type: "an array of strings"
        case is [Int].Type: "an array of integers"
        default: "\(type)"
        }
    }
}

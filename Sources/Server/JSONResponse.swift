import Foundation
import Hummingbird
import Store

/// JSON bodies with snake_case keys written out by each type's CodingKeys, as the OpenAI API spells them.
enum JSONResponse {
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":{"message":"response encoding failed","type":"server_error","param":null,"code":null}}"#.utf8)
        return response(data, status: status)
    }

    /// A body already written as JSON text (`JSONText`), for the answers on the hot paths.
    static func make(_ json: JSONText, status: HTTPResponse.Status = .ok) -> Response {
        response(json.bytes, status: status)
    }

    private static func response(_ body: some Sequence<UInt8>, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func encode(_ value: some Encodable) throws -> Data {
        try encoder.encode(value)
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}

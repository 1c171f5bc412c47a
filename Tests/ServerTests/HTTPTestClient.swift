import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A deliberately small HTTP/1.1 client over a loopback socket, so the tests see exactly what the
/// server sends (status, headers, chunked SSE frames) and can hang up mid-stream. Blocking I/O
/// runs on threads of its own, never on the concurrency pool the server's handlers use.
struct HTTPResult {
    let status: Int
    /// Header names lower-cased.
    let headers: [String: String]
    let body: Data

    var text: String { String(decoding: body, as: UTF8.self) }

    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw HTTPTestError("not a JSON object: \(text)")
        }
        return object
    }
}

struct HTTPTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

final class HTTPConnection: @unchecked Sendable {
    private let socket: Int32

    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw HTTPTestError("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(socket)
            throw HTTPTestError("cannot connect to port \(port)")
        }
    }

    deinit { Glibc.close(socket) }

    func send(method: String, path: String, headers: [(String, String)] = [], body: Data? = nil) throws {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        try write(Data(head.utf8) + (body ?? Data()))
    }

    func write(_ data: Data) throws {
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.send(socket, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                guard n > 0 else { throw HTTPTestError("send failed (the server closed the connection)") }
                offset += n
            }
        }
    }

    /// Up to `limit` bytes, or empty at the end of the stream.
    func readSome(limit: Int = 65536) -> Data {
        var buffer = [UInt8](repeating: 0, count: limit)
        let n = recv(socket, &buffer, limit, 0)
        return n > 0 ? Data(buffer[..<n]) : Data()
    }

    func readToEnd() -> Data {
        var all = Data()
        while true {
            let piece = readSome()
            if piece.isEmpty { return all }
            all += piece
        }
    }

    /// The whole response (the server closes the connection after it, as asked).
    func readResponse() throws -> HTTPResult {
        let raw = readToEnd()
        guard let split = raw.range(of: Data("\r\n\r\n".utf8)) else { throw HTTPTestError("no response head in \(raw.count) bytes") }
        let headLines = String(decoding: raw[..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = headLines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw HTTPTestError("bad status line \(headLines[0])") }
        var headers: [String: String] = [:]
        for line in headLines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Data(raw[split.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = try Self.dechunk(body) }
        return HTTPResult(status: status, headers: headers, body: body)
    }

    static func dechunk(_ data: Data) throws -> Data {
        var output = Data()
        var index = data.startIndex
        while let lineEnd = data[index...].range(of: Data("\r\n".utf8)) {
            let sizeText = String(decoding: data[index..<lineEnd.lowerBound], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";")[0], radix: 16) else { throw HTTPTestError("bad chunk size '\(sizeText)'") }
            if size == 0 { return output }
            let start = lineEnd.upperBound
            guard data.distance(from: start, to: data.endIndex) >= size + 2 else { throw HTTPTestError("truncated chunk") }
            output += data[start..<data.index(start, offsetBy: size)]
            index = data.index(start, offsetBy: size + 2)
        }
        throw HTTPTestError("chunked body without its last chunk")
    }
}

enum HTTPTestClient {
    /// One request on its own connection, run on a thread of its own.
    static func request(port: Int, _ method: String, _ path: String, headers: [(String, String)] = [],
                        body: Data? = nil) async throws -> HTTPResult {
        try await onThread {
            let connection = try HTTPConnection(port: port)
            try connection.send(method: method, path: path, headers: headers, body: body)
            return try connection.readResponse()
        }
    }

    static func post(port: Int, _ path: String, json: [String: Any], headers: [(String, String)] = []) async throws -> HTTPResult {
        let body = try JSONSerialization.data(withJSONObject: json)
        return try await request(port: port, "POST", path, headers: [("Content-Type", "application/json")] + headers, body: body)
    }

    static func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }
}

/// The events of a server-sent-event body: each `data:` payload, in order.
func serverSentEvents(_ body: String) -> [String] {
    body.components(separatedBy: "\n\n").compactMap { frame in
        frame.hasPrefix("data: ") ? String(frame.dropFirst("data: ".count)) : nil
    }
}

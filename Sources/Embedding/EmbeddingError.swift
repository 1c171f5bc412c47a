import Foundation
import Tensor

/// Why a model folder, a text or an input line cannot be used. The message names the file, the
/// tensor or the line, so the command-line tools print it as one line.
public struct EmbeddingError: Error, LocalizedError, CustomStringConvertible, Equatable {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
    public var errorDescription: String? { message }

    /// How to get the model when its folder is absent.
    static func missingModel(_ directory: String) -> EmbeddingError {
        EmbeddingError("\(directory): no model folder there (run scripts/setup-minilm to download all-MiniLM-L6-v2 into models/)")
    }
}

/// Reads one JSON file of the model folder into a `Decodable` type, with errors naming the file
/// and the key.
enum JSONFile {
    static func decode<T: Decodable>(_ type: T.Type, at path: String) throws -> T {
        guard FileManager.default.fileExists(atPath: path) else { throw EmbeddingError("\(path): not found") }
        let data: Data
        do {
            data = try RegularFile.contents(of: path, limit: 64 << 20)
        } catch let error as RegularFileError {
            throw EmbeddingError(error.message)
        } catch {
            throw EmbeddingError("\(path): cannot read (\(error.localizedDescription))")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw EmbeddingError("\(path): missing key \"\(key.stringValue)\"")
        } catch let DecodingError.typeMismatch(expected, context) {
            throw EmbeddingError("\(path): \"\(keyPath(context))\" is not a \(expected)")
        } catch let DecodingError.valueNotFound(expected, context) {
            throw EmbeddingError("\(path): \"\(keyPath(context))\" is null, expected a \(expected)")
        } catch {
            throw EmbeddingError("\(path): not valid JSON")
        }
    }

    private static func keyPath(_ context: DecodingError.Context) -> String {
        context.codingPath.map(\.stringValue).joined(separator: ".")
    }
}

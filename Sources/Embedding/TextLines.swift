import Foundation

/// The `recommend embed` formats: JSON lines `{"text": "..."}` in, `{"embedding": [...]}` out.
public enum TextLines {
    /// The "text" of every non-blank line, in order. The whole input is checked before anything is
    /// embedded, so a bad line stops the run before any output: the error names `source` and
    /// the line number.
    public static func texts(fromJSONLines data: Data, source: String) throws -> [String] {
        var texts: [String] = []
        var number = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            guard line.contains(where: { !isBlank($0) }) else { continue }
            guard String(validating: line, as: UTF8.self) != nil else {
                throw EmbeddingError("\(source):\(number): the line is not valid UTF-8")
            }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] else {
                throw EmbeddingError("\(source):\(number): not a JSON object (expected {\"text\": \"...\"})")
            }
            guard let text = object["text"] as? String else {
                throw EmbeddingError("\(source):\(number): no string \"text\" in the object (expected {\"text\": \"...\"})")
            }
            texts.append(text)
        }
        return texts
    }

    /// `{"embedding": [v0, v1, ...]}` with each float in its shortest round-trip form.
    public static func embeddingLine(_ values: UnsafeBufferPointer<Float>) -> String {
        var line = "{\"embedding\": ["
        line.reserveCapacity(16 + values.count * 12)
        for (i, value) in values.enumerated() {
            if i > 0 { line += ", " }
            line += value.description
        }
        line += "]}\n"
        return line
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }
}

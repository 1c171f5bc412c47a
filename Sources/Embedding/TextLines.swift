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

/// Where the model folder is when no `--model` is given: `models/all-MiniLM-L6-v2` under the
/// current directory, else under the first ancestor of the executable that has one (a build
/// in `.build/release` of the repository finds the repository's copy).
public enum ModelLocation {
    public static let defaultRelativePath = "models/all-MiniLM-L6-v2"

    public static func resolve(_ given: String?, executablePath: String = CommandLine.arguments.first ?? "") -> String {
        if let given { return given }
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: defaultRelativePath) { return defaultRelativePath }
        var directory = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath().deletingLastPathComponent()
        while directory.path != "/" && !directory.path.isEmpty {
            let candidate = directory.appendingPathComponent(defaultRelativePath).path
            if fileManager.fileExists(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return defaultRelativePath
    }
}

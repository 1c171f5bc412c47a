import Foundation

/// The parsed and validated header of a safetensors file:
/// `u64 little-endian N`, then N bytes of JSON `{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {…}}`,
/// then the data section that the offsets index into.
///
/// Every offset is checked against the file's size here, so readers can index the mapping without
/// further checks. Gaps between tensors are accepted (some writers align tensors); ranges that run
/// out of the data section or overlap another tensor are rejected.
struct SafeTensorsHeader {
    /// The reference implementation's limit: a longer header is a corrupt or foreign file.
    static let maximumHeaderLength: UInt64 = 100_000_000

    var tensors: [String: SafeTensorsFile.TensorInfo]
    var metadata: [String: String]
    /// File offset of the data section: 8 + the header length.
    var dataStart: Int

    init(parsing file: UnsafeRawBufferPointer, path: String) throws {
        func failure(_ problem: String) -> SafeTensorsError { SafeTensorsError("\(path): \(problem)") }

        guard file.count >= 8 else {
            throw failure("file is \(file.count) bytes, too short for the 8-byte header length of a safetensors file")
        }
        let headerLength = UInt64(littleEndian: file.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard headerLength <= Self.maximumHeaderLength else {
            throw failure("header length \(headerLength) is over the 100 MB limit; not a safetensors file?")
        }
        guard headerLength <= UInt64(file.count - 8) else {
            throw failure("header length \(headerLength) runs past the end of the file (\(file.count) bytes); truncated?")
        }
        dataStart = 8 + Int(headerLength)
        let dataLength = file.count - dataStart

        let json = Data(file[8..<dataStart])
        let raw: RawHeader
        do {
            raw = try JSONDecoder().decode(RawHeader.self, from: json)
        } catch let error as DecodingError {
            throw failure(Self.describe(error, json: json))
        } catch {
            throw failure("header is not valid JSON")
        }
        metadata = raw.metadata
        // JSON decoders keep one of two equal keys silently; the reference implementation refuses them.
        if let duplicate = Self.firstDuplicateKey(json) {
            throw failure("header names '\(duplicate)' twice")
        }

        tensors = [:]
        for (name, entry) in raw.entries {
            tensors[name] = try Self.validate(entry, name: name, dataLength: dataLength, failure: failure)
        }
        try Self.checkNoOverlap(Array(tensors.values), failure: failure)
        let dataEnd = tensors.values.map(\.dataOffsets.upperBound).max() ?? 0
        guard dataEnd == dataLength else {
            throw failure("\(dataLength - dataEnd) bytes after the last tensor's data; a corrupt file, or bytes appended to it")
        }
    }

    /// The first top-level key that occurs twice in the header's JSON object, or nil. A scan of
    /// strings and nesting only: the JSON itself was validated by the decoder.
    static func firstDuplicateKey(_ json: Data) -> String? {
        var seen = Set<[UInt8]>()
        var depth = 0
        var index = json.startIndex
        var expectingKey = false
        while index < json.endIndex {
            let byte = json[index]
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                expectingKey = byte == UInt8(ascii: "{") && depth == 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
            case UInt8(ascii: ","):
                expectingKey = depth == 1
            case UInt8(ascii: "\""):
                var end = json.index(after: index)
                var string: [UInt8] = []
                while end < json.endIndex, json[end] != UInt8(ascii: "\"") {
                    if json[end] == UInt8(ascii: "\\") {
                        string.append(json[end])
                        end = json.index(after: end)
                        guard end < json.endIndex else { break }
                    }
                    string.append(json[end])
                    end = json.index(after: end)
                }
                if expectingKey {
                    if !seen.insert(string).inserted { return String(decoding: string, as: UTF8.self) }
                    expectingKey = false
                }
                index = end
            default:
                break
            }
            index = json.index(after: index)
        }
        return nil
    }

    private static func validate(
        _ entry: RawEntry, name: String, dataLength: Int, failure: (String) -> SafeTensorsError
    ) throws -> SafeTensorsFile.TensorInfo {
        guard let dtype = SafeTensorsDType(rawValue: entry.dtype) else {
            throw failure("tensor '\(name)' has unknown dtype '\(entry.dtype)'")
        }
        var elementCount = 1
        for dimension in entry.shape {
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: dimension)
            guard dimension >= 0, !overflow else {
                throw failure("tensor '\(name)' has an invalid shape \(entry.shape)")
            }
            elementCount = product
        }
        let (byteCount, overflow) = elementCount.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else { throw failure("tensor '\(name)' has an invalid shape \(entry.shape)") }

        let offsets = entry.dataOffsets
        guard offsets.count == 2 else {
            throw failure("tensor '\(name)' has data_offsets \(offsets); expected [begin, end]")
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin >= 0, end >= begin else {
            throw failure("tensor '\(name)' has data_offsets \(offsets) that do not form a range")
        }
        guard end <= dataLength else {
            throw failure("tensor '\(name)' has data_offsets \(offsets) past the end of the data (\(dataLength) bytes); truncated?")
        }
        guard end - begin == byteCount else {
            throw failure("tensor '\(name)' of shape \(entry.shape) and dtype \(dtype.rawValue) needs \(byteCount) bytes, but its data_offsets \(offsets) span \(end - begin)")
        }
        return SafeTensorsFile.TensorInfo(name: name, dtype: dtype, shape: entry.shape, dataOffsets: begin..<end)
    }

    private static func checkNoOverlap(
        _ infos: [SafeTensorsFile.TensorInfo], failure: (String) -> SafeTensorsError
    ) throws {
        let ordered = infos.filter { !$0.dataOffsets.isEmpty }.sorted {
            ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound)
        }
        for (previous, next) in zip(ordered, ordered.dropFirst())
        where next.dataOffsets.lowerBound < previous.dataOffsets.upperBound {
            let (first, second) = previous.name < next.name ? (previous, next) : (next, previous)
            throw failure("tensors '\(first.name)' \(offsetList(first)) and '\(second.name)' \(offsetList(second)) overlap")
        }
    }

    private static func offsetList(_ info: SafeTensorsFile.TensorInfo) -> String {
        "[\(info.dataOffsets.lowerBound), \(info.dataOffsets.upperBound)]"
    }

    private static func describe(_ error: DecodingError, json: Data) -> String {
        func location(_ path: [CodingKey]) -> String {
            path.isEmpty ? "" : " at '" + path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".") + "'"
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            // JSONDecoder reports a fractional or huge number where an Int is expected as invalid JSON.
            return (try? JSONSerialization.jsonObject(with: json)) == nil
                ? "header is not valid JSON" : "header has a shape or data_offsets number that is not an integer"
        case .dataCorrupted(let context):
            return "header has an invalid value\(location(context.codingPath))"
        case .keyNotFound(let key, let context):
            return "header entry\(location(context.codingPath)) lacks the key '\(key.stringValue)'"
        case .typeMismatch(let type, let context):
            if context.codingPath.isEmpty { return "header is not a JSON object" }
            return "header has a value of the wrong type\(location(context.codingPath)) (expected \(type))"
        case .valueNotFound(_, let context):
            return "header has a null value\(location(context.codingPath))"
        @unknown default:
            return "header is not valid"
        }
    }
}

/// The header as JSON, before validation: a map whose values are tensor entries,
/// except `__metadata__`, which maps strings to strings.
private struct RawHeader: Decodable {
    var entries: [(String, RawEntry)] = []
    var metadata: [String: String] = [:]

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        for key in container.allKeys {
            if key.stringValue == "__metadata__" {
                metadata = try container.decode([String: String].self, forKey: key)
            } else {
                entries.append((key.stringValue, try container.decode(RawEntry.self, forKey: key)))
            }
        }
    }
}

private struct RawEntry: Decodable {
    var dtype: String
    var shape: [Int]
    var dataOffsets: [Int]

    enum CodingKeys: String, CodingKey {
        case dtype, shape
        case dataOffsets = "data_offsets"
    }
}

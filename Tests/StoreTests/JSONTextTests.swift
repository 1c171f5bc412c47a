import Foundation
import Store
import XCTest

/// `JSONText` writes what Foundation's JSONEncoder (sorted keys, unescaped slashes) writes for the
/// same values, byte for byte: strings with every kind of escape, numbers of every form, nesting.
final class JSONTextTests: XCTestCase {
    private struct Sample: Encodable {
        var flag: Bool
        var items: [Double]
        var missing: String?
        var n: Int
        var nested: [String: String]
        var text: String

        enum CodingKeys: String, CodingKey { case flag, items, missing, n, nested, text }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(flag, forKey: .flag)
            try c.encode(items, forKey: .items)
            try c.encode(missing, forKey: .missing)
            try c.encode(n, forKey: .n)
            try c.encode(nested, forKey: .nested)
            try c.encode(text, forKey: .text)
        }

        func write(to json: inout JSONText) {
            json.object {
                $0.key("flag"); $0.boolean(flag)
                $0.key("items"); $0.array(items) { $0.number($1) }
                $0.key("missing"); $0.string(missing)
                $0.key("n"); $0.integer(n)
                $0.key("nested")
                $0.object { object in
                    for (key, value) in nested.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
                        object.key(key)
                        object.string(value)
                    }
                }
                $0.key("text"); $0.string(text)
            }
        }
    }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    private static func randomText(_ rng: inout some RandomNumberGenerator) -> String {
        let pieces = ["a", "Z", "\"", "\\", "/", "\n", "\r", "\t", "\u{8}", "\u{c}", "\u{1}", "\u{1f}", "\u{7f}", "é", "€",
                      "😀", "\u{2028}", " ", "£12.75", "HEART T-LIGHT"]
        return (0..<Int.random(in: 0...12, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
    }

    private static func randomNumber(_ rng: inout some RandomNumberGenerator) -> Double {
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: Double(Int.random(in: -1_000_000...1_000_000, using: &rng))
        case 1: Double(Int.random(in: 0...100_000, using: &rng)) / 100
        case 2: Double(Float.random(in: -1...1, using: &rng))
        case 3: Double.random(in: -1...1, using: &rng) * pow(10, Double(Int.random(in: -30...30, using: &rng)))
        case 4: [0, -0.0, 1e16, 1e15, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 1e-7].randomElement(using: &rng)!
        default: Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &rng) & 0x7FEF_FFFF_FFFF_FFFF)
        }
    }

    func testMatchesJSONEncoderOnRandomValues() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let sample = Sample(
                flag: Bool.random(using: &rng),
                items: (0..<Int.random(in: 0...6, using: &rng)).map { _ in Self.randomNumber(&rng) },
                missing: Bool.random(using: &rng) ? nil : Self.randomText(&rng),
                n: Int.random(in: Int.min...Int.max, using: &rng),
                nested: Dictionary((0..<Int.random(in: 0...4, using: &rng)).map { _ in (Self.randomText(&rng), Self.randomText(&rng)) },
                                   uniquingKeysWith: { first, _ in first }),
                text: Self.randomText(&rng))
            var json = JSONText()
            sample.write(to: &json)
            let expected = try Self.encoder.encode(sample)
            XCTAssertEqual(String(decoding: json.bytes, as: UTF8.self), String(decoding: expected, as: UTF8.self))
        }
    }

    func testEmptyContainersAndTopLevelArrays() throws {
        var json = JSONText()
        json.array([[String](), ["x"], ["y", "z"]]) { outer, strings in outer.array(strings) { $0.string($1) } }
        XCTAssertEqual(String(decoding: json.bytes, as: UTF8.self), #"[[],["x"],["y","z"]]"#)
        var empty = JSONText()
        empty.object { _ in }
        XCTAssertEqual(String(decoding: empty.bytes, as: UTF8.self), "{}")
    }

    /// Where JSONEncoder throws (NaN, infinity), the writer writes null rather than fail an answer.
    func testNonFiniteNumbersAreNull() {
        var json = JSONText()
        json.array([Double.nan, .infinity, 1]) { $0.number($1) }
        XCTAssertEqual(String(decoding: json.bytes, as: UTF8.self), "[null,null,1]")
    }

    func testServedItemsMatchTheirCodableForm() throws {
        let items = [ServedItem(stockCode: "85123A", name: "WHITE HANGING HEART T-LIGHT HOLDER", narrative: "You keep coming back — \"41\" customers/£2.55\n"),
                     ServedItem(stockCode: "22423", name: "REGENCY CAKESTAND 3 TIER", narrative: nil)]
        var json = JSONText()
        json.array(items) { $1.write(to: &$0) }
        XCTAssertEqual(String(decoding: json.bytes, as: UTF8.self), String(decoding: try Self.encoder.encode(items), as: UTF8.self))
        XCTAssertEqual(try JSONDecoder().decode([ServedItem].self, from: Data(json.bytes)), items)
    }
}

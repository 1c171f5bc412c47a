/// JSON written straight into bytes, for the answers the shop writes on every request: the same
/// text Foundation's `JSONEncoder` writes with `.sortedKeys` and `.withoutEscapingSlashes` for
/// the same values (tests compare the two byte for byte), at a small part of its cost — the
/// encoder's generic containers were a fifth of a recommendations request's CPU.
///
/// The writer keeps no schema: a type writes its members in sorted key order itself.
public struct JSONText: Sendable {
    public private(set) var bytes: [UInt8] = []
    /// Per open container: whether a member has been written (so the next one needs a comma).
    private var written: [Bool] = []
    /// A key was just written: its value takes no comma.
    private var afterKey = false

    private static let hexDigits = Array("0123456789abcdef".utf8)

    public init(capacity: Int = 1024) {
        bytes.reserveCapacity(capacity)
    }

    /// Writes `{`, the members `body` writes, `}`.
    public mutating func object(_ body: (inout JSONText) -> Void) {
        open(UInt8(ascii: "{"))
        body(&self)
        close(UInt8(ascii: "}"))
    }

    /// Writes `[`, one element per call of `element`, `]`.
    public mutating func array<S: Sequence>(_ elements: S, _ element: (inout JSONText, S.Element) -> Void) {
        open(UInt8(ascii: "["))
        for e in elements { element(&self, e) }
        close(UInt8(ascii: "]"))
    }

    /// Writes `"name":`; the next value written is its value.
    public mutating func key(_ name: String) {
        string(name)
        bytes.append(UInt8(ascii: ":"))
        afterKey = true
    }

    public mutating func string(_ value: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                          Self.hexDigits[Int(byte >> 4)], Self.hexDigits[Int(byte & 0xF)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func string(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    public mutating func integer(_ value: Int) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
    }

    /// As `JSONEncoder` writes a finite Double: Swift's shortest round-trip form without a
    /// trailing `.0` (`12.75`, `100`, `1e-07`). JSON has no NaN or infinity: where the encoder
    /// would throw, this writes `null` rather than fail a whole answer.
    public mutating func number(_ value: Double) {
        guard value.isFinite else { return null() }
        separate()
        let text = value.description
        bytes.append(contentsOf: text.hasSuffix(".0") ? text.utf8.dropLast(2) : text.utf8[...])
    }

    public mutating func boolean(_ value: Bool) {
        separate()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    public mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
    }

    private mutating func open(_ bracket: UInt8) {
        separate()
        bytes.append(bracket)
        written.append(false)
    }

    private mutating func close(_ bracket: UInt8) {
        written.removeLast()
        bytes.append(bracket)
    }

    /// The comma before a value or key that is not the first in its container.
    private mutating func separate() {
        if afterKey {
            afterKey = false
            return
        }
        guard let last = written.indices.last else { return }
        if written[last] { bytes.append(UInt8(ascii: ",")) }
        written[last] = true
    }
}

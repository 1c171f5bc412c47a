import Foundation
import Tensor
import XCTest

final class SafeTensorsTests: XCTestCase {
    private var directory: String = ""

    private static var fixtures: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    }

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "/finch-safetensors-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    // MARK: - Round trips

    func testRoundTripOfEveryDTypeAndShape() throws {
        var data = TestData(seed: 5)
        let weights = data.normal(12)
        let borrowed = FloatBuffer(count: 6)
        for i in 0..<6 { borrowed.pointer[i] = Float(i) - 2.5 }
        let halfBits: [UInt16] = [0x3C00, 0xC000, 0x3555, 0x0001]
        let bfloatBits: [UInt16] = [0x3F80, 0xC020, 0x4049]
        let ids: [Int64] = [-3, 0, 50_256, 1 << 40]
        let positions: [Int32] = [0, -1, .max]
        let quantized: [Int8] = [-128, -1, 0, 1, 127]

        var writer = SafeTensorsWriter(metadata: ["format": "pt", "step": "42"])
        try writer.add("weights", tensor: Tensor(shape: [3, 4], data: weights))
        try writer.add("borrowed", floats: UnsafeBufferPointer(borrowed.buffer), shape: [2, 3])
        try writer.add("half", dtype: .float16, shape: [4], bytes: halfBits.flatMap(littleEndianBytes))
        try writer.add("bfloat", dtype: .bfloat16, shape: [3, 1], bytes: bfloatBits.flatMap(littleEndianBytes))
        try writer.add("double", dtype: .float64, shape: [2], bytes: [1.5, -1e-3].flatMap(littleEndianBytes))
        try writer.add("ids", int64s: ids, shape: [2, 2])
        try writer.add("positions", int32s: positions, shape: [3])
        try writer.add("quantized", int8s: quantized, shape: [5])
        try writer.add("mask", dtype: .bool, shape: [2], bytes: [1, 0])
        try writer.add("empty", floats: [], shape: [0])
        try writer.add("no.columns", int64s: [], shape: [4, 0])
        try writer.add("scalar", floats: [7.25], shape: [])
        let path = directory + "/nested/dir/round.safetensors"
        try writer.write(to: path)

        let file = try SafeTensorsFile(path: path)
        XCTAssertEqual(file.names, ["bfloat", "borrowed", "double", "empty", "half", "ids", "mask",
                                    "no.columns", "positions", "quantized", "scalar", "weights"])
        XCTAssertEqual(file.metadata, ["format": "pt", "step": "42"])
        XCTAssertEqual(try file.tensor("weights"), Tensor(shape: [3, 4], data: weights))
        XCTAssertEqual(try file.floats("borrowed"), [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5])
        XCTAssertEqual(try file.floats("half"), [1, -2, 0.333251953125, 0x1p-24])
        XCTAssertEqual(try file.floats("bfloat"), [1, -2.5, 3.140625])
        XCTAssertEqual(try file.floats("double"), [1.5, Float(-1e-3)])
        XCTAssertEqual(try file.int64s("ids"), ids)
        XCTAssertEqual(try file.int32s("positions"), positions)
        XCTAssertEqual(try file.int8s("quantized"), quantized)
        XCTAssertEqual(try file.int32s("quantized"), quantized.map(Int32.init))
        XCTAssertEqual(try file.integers("mask", as: UInt8.self), [1, 0])
        XCTAssertEqual(try file.tensor("empty"), Tensor(shape: [0], data: []))
        XCTAssertEqual(try file.int64s("no.columns"), [])
        XCTAssertEqual(file.info("no.columns")?.shape, [4, 0])
        XCTAssertEqual(try file.tensor("scalar"), Tensor(shape: [], data: [7.25]))
        XCTAssertEqual(file.info("half")?.dtype, .float16)
        XCTAssertEqual(file.info("bfloat")?.shape, [3, 1])

        var copied = [Float](repeating: .nan, count: 12)
        try copied.withUnsafeMutableBufferPointer { try file.copyFloats("weights", into: $0.baseAddress!, count: 12) }
        XCTAssertEqual(copied, weights)
        try file.withRawBytes("quantized") { XCTAssertEqual(Array($0), quantized.map { UInt8(bitPattern: $0) }) }

        // The writer's layout keeps every tensor aligned to its element size inside the page-aligned map.
        for name in file.names {
            let info = try XCTUnwrap(file.info(name))
            let address = Int(bitPattern: try file.rawBytes(name).baseAddress)
            XCTAssertEqual(address % info.dtype.byteSize, 0, "\(name) is misaligned")
        }
    }

    func testHalfPrecisionConversionIsExactForEveryBitPattern() throws {
        let patterns = (0...UInt16.max).map { $0 }
        var writer = SafeTensorsWriter()
        try writer.add("all", dtype: .float16, shape: [patterns.count], bytes: patterns.flatMap(littleEndianBytes))
        let path = directory + "/half.safetensors"
        try writer.write(to: path)
        let values = try SafeTensorsFile(path: path).floats("all")
        let wrong = patterns.filter { bits in
            let (expected, actual) = (referenceHalfToFloat(bits), values[Int(bits)])
            return expected.isNaN ? !(actual.isNaN && actual.sign == expected.sign) : actual.bitPattern != expected.bitPattern
        }
        XCTAssertEqual(wrong.count, 0, "first wrong bit pattern: \(wrong.first.map { String($0, radix: 16) } ?? "-")")
    }

    // MARK: - Interoperability with the reference implementation

    func testReadsTheGoldenTinyGPT2Checkpoint() throws {
        let file = try SafeTensorsFile(path: Self.fixtures + "/tiny-gpt2-model.safetensors")
        XCTAssertEqual(file.names.count, 28)
        XCTAssertEqual(file.names.first, "transformer.h.0.attn.c_attn.bias")
        XCTAssertEqual(file.metadata, ["format": "pt"])
        XCTAssertEqual(file.info("transformer.wte.weight")?.shape, [1000, 64])
        XCTAssertEqual(file.info("transformer.h.1.attn.c_attn.weight")?.shape, [64, 192])
        XCTAssertNil(file.info("lm_head.weight"))

        // Reference values read with Python's struct module from the raw bytes of the file
        // (header length, json.loads, then struct.unpack('<f') at 8 + N + data_offsets[0] + 4 i).
        let embedding = try file.floats("transformer.wte.weight")
        XCTAssertEqual(embedding[0], 0.014842118136584759)
        XCTAssertEqual(embedding[999 * 64 + 63], -0.0007727599586360157)
        XCTAssertEqual(embedding[123 * 64 + 45], -0.03848640248179436)
        XCTAssertEqual(try file.floats("transformer.h.1.attn.c_attn.weight")[5 * 192 + 100], -0.012873921543359756)
        XCTAssertEqual(try file.tensor("transformer.ln_f.bias").data[3], 0.02271478809416294)
        // Σ and Σ|·| over the whole embedding, summed in float64 by Python.
        XCTAssertEqual(embedding.reduce(0.0) { $0 + Double($1) }, 14.398970563976022, accuracy: 1e-9)
        XCTAssertEqual(embedding.reduce(0.0) { $0 + abs(Double($1)) }, 1025.5801967686355, accuracy: 1e-9)
    }

    func testRewritingTheGoldenCheckpointReproducesItByteForByte() throws {
        let source = Self.fixtures + "/tiny-gpt2-model.safetensors"
        let file = try SafeTensorsFile(path: source)
        var writer = SafeTensorsWriter(metadata: file.metadata)
        for name in file.names.reversed() {
            try writer.add(name, tensor: try file.tensor(name))
        }
        let path = directory + "/model.safetensors"
        try writer.write(to: path)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), try Data(contentsOf: URL(fileURLWithPath: source)))
    }

    /// The tensors of Fixtures/make_reference.py, rebuilt from the same formulas and bit patterns.
    func testWriterMatchesPythonSafetensorsByteForByte() throws {
        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        try writer.add("weights", floats: formula(6).map(Float.init), shape: [2, 3])
        try writer.add("double", dtype: .float64, shape: [4], bytes: formula(4).flatMap(littleEndianBytes))
        try writer.add("half", dtype: .float16, shape: [7],
                       bytes: ([0x3C00, 0xC000, 0x7BFF, 0x0001, 0x7C00, 0x8000, 0x7E00] as [UInt16]).flatMap(littleEndianBytes))
        try writer.add("brain", dtype: .bfloat16, shape: [2, 2],
                       bytes: ([0x3F80, 0xC020, 0x4049, 0x0001] as [UInt16]).flatMap(littleEndianBytes))
        try writer.add("ids", int64s: [-1, 0, 1 << 40, 7], shape: [2, 2])
        try writer.add("positions", int32s: [-5, 0, .max], shape: [3])
        try writer.add("quantized", int8s: [-128, -1, 0, 1, 127, 5, -7], shape: [7])
        try writer.add("bytes", dtype: .uint8, shape: [3], bytes: [0, 255, 9])
        try writer.add("short", dtype: .int16, shape: [2], bytes: ([-32768, 300] as [Int16]).flatMap(littleEndianBytes))
        try writer.add("mask", dtype: .bool, shape: [4], bytes: [1, 0, 0, 1])
        try writer.add("empty", floats: [], shape: [0])
        try writer.add("scalar", floats: [2.5], shape: [])
        try writer.add("zero_rows", int64s: [], shape: [2, 0])
        try writer.add("Zebra", floats: [1], shape: [1])
        try writer.add("na\u{EF}ve \"quoted\"\tname", floats: [-0.5], shape: [1])
        let path = directory + "/reference.safetensors"
        try writer.write(to: path)

        let reference = try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/reference.safetensors"))
        let written = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(written.count, reference.count)
        XCTAssertEqual(written, reference, "first difference at byte \(zip(written, reference).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? -1)")
    }

    func testReadsEveryDTypeOfThePythonReferenceFile() throws {
        let file = try SafeTensorsFile(path: Self.fixtures + "/reference.safetensors")
        XCTAssertEqual(file.names.count, 15)
        XCTAssertEqual(try file.floats("weights"), formula(6).map(Float.init))
        XCTAssertEqual(file.info("weights")?.shape, [2, 3])
        XCTAssertEqual(try file.floats("double"), formula(4).map(Float.init))
        let half = try file.floats("half")
        XCTAssertEqual(Array(half[0..<6]), [1, -2, 65504, 0x1p-24, .infinity, 0])
        XCTAssertEqual(half[5].sign, .minus)
        XCTAssertTrue(half[6].isNaN)
        XCTAssertEqual(try file.floats("brain"), [1, -2.5, 3.140625, 0x1p-133])
        XCTAssertEqual(try file.int64s("ids"), [-1, 0, 1 << 40, 7])
        XCTAssertEqual(try file.int32s("positions"), [-5, 0, .max])
        XCTAssertEqual(try file.int8s("quantized"), [-128, -1, 0, 1, 127, 5, -7])
        XCTAssertEqual(try file.int32s("bytes"), [0, 255, 9])
        XCTAssertEqual(try file.int64s("short"), [-32768, 300])
        XCTAssertEqual(try file.integers("mask", as: UInt8.self), [1, 0, 0, 1])
        XCTAssertEqual(try file.tensor("scalar"), Tensor(shape: [], data: [2.5]))
        XCTAssertEqual(file.info("empty")?.byteCount, 0)
        XCTAssertEqual(file.info("zero_rows")?.shape, [2, 0])
        XCTAssertEqual(try file.floats("na\u{EF}ve \"quoted\"\tname"), [-0.5])
    }

    // MARK: - Bad input

    func testCorruptFilesThrowErrorsNamingTheFile() throws {
        let golden = try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/tiny-gpt2-model.safetensors"))
        let cases: [(String, [UInt8], String)] = [
            ("empty", [], "too short"),
            ("five bytes", [1, 2, 3, 4, 5], "too short"),
            ("truncated header", rawFile(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0], declaredLength: 500),
             "runs past the end of the file"),
            ("absurd header length", rawFile("{}", data: [], declaredLength: .max), "over the 100 MB limit"),
            ("truncated data", Array(golden.prefix(golden.count / 2)), "past the end of the data"),
            ("bad JSON", rawFile(#"{"a": {"dtype":"#, data: []), "not valid JSON"),
            ("not an object", rawFile("[1, 2]", data: []), "not a JSON object"),
            ("missing key", rawFile(#"{"a":{"dtype":"F32","shape":[1]}}"#, data: [0, 0, 0, 0]), "lacks the key 'data_offsets'"),
            ("unknown dtype", rawFile(#"{"a":{"dtype":"Q8","shape":[1],"data_offsets":[0,1]}}"#, data: [0]), "unknown dtype 'Q8'"),
            ("shape mismatch", rawFile(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)),
             "needs 12 bytes"),
            ("negative dimension", rawFile(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#, data: []), "invalid shape"),
            ("overflowing shape", rawFile(#"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}"#, data: []),
             "invalid shape"),
            ("offsets out of range", rawFile(#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: Array(repeating: 0, count: 8)),
             "past the end of the data"),
            ("end before begin", rawFile(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#, data: Array(repeating: 0, count: 8)),
             "do not form a range"),
            ("negative offset", rawFile(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#, data: []), "do not form a range"),
            ("three offsets", rawFile(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}"#, data: Array(repeating: 0, count: 8)),
             "expected [begin, end]"),
            ("fractional offset", rawFile(#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1.5]}}"#, data: [0, 0]), "not an integer"),
            ("overlap", rawFile(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                                data: Array(repeating: 0, count: 12)), "tensors 'a' [0, 8] and 'b' [4, 12] overlap"),
            ("metadata not strings", rawFile(#"{"__metadata__":{"step":3}}"#, data: []), "__metadata__.step"),
        ]
        for (label, bytes, expected) in cases {
            let path = directory + "/corrupt.safetensors"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try SafeTensorsFile(path: path), label) { error in
                let message = (error as? SafeTensorsError)?.message ?? "\(error)"
                XCTAssertTrue(message.hasPrefix(path + ": "), "\(label): \(message)")
                XCTAssertTrue(message.contains(expected), "\(label): \(message)")
            }
        }
    }

    func testGapsBetweenTensorsAreAccepted() throws {
        let path = directory + "/gaps.safetensors"
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"z":{"dtype":"I8","shape":[0],"data_offsets":[2,2]}}"#
        let data = littleEndianBytes(Float(1.5)) + [9, 9, 9, 9] + littleEndianBytes(Float(-3))
        try Data(rawFile(header, data: data)).write(to: URL(fileURLWithPath: path))
        let file = try SafeTensorsFile(path: path)
        XCTAssertEqual(try file.floats("a"), [1.5])
        XCTAssertEqual(try file.floats("b"), [-3])
        XCTAssertEqual(try file.int8s("z"), [])
        // Bytes after the last tensor are no tensor's gap: a corrupt file, or junk appended to one.
        try Data(rawFile(header, data: data + [7])).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try SafeTensorsFile(path: path)) {
            XCTAssertEqual("\($0)", "\(path): 1 bytes after the last tensor's data; a corrupt file, or bytes appended to it")
        }
    }

    func testADuplicateTensorNameIsRefused() throws {
        let path = directory + "/duplicate.safetensors"
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        try Data(rawFile(header, data: littleEndianBytes(Float(1)) + littleEndianBytes(Float(2)))).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try SafeTensorsFile(path: path)) {
            XCTAssertEqual("\($0)", "\(path): header names 'a' twice")
        }
    }

    func testAccessorsRejectWrongNamesTypesAndCounts() throws {
        let path = directory + "/model.safetensors"
        var writer = SafeTensorsWriter()
        try writer.add("ids", int64s: [1, 300, -1], shape: [3])
        try writer.add("weights", floats: [1, 2, 3, 4], shape: [2, 2])
        try writer.add("no.ids", int64s: [], shape: [0])
        try writer.write(to: path)
        let file = try SafeTensorsFile(path: path)

        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "no error" } catch { return "\(error)" }
        }
        XCTAssertEqual(message { _ = try file.floats("transformer.wte.weight") },
                       "\(path): no tensor named 'transformer.wte.weight'")
        XCTAssertEqual(message { _ = try file.floats("ids") },
                       "\(path): tensor 'ids' has dtype I64, which cannot be read as floats (F32, F16, BF16 or F64)")
        XCTAssertEqual(message { _ = try file.floats("no.ids") },
                       "\(path): tensor 'no.ids' has dtype I64, which cannot be read as floats (F32, F16, BF16 or F64)")
        XCTAssertEqual(message { _ = try file.int64s("weights") }, "\(path): tensor 'weights' has dtype F32, not an integer type")
        XCTAssertEqual(message { _ = try file.int8s("ids") }, "\(path): tensor 'ids' element 1 = 300 does not fit in Int8")
        var destination = [Float](repeating: 0, count: 3)
        XCTAssertEqual(message { try destination.withUnsafeMutableBufferPointer { try file.copyFloats("weights", into: $0.baseAddress!, count: 3) } },
                       "\(path): tensor 'weights' has 4 elements (shape [2, 2]), expected 3")
        XCTAssertEqual(destination, [0, 0, 0])
        XCTAssertTrue(message { _ = try SafeTensorsFile(path: self.directory + "/missing.safetensors") }
            .hasPrefix(directory + "/missing.safetensors: cannot open: "))
        XCTAssertEqual(message { _ = try SafeTensorsFile(path: self.directory) }, "\(directory): is a directory, not a regular file")
    }

    func testWriterRejectsInconsistentTensors() throws {
        var writer = SafeTensorsWriter()
        XCTAssertThrowsError(try writer.add("a", floats: [1, 2, 3], shape: [2, 2]))
        XCTAssertThrowsError(try writer.add("a", dtype: .float16, shape: [2], bytes: [0, 0, 0]))
        XCTAssertThrowsError(try writer.add("a", floats: [], shape: [-1, 0]))
        XCTAssertThrowsError(try writer.add("__metadata__", floats: [1], shape: [1]))
        try writer.add("a", floats: [1], shape: [1])
        XCTAssertThrowsError(try writer.add("a", int8s: [1], shape: [1]))
    }

    // MARK: - Atomic writes

    func testAtomicWriteReplacesTheFileAndCreatesDirectories() throws {
        let path = directory + "/a/b/config.json"
        try AtomicFile.write(Data("first".utf8), to: path)
        try AtomicFile.write(to: path) { output in
            try output.write("sec")
            try output.write([UInt8]("ond".utf8))
        }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "second")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory + "/a/b"), ["config.json"])
    }

    func testAtomicWriteLeavesTheOldFileIntactWhenTheBodyThrows() throws {
        struct Interrupted: Error {}
        let path = directory + "/model.safetensors"
        try AtomicFile.write(Data("old contents".utf8), to: path)
        XCTAssertThrowsError(try AtomicFile.write(to: path) { output in
            try output.write(Array(repeating: UInt8(0xAB), count: 1 << 20))
            throw Interrupted()
        }) { XCTAssertTrue($0 is Interrupted) }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "old contents")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["model.safetensors"])
    }

    func testAtomicWriteIntoAFileInsteadOfADirectoryFailsWithAMessage() throws {
        let blocker = directory + "/blocker"
        try AtomicFile.write(Data("x".utf8), to: blocker)
        XCTAssertThrowsError(try AtomicFile.write(Data("y".utf8), to: blocker + "/config.json")) { error in
            XCTAssertTrue("\(error)".hasPrefix("cannot write \(blocker)/config.json"), "\(error)")
        }
        let target = directory + "/is-a-directory"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        XCTAssertThrowsError(try AtomicFile.write(Data("y".utf8), to: target)) { error in
            XCTAssertTrue("\(error)".hasPrefix("cannot write \(target): cannot rename"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory).sorted(), ["blocker", "is-a-directory"])
    }
}

// MARK: - Helpers

private func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
}

private func littleEndianBytes(_ value: Float) -> [UInt8] { littleEndianBytes(value.bitPattern) }
private func littleEndianBytes(_ value: Double) -> [UInt8] { littleEndianBytes(value.bitPattern) }

/// make_reference.py's values: ((37 i) mod 101 − 50) / 8, exact in every float format.
private func formula(_ count: Int) -> [Double] { (0..<count).map { Double((37 * $0) % 101 - 50) / 8 } }

/// A safetensors file from a header written by hand; `declaredLength` overrides the length prefix.
private func rawFile(_ header: String, data: [UInt8], declaredLength: UInt64? = nil) -> [UInt8] {
    littleEndianBytes(declaredLength ?? UInt64(header.utf8.count)) + Array(header.utf8) + data
}

/// binary16 → binary32 from the definition: (−1)^s · 2^(e−15) · (1 + m/1024), or 2⁻¹⁴ · m/1024 when e = 0.
private func referenceHalfToFloat(_ bits: UInt16) -> Float {
    let sign: Float = bits & 0x8000 != 0 ? -1 : 1
    let exponent = Int(bits >> 10) & 0x1F
    let mantissa = Float(bits & 0x3FF)
    switch exponent {
    case 0: return sign * Float(sign: .plus, exponent: -14, significand: mantissa / 1024)
    case 31: return mantissa == 0 ? sign * .infinity : (sign < 0 ? -Float.nan : Float.nan)
    default: return sign * Float(sign: .plus, exponent: exponent - 15, significand: 1 + mantissa / 1024)
    }
}

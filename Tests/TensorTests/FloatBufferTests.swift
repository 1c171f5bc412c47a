import Tensor
import XCTest

/// Small buffers come from the heap, large ones (≥ 1 MB) from an anonymous map: both start zeroed,
/// 64-byte aligned and writable everywhere.
final class FloatBufferTests: XCTestCase {
    func testSmallAndMappedBuffersAreZeroAlignedAndWritable() {
        for count in [0, 1, 1000, 300_003] {
            let buffer = FloatBuffer(count: count)
            XCTAssertEqual(Int(bitPattern: buffer.pointer) % 64, 0, "count \(count)")
            XCTAssertTrue(buffer.buffer.allSatisfy { $0 == 0 }, "count \(count)")
            for i in 0..<count { buffer.pointer[i] = Float(i) }
            XCTAssertEqual(buffer.toArray(), (0..<count).map(Float.init), "count \(count)")
            buffer.zero()
            XCTAssertTrue(buffer.buffer.allSatisfy { $0 == 0 }, "count \(count)")
        }
    }
}

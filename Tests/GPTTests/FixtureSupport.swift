import Foundation

/// Paths of the committed fixtures (copied from the PyTorch golden outputs).
enum Fixtures {
    static var directory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    }

    static var tinyGPT2: String { directory + "/tiny-gpt2" }
}

import Foundation

/// The golden tiny GPT-2 and its PEFT adapter, committed beside the GPT tests.
enum Fixtures {
    static var tinyGPT2: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("GPTTests/Fixtures/tiny-gpt2").path
    }
}

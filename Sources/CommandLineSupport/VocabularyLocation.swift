import ArgumentParser
import Foundation

/// Where the GPT-2 vocabulary is when `--vocab` is not given: the project's `data/gpt2`, found
/// from the working directory or from the executable's location (`.build/release/generate` or `serve`
/// sits two levels below the project), so the command works from anywhere in a checkout.
public enum VocabularyLocation {
    public static let projectPath = "data/gpt2"

    public static func resolve(_ explicit: String?) throws -> String {
        if let explicit { return explicit }
        var candidates = [FileManager.default.currentDirectoryPath]
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(folder.path)
            folder = folder.deletingLastPathComponent()
        }
        for base in candidates {
            let path = (base as NSString).appendingPathComponent(projectPath)
            if FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("encoder.json")) {
                return path
            }
        }
        throw ValidationError("no GPT-2 vocabulary found: pass --vocab DIR (encoder.json + vocab.bpe, or vocab.json + merges.txt); looked for \(projectPath) under the working directory and the executable's")
    }
}

import ArgumentParser
import Foundation

/// Where the GPT-2 vocabulary is when `--vocab` is not given: the project's `data/gpt2`, found
/// from the working directory or from the executable's location (`.build/release/train`,
/// `generate`, `serve` or `recommend` sits two levels below the project), so every command that
/// takes `--vocab` works from anywhere in a checkout.
public enum VocabularyLocation {
    public static let projectPath = "data/gpt2"

    public static func resolve(_ explicit: String?) throws -> String {
        if let explicit { return explicit }
        var candidates = [FileManager.default.currentDirectoryPath]
        var folder = executableURL().deletingLastPathComponent()
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
        throw ValidationError("--vocab: no GPT-2 vocabulary found: pass --vocab DIR (encoder.json + vocab.bpe, or vocab.json + merges.txt); looked for \(projectPath) under the working directory and the executable's")
    }

    /// The running executable's real location: `/proc/self/exe` on Linux, since argv[0] is a bare
    /// name when the tool is found through `$PATH`.
    private static func executableURL() -> URL {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: path)
        }
        return (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])).resolvingSymlinksInPath()
    }
}

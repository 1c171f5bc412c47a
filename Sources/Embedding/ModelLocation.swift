import Foundation

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

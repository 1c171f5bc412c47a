#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The checks every command that writes a run or checkpoint makes on its `--out` before it
/// loads or writes anything: a user's run is never replaced by accident, never written over the
/// inputs it is read from, and an unusable `--out` is one line naming it, not a failure after
/// hours of training.
public enum RunDirectory {
    /// Files whose presence means a directory already holds a run, a checkpoint or an adapter.
    public static let markers = [Checkpoint.weightsFile, Checkpoint.configFile, TrainerState.jsonFile,
                                 "adapter_model.safetensors", "adapter_config.json", MetricsLog.fileName]

    /// What a command is about to do with `--out`.
    public enum Intent {
        /// Start a new run or write a new checkpoint; `overwrite` allows replacing one.
        case create(overwrite: Bool)
        /// Continue the run already there.
        case resume
    }

    /// Throws one line naming the flag when `out` cannot be used as `intent` says. `inputs` are
    /// the other paths the command reads (flag and path), which `out` must not be.
    public static func check(out: String, intent: Intent, inputs: [(flag: String, path: String?)]) throws {
        let target = canonical(out)
        for (flag, path) in inputs {
            guard let path else { continue }
            if canonical(path) == target {
                throw GPTError.invalidInput("--out \(out) is also \(flag) \(path): write the output to another directory")
            }
        }
        var status = stat()
        if stat(out, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFDIR else {
                throw GPTError.invalidInput("--out \(out): exists and is not a directory")
            }
            guard access(out, W_OK | X_OK) == 0 else {
                throw GPTError.invalidInput("--out \(out): cannot write into it (\(String(cString: strerror(errno))))")
            }
        } else {
            try checkCreatable(out)
        }
        if case .create(let overwrite) = intent, !overwrite,
           let marker = markers.first(where: { FileManager.default.fileExists(atPath: (out as NSString).appendingPathComponent($0)) }) {
            throw GPTError.invalidInput("--out \(out) already holds a run (\(marker)): pass --resume to continue it or --overwrite to replace it")
        }
    }

    /// `out` does not exist: its nearest existing ancestor must be a directory we can write in.
    private static func checkCreatable(_ out: String) throws {
        var ancestor = (canonical(out) as NSString).deletingLastPathComponent
        while !ancestor.isEmpty {
            var status = stat()
            if stat(ancestor, &status) == 0 {
                guard status.st_mode & S_IFMT == S_IFDIR else {
                    throw GPTError.invalidInput("--out \(out): \(ancestor) is not a directory")
                }
                guard access(ancestor, W_OK | X_OK) == 0 else {
                    throw GPTError.invalidInput("--out \(out): cannot create it in \(ancestor) (\(String(cString: strerror(errno))))")
                }
                return
            }
            if ancestor == "/" { break }
            ancestor = (ancestor as NSString).deletingLastPathComponent
        }
    }

    /// An absolute path with symlinks resolved as far as the path exists.
    static func canonical(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
}

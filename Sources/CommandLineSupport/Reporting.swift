import ArgumentParser
import Foundation

/// Runs a command body; any error becomes one line on stderr and exit code 1.
public func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ValidationError {
        printError("error: \(error.message)")
        throw ExitCode.failure
    } catch let error as ExitCode {
        throw error
    } catch let error as CocoaError {
        // Foundation's own description is a multi-line dump; say what failed on which file.
        let file = (error.userInfo[NSFilePathErrorKey] as? String) ?? error.errorUserInfo[NSFilePathErrorKey] as? String
        printError("error: \(file.map { "\($0): " } ?? "")\(error.localizedDescription)")
        throw ExitCode.failure
    } catch {
        printError("error: \(error)")
        throw ExitCode.failure
    }
}

/// `runReportingErrors` for async command bodies (the server).
public func runReportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ValidationError {
        printError("error: \(error.message)")
        throw ExitCode.failure
    } catch let error as ExitCode {
        throw error
    } catch {
        printError("error: \(error)")
        throw ExitCode.failure
    }
}

/// One line on stderr: progress and diagnostics, kept apart from the output a user pipes on.
public func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Writes to stdout without buffering, so streamed text appears as it is generated.
public func writeOutput(_ text: String) {
    writeOutput(Data(text.utf8))
}

/// Raw bytes to stdout (decoded tokens need not be valid UTF-8).
public func writeOutput(_ bytes: Data) {
    guard !bytes.isEmpty else { return }
    FileHandle.standardOutput.write(bytes)
}

/// 7240000 → "7.24M", 36100 → "36.1K".
public func formatCount(_ n: Int) -> String {
    if n >= 1_000_000 { return String(format: "%.2fM", Double(n) / 1e6) }
    if n >= 10_000 { return String(format: "%.1fK", Double(n) / 1e3) }
    return String(n)
}

/// 75 → "1m15s", 3720 → "1h02m".
public func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    let s = Int(seconds.rounded())
    if s >= 3600 { return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m" }
    if s >= 60 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
    return "\(s)s"
}

/// `fields` as one line of JSON with sorted keys. JSON has no NaN or infinity, and Foundation
/// refuses to write them: a non-finite number (a diverged loss, a perplexity of ∞) becomes null.
public func jsonLine(_ fields: [String: Any]) throws -> String {
    func finite(_ value: Any) -> Any {
        switch value {
        case let number as Double: number.isFinite ? number : NSNull()
        case let number as Float: number.isFinite ? Double(number) : NSNull()
        case let object as [String: Any]: object.mapValues(finite)
        case let array as [Any]: array.map(finite)
        default: value
        }
    }
    let data = try JSONSerialization.data(withJSONObject: finite(fields), options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
}

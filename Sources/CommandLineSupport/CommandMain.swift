import ArgumentParser
import Foundation

extension ParsableCommand {
    /// The `main` of both tools: a flag that does not parse or validate is one line on stderr
    /// naming it, and exit code 1 — as for every other failure — instead of the parser's usage
    /// screen and code 64. `--help` and `--version` print as usual.
    public static func mainReportingErrors() -> Never {
        do {
            var command = try parseAsRoot()
            try command.run()
            Self.exit()
        } catch {
            if error is ExitCode || exitCode(for: error) == .success {
                Self.exit(withError: error)
            }
            let message = message(for: error)
                .split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
                .joined(separator: " ")
            printError("error: \(message.isEmpty ? "\(error)" : message)")
            Foundation.exit(1)
        }
    }
}

/// Why a floating-point flag's value is unusable because it is NaN or infinite, or nil.
public func nonFiniteProblem(_ values: [(flag: String, value: Float?)]) -> String? {
    for (flag, value) in values {
        if let value, !value.isFinite { return "\(flag) must be a finite number (got \(value))" }
    }
    return nil
}

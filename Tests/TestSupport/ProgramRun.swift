import Foundation
import XCTest

/// The built executables and `mpirun`, and running them with a time limit.
public enum ProgramRun {
    public struct Result {
        public let status: Int32
        public let output: String
        public let timedOut: Bool
    }

    /// `train` from the products directory the test bundle was built into.
    public static func trainExecutable() throws -> String { try executable("train") }

    /// The products directory the test bundle was built into (`.build/<triple>/debug`), where
    /// `swift test` also builds the package's executables.
    public static func productsDirectory() -> URL {
        let bundle = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).resolvingSymlinksInPath()
        var directory = bundle.deletingLastPathComponent()
        // On macOS the arguments name xctest inside Xcode; the bundle sits in the products directory.
        if !FileManager.default.fileExists(atPath: directory.appendingPathComponent("train").path) {
            directory = Bundle(for: BundleMarker.self).bundleURL.deletingLastPathComponent()
        }
        return directory
    }

    /// An executable of the package, built beside the test bundle.
    public static func executable(_ name: String) throws -> String {
        let path = productsDirectory().appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw RunFailure(description: "\(path) is not built; run `swift build --product \(name)` first")
        }
        return path
    }

    /// `mpirun` on PATH; without it the tests fail (scripts/setup installs it), never skip.
    public static func mpirun() throws -> String {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(directory)/mpirun"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw RunFailure(description: "mpirun is not on PATH: Open MPI is missing; scripts/setup installs openmpi-bin and libopenmpi-dev")
    }

    /// mpirun's flags for the tests: two ranks on however few cores, as root in CI containers,
    /// over shared memory and loopback only.
    public static let mpirunFlags = ["--oversubscribe", "--allow-run-as-root", "--mca", "btl", "self,vader,tcp",
                              "--mca", "btl_tcp_if_include", "lo", "--mca", "oob_tcp_if_include", "lo"]

    public static func run(_ executable: String, _ arguments: [String], timeout: Double,
                    environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("finch-run-\(UUID().uuidString).log")
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            throw RunFailure(description: "cannot create \(log.path)")
        }
        let handle = try FileHandle(forWritingTo: log)
        defer { try? FileManager.default.removeItem(at: log) }
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let timedOut = process.isRunning
        if timedOut {
            process.terminate()
            process.waitUntilExit()
        }
        try handle.close()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return Result(status: process.terminationStatus, output: output, timedOut: timedOut)
    }
}

public struct RunFailure: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

private final class BundleMarker {}

import Foundation
import XCTest

/// The built `train` and `mpirun`, and running them with a time limit.
enum ProgramRun {
    struct Result {
        let status: Int32
        let output: String
        let timedOut: Bool
    }

    /// `train` from the products directory the test bundle was built into (`.build/<triple>/debug`).
    static func trainExecutable() throws -> String {
        let bundle = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).resolvingSymlinksInPath()
        var directory = bundle.deletingLastPathComponent()
        // On macOS the arguments name xctest inside Xcode; the bundle sits in the products directory.
        if !FileManager.default.fileExists(atPath: directory.appendingPathComponent("train").path) {
            directory = Bundle(for: BundleMarker.self).bundleURL.deletingLastPathComponent()
        }
        let path = directory.appendingPathComponent("train").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw RunFailure(description: "\(path) is not built; run `swift build --product train` first")
        }
        return path
    }

    /// `mpirun` on PATH; without it the tests fail (scripts/setup installs it), never skip.
    static func mpirun() throws -> String {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(directory)/mpirun"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw RunFailure(description: "mpirun is not on PATH: Open MPI is missing; scripts/setup installs openmpi-bin and libopenmpi-dev")
    }

    /// mpirun's flags for the tests: two ranks on however few cores, as root in CI containers,
    /// over shared memory and loopback only.
    static let mpirunFlags = ["--oversubscribe", "--allow-run-as-root", "--mca", "btl", "self,vader,tcp",
                              "--mca", "btl_tcp_if_include", "lo", "--mca", "oob_tcp_if_include", "lo"]

    static func run(_ executable: String, _ arguments: [String], timeout: Double,
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

struct RunFailure: Error, CustomStringConvertible {
    let description: String
}

private final class BundleMarker {}

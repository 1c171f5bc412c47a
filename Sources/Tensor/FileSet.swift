#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Files replaced together, so that a reader — or a run restarted after `kill -9` — sees either
/// every old file or every new one (a checkpoint's weights, trainer state and metrics must agree).
///
/// Each file is first written to a durable temporary beside its target (`stage`). `commit` then
/// writes a journal naming every temporary and its target (atomically: the journal is the commit
/// point), renames them all, and removes the journal. `recover` finishes a commit a kill
/// interrupted after the journal was written, and removes temporaries no journal names, so the
/// directory always holds one complete set.
public final class FileSet {
    /// The journal's name inside `directory`.
    public static let journalName = ".commit-journal.json"

    /// Where the journal lives; every staged path must be inside it.
    public let directory: String
    private var staged: [(temporary: String, target: String)] = []

    public init(directory: String) {
        self.directory = directory
    }

    deinit {
        for (temporary, _) in staged { unlink(temporary) }
    }

    /// Writes `path`'s new contents to a temporary; `path` is replaced at `commit`.
    public func stage(_ path: String, _ body: (AtomicFile.Output) throws -> Void) throws {
        guard let relative = relativePath(path) else {
            throw AtomicFileError("cannot write \(path): outside the checkpoint directory \(directory)")
        }
        let temporary = try AtomicFile.writeTemporary(for: path, body)
        staged.append((temporary, relative))
    }

    public func stage(_ data: Data, to path: String) throws {
        try stage(path) { try $0.write(data) }
    }

    /// Replaces every staged file. A kill during this call leaves either the old set (no journal
    /// yet) or a journal that `recover` completes.
    public func commit() throws {
        try commit(renamingAtMost: Int.max)
    }

    /// `commit`, stopping after `limit` renames as a kill there would (the tests' crash points).
    func commit(renamingAtMost limit: Int) throws {
        let entries = staged.map { ["temporary": relativePath($0.temporary) ?? $0.temporary, "target": $0.target] }
        let journal = try JSONSerialization.data(withJSONObject: entries, options: [.sortedKeys])
        try AtomicFile.write(journal, to: Self.journalPath(directory))
        staged.removeAll()
        try Self.replay(entries, directory: directory, renamingAtMost: limit)
    }

    /// Completes an interrupted commit in `directory` and removes stale temporaries in it and its
    /// immediate subdirectories. Call before reading a set that a killed run may have been writing.
    public static func recover(directory: String) throws {
        let journal = journalPath(directory)
        if let data = FileManager.default.contents(atPath: journal) {
            guard let entries = (try? JSONSerialization.jsonObject(with: data)) as? [[String: String]],
                  entries.allSatisfy({ $0["temporary"] != nil && $0["target"] != nil }) else {
                throw AtomicFileError("\(journal): unreadable commit journal; remove it and the files named .*\(AtomicFile.temporaryMarker)* to fall back to the previous checkpoint")
            }
            try replay(entries, directory: directory)
        }
        removeStaleTemporaries(in: directory)
    }

    /// Renames each temporary that still exists over its target (a replay after a kill finds some
    /// already renamed), then removes the journal.
    private static func replay(_ entries: [[String: String]], directory: String,
                               renamingAtMost limit: Int = Int.max) throws {
        var directories = Set<String>()
        for entry in entries.prefix(limit) {
            guard let temporary = entry["temporary"], let target = entry["target"] else { continue }
            let from = (directory as NSString).appendingPathComponent(temporary)
            let to = (directory as NSString).appendingPathComponent(target)
            directories.insert((to as NSString).deletingLastPathComponent)
            if rename(from, to) != 0, errno != ENOENT {
                throw AtomicFileError("cannot write \(to): cannot rename \(from) over it: \(String(cString: strerror(errno)))")
            }
        }
        directories.forEach(AtomicFile.syncDirectory)
        guard limit >= entries.count else { return }
        unlink(journalPath(directory))
        AtomicFile.syncDirectory(directory)
    }

    private static func removeStaleTemporaries(in directory: String) {
        let manager = FileManager.default
        var folders = [directory]
        for name in (try? manager.contentsOfDirectory(atPath: directory)) ?? [] {
            var isDirectory: ObjCBool = false
            let path = (directory as NSString).appendingPathComponent(name)
            if manager.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue { folders.append(path) }
        }
        for folder in folders {
            for name in (try? manager.contentsOfDirectory(atPath: folder)) ?? []
            where name.hasPrefix(".") && name.contains(AtomicFile.temporaryMarker) {
                unlink((folder as NSString).appendingPathComponent(name))
            }
        }
    }

    private static func journalPath(_ directory: String) -> String {
        (directory as NSString).appendingPathComponent(journalName)
    }

    /// `path` relative to `directory`, or nil when it lies outside.
    private func relativePath(_ path: String) -> String? {
        let base = URL(fileURLWithPath: directory).standardizedFileURL.path
        let full = URL(fileURLWithPath: path).standardizedFileURL.path
        guard full.hasPrefix(base + "/") else { return nil }
        return String(full.dropFirst(base.count + 1))
    }
}

extension AtomicFile {
    /// Writes `path` atomically on its own, or stages it in `set` to be replaced with the others.
    public static func write(to path: String, in set: FileSet?, _ body: (Output) throws -> Void) throws {
        if let set {
            try set.stage(path, body)
        } else {
            try write(to: path, body)
        }
    }

    public static func write(_ data: Data, to path: String, in set: FileSet?) throws {
        try write(to: path, in: set) { try $0.write(data) }
    }
}

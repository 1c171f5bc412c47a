import Foundation
import Tensor

/// What `--resume` needs beyond the weights: the step, the optimiser moments, the sampling
/// generator (which is the data position) and the best validation loss so far.
/// Kept beside the checkpoint in `trainer_state.json` and `trainer_state.safetensors`.
public struct TrainerState: Codable, Sendable, Equatable {
    public var step: Int
    public var generatorState: [UInt64]
    public var bestValidationLoss: Float?
    public var tokensSeen: Int
    public var elapsedSeconds: Double
    public var options: TrainingOptions
    public var config: GPTConfig

    public static let jsonFile = "trainer_state.json"
    public static let momentsFile = "trainer_state.safetensors"

    /// Writes the moments, then the JSON: the JSON is the commit point, so a run killed in
    /// between leaves the previous JSON, whose step then disagrees with the files and is refused.
    public func save(directory: String, segments: [ParameterSegment], firstMoment: FloatBuffer,
                     secondMoment: FloatBuffer) throws {
        var writer = SafeTensorsWriter()
        writer.metadata = ["step": String(step)]
        for segment in segments {
            try writer.add("exp_avg." + segment.name,
                       floats: UnsafeBufferPointer(start: firstMoment.pointer + segment.offset, count: segment.count),
                       shape: [segment.count])
            try writer.add("exp_avg_sq." + segment.name,
                       floats: UnsafeBufferPointer(start: secondMoment.pointer + segment.offset, count: segment.count),
                       shape: [segment.count])
        }
        try writer.write(to: (directory as NSString).appendingPathComponent(Self.momentsFile))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(self), to: (directory as NSString).appendingPathComponent(Self.jsonFile))
    }

    public static func load(directory: String) throws -> TrainerState {
        let path = (directory as NSString).appendingPathComponent(jsonFile)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GPTError.checkpoint("\(path): not found; --resume needs a directory written by a previous run")
        }
        do {
            return try JSONDecoder().decode(TrainerState.self, from: data)
        } catch {
            throw GPTError.checkpoint("\(path): unreadable trainer state (\(error))")
        }
    }

    /// Reads the moments written with this state into the two buffers.
    public func loadMoments(directory: String, segments: [ParameterSegment], firstMoment: FloatBuffer,
                            secondMoment: FloatBuffer) throws {
        let path = (directory as NSString).appendingPathComponent(Self.momentsFile)
        let file = try SafeTensorsFile(path: path)
        guard file.metadata["step"] == String(step) else {
            throw GPTError.checkpoint("\(path): written at step \(file.metadata["step"] ?? "?") but \(Self.jsonFile) is at step \(step); the checkpoint was interrupted while saving")
        }
        for segment in segments {
            try file.copyFloats("exp_avg." + segment.name, into: firstMoment.pointer + segment.offset, count: segment.count)
            try file.copyFloats("exp_avg_sq." + segment.name, into: secondMoment.pointer + segment.offset, count: segment.count)
        }
    }
}

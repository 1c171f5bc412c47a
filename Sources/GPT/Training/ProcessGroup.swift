/// The processes one training run is spread over (data parallelism, one rank per process):
/// every rank holds the whole model, trains on its share of each global batch and sums the
/// gradients with the others. A single process is a group of one.
public protocol ProcessGroup: AnyObject {
    /// This process's index, `0..<size`; rank 0 writes the checkpoints and metrics.
    var rank: Int { get }
    var size: Int { get }
    /// In-place sums over every rank.
    func allReduceSum(_ values: UnsafeMutablePointer<Float>, count: Int) throws
    func allReduceSum(_ values: UnsafeMutablePointer<Double>, count: Int) throws
    /// In-place maxima over every rank.
    func allReduceMax(_ values: UnsafeMutablePointer<Int64>, count: Int) throws
    /// Replaces `count` bytes on every rank with `root`'s.
    func broadcast(_ bytes: UnsafeMutableRawPointer, count: Int, from root: Int) throws
}

/// One process training alone: every collective is the identity.
public final class SingleProcess: ProcessGroup {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allReduceSum(_ values: UnsafeMutablePointer<Float>, count: Int) {}
    public func allReduceSum(_ values: UnsafeMutablePointer<Double>, count: Int) {}
    public func allReduceMax(_ values: UnsafeMutablePointer<Int64>, count: Int) {}
    public func broadcast(_ bytes: UnsafeMutableRawPointer, count: Int, from root: Int) {}
}

/// A failure the `recommend` tool reports as one line: a bad flag, a missing index or model, a
/// database the recommender cannot use.
public struct RecommendError: Error, CustomStringConvertible, Equatable {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

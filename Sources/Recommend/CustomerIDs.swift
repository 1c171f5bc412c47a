import Foundation
import Tensor

/// The customers `query` answers: `--customer ID` or `--customers FILE` (one id a line; blank
/// lines skipped). A line that is not a whole number is an error naming the file and line.
public enum CustomerIDs {
    public static func parse(single: String?, file: String?) throws -> [Int] {
        if let single {
            guard let id = Int(single.trimmingCharacters(in: .whitespaces)) else {
                throw RecommendError("--customer: \"\(single)\" is not a customer id (a whole number)")
            }
            return [id]
        }
        guard let file else { return [] }
        guard RegularFile.exists(file) else { throw RecommendError("\(file): not found") }
        let data = try RegularFile.contents(of: file)
        var ids: [Int] = []
        for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty { continue }
            guard let id = Int(text) else { throw RecommendError("\(file):\(number + 1): \"\(text)\" is not a customer id (a whole number)") }
            ids.append(id)
        }
        return ids
    }
}

import Foundation
import Tensor

/// EASE (Steck 2019, "Embarrassingly Shallow Autoencoders"): the item-to-item weights B that
/// best reconstruct each customer's binary row from their other items, in closed form —
/// P = (XᵀX + λI)⁻¹, B[i, j] = −P[i, j] / P[j, j], zero diagonal. Unlike item-kNN's cosine,
/// the regression discounts what one item says that the customer's other items already say,
/// which ranks the items a customer has not bought yet markedly better. XᵀX is the co-purchase
/// count matrix with the popularity on its diagonal, so the fit is one [items, items] solve.
///
/// A query sums the rows of B for the customer's items, each weighted by how recently they bought
/// it (`PurchaseRecency`) when one is given: the same cost per query as item-kNN.
public struct EASERecommender: Recommender {
    public let name: String
    /// λ, the ridge on the diagonal: in units of customers, comparable to item popularity.
    public let regularization: Double
    private let data: TrainingData
    /// B, row i the weights item i gives every other item. [items, items], zero diagonal
    let itemWeights: [Float]
    private let recency: PurchaseRecency?
    private let tieBreak: [Float]

    public init(data: TrainingData, coPurchases: [Int32], regularization: Double = 300, recency: PurchaseRecency? = nil) {
        let n = data.itemCount
        precondition(coPurchases.count == n * n, "co-purchase counts [items, items]")
        name = recency == nil ? "ease" : "ease-recent"
        self.data = data
        self.regularization = regularization
        self.recency = recency
        tieBreak = data.tieBreak
        var gram = coPurchases.map(Double.init)
        for i in 0..<n { gram[i * n + i] = Double(data.popularity[i]) + regularization }
        // XᵀX is positive semi-definite, so with λ > 0 the solve cannot fail.
        let inverted = SymmetricInverse.invert(&gram, n: n)
        precondition(inverted, "XᵀX + λI is positive definite for λ > 0")
        var weights = [Float](repeating: 0, count: n * n)
        gram.withUnsafeBufferPointer { p in
            weights.withUnsafeMutableBufferPointer { b in
                for i in 0..<n {
                    for j in 0..<n where j != i { b[i * n + j] = Float(-p[i * n + j] / p[j * n + j]) }
                }
            }
        }
        itemWeights = weights
    }

    public func scores(customer: Int, excludingPurchased: Bool) -> [Float] {
        let n = data.itemCount
        let weights = recency?.weights(customer: customer)
        var scores = tieBreak
        itemWeights.withUnsafeBufferPointer { b in
            scores.withUnsafeMutableBufferPointer { out in
                for i in data.items(ofCustomer: customer) {
                    let row = b.baseAddress! + Int(i) * n
                    let w = weights?[Int(i)] ?? 1
                    for j in 0..<n { out[j] += w * row[j] }
                }
            }
        }
        return scores
    }
}

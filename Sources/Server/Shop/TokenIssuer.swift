import Foundation
import JWTKit
import Store

/// The shop's access tokens: HS256 JWTs (jwt-kit) naming the account, its role and customer, with
/// an expiry. The key is the server's secret: `--jwt-secret-file`, or 32 random bytes made at
/// start, so without a file every restart signs everyone out (no key ever sits on disk unasked).
public final class TokenIssuer: Sendable {
    /// The claims of a Finch access token.
    struct Claims: JWTPayload {
        var sub: SubjectClaim
        var exp: ExpirationClaim
        var iat: IssuedAtClaim
        var role: String
        var customer: Int?

        func verify(using algorithm: some JWTAlgorithm) async throws {
            try exp.verifyNotExpired()
        }
    }

    public static let defaultLifetime: TimeInterval = 3600
    /// HMAC-SHA-256 keys shorter than the hash add no strength and are easy to guess.
    public static let minimumSecretBytes = 32

    public let lifetime: TimeInterval
    private let keys: JWTKeyCollection

    public init(secret: [UInt8], lifetime: TimeInterval = TokenIssuer.defaultLifetime) async {
        precondition(secret.count >= Self.minimumSecretBytes, "JWT secrets have at least \(Self.minimumSecretBytes) bytes")
        self.lifetime = lifetime
        keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
    }

    /// 32 bytes from the system's cryptographic generator.
    public static func randomSecret() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<minimumSecretBytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// A signed token for `account`, valid for `lifetime` from `now`.
    public func issue(for account: Account, now: Date = Date()) async throws -> String {
        try await keys.sign(Claims(sub: .init(value: account.username), exp: .init(value: now.addingTimeInterval(lifetime)),
                                   iat: .init(value: now), role: account.role.rawValue, customer: account.customer))
    }

    /// The username a valid, unexpired token of ours names; nil for anything else.
    public func username(in token: String) async -> String? {
        try? await keys.verify(token, as: Claims.self).sub.value
    }
}

import Foundation
import GRDB
import HummingbirdBcrypt

/// What an account may do: a customer reads their own data, an admin reads everyone's.
public enum AccountRole: String, Sendable, Codable {
    case customer, admin
}

/// A signed-in identity. A customer account's username is its customer id as text (`"17850"`).
public struct Account: Sendable, Equatable {
    public var username: String
    public var role: AccountRole
    /// The customer this account is; nil for an admin.
    public var customer: Int?

    public init(username: String, role: AccountRole, customer: Int?) {
        self.username = username
        self.role = role
        self.customer = customer
    }
}

/// Why an account cannot be created, so each front end can answer with its own status (409, 404, …).
public enum AccountError: Error, Equatable, CustomStringConvertible {
    case exists(String)
    case unknownCustomer(Int)
    case invalid(String)

    public var description: String {
        switch self {
        case .exists(let username): "an account named \"\(username)\" already exists"
        case .unknownCustomer(let id): "customer \(id) is not in the shop database"
        case .invalid(let reason): reason
        }
    }
}

/// The `users` table (schema version 3): accounts with bcrypt password hashes. Hashing and
/// checking are deliberately slow (bcrypt's cost), so callers run them off any event loop.
public struct ShopAccounts: Sendable {
    public let database: ShopDatabase
    /// bcrypt's log2 rounds for new hashes: 12 (~0.25 s on one core) is OWASP's floor; tests use
    /// bcrypt's minimum, 4, to stay quick.
    public let cost: UInt8

    public init(database: ShopDatabase, cost: UInt8 = 12) {
        self.database = database
        self.cost = cost
    }

    public static let maxPasswordBytes = 72
    static let maxAdminNameLength = 64

    /// Creates a customer's account; the customer must have purchases in the store.
    @discardableResult
    public func addCustomer(_ id: Int, password: String) throws -> Account {
        guard try database.customer(id) != nil else { throw AccountError.unknownCustomer(id) }
        return try add(Account(username: String(id), role: .customer, customer: id), password: password)
    }

    /// Creates an admin account named `name` (letters, digits, `.`, `_`, `-`; not all digits, so it
    /// never looks like a customer's).
    @discardableResult
    public func addAdmin(_ name: String, password: String) throws -> Account {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._-"))
        guard !name.isEmpty, name.count <= Self.maxAdminNameLength, name.unicodeScalars.allSatisfy({ $0.isASCII && allowed.contains($0) }),
              Int(name) == nil
        else {
            throw AccountError.invalid("admin name \"\(name)\" must be 1-\(Self.maxAdminNameLength) ASCII letters, digits, '.', '_' or '-', and not a number")
        }
        return try add(Account(username: name, role: .admin, customer: nil), password: password)
    }

    private func add(_ account: Account, password: String) throws -> Account {
        // bcrypt reads at most 72 bytes: a longer password would be silently truncated.
        guard !password.isEmpty, password.utf8.count <= Self.maxPasswordBytes else {
            throw AccountError.invalid("the password must be 1-\(Self.maxPasswordBytes) bytes long")
        }
        let hash = Bcrypt.hash(password, cost: cost)
        try database.connections.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE username = ?", arguments: [account.username]) == true {
                throw AccountError.exists(account.username)
            }
            try db.execute(
                sql: "INSERT INTO users (username, role, customer_id, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [account.username, account.role.rawValue, account.customer, hash, ShopClock.timestamp()])
        }
        return account
    }

    /// The account when `password` is right, nil otherwise. An unknown username is checked against
    /// a dummy hash of the same cost, so the time taken does not reveal which usernames exist.
    public func authenticate(username: String, password: String) throws -> Account? {
        let row = try database.connections.read { db in
            try Row.fetchOne(db, sql: "SELECT role, customer_id, password_hash FROM users WHERE username = ?", arguments: [username])
        }
        guard let row else {
            _ = Bcrypt.verify(password, hash: dummyHash)
            return nil
        }
        guard password.utf8.count <= Self.maxPasswordBytes, Bcrypt.verify(password, hash: row["password_hash"]),
              let role = AccountRole(rawValue: row["role"])
        else { return nil }
        return Account(username: username, role: role, customer: row["customer_id"])
    }

    /// The account named `username`, or nil: a token's subject is looked up on each request, so a
    /// deleted account's tokens stop working.
    public func account(_ username: String) throws -> Account? {
        try database.connections.read { db in
            try Row.fetchOne(db, sql: "SELECT role, customer_id FROM users WHERE username = ?", arguments: [username])
        }.flatMap { row in
            AccountRole(rawValue: row["role"]).map { Account(username: username, role: $0, customer: row["customer_id"]) }
        }
    }

    private var dummyHash: String { Self.dummyHashes.hash(cost: cost) }

    private static let dummyHashes = DummyHashes()
}

/// One bcrypt hash of a fixed password per cost, made on first use.
private final class DummyHashes: @unchecked Sendable {
    private let lock = NSLock()
    private var hashes: [UInt8: String] = [:]

    func hash(cost: UInt8) -> String {
        lock.lock()
        defer { lock.unlock() }
        if let hash = hashes[cost] { return hash }
        let hash = Bcrypt.hash("finch-dummy-password", cost: cost)
        hashes[cost] = hash
        return hash
    }
}

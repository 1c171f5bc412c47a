import ArgumentParser
import CommandLineSupport
import Foundation
import Store

/// `recommend user add`: accounts for the shop API (`serve --db`).
struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage the shop API's accounts.",
        subcommands: [UserAddCommand.self])
}

struct UserAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Create a customer's or an admin's account, its password (bcrypt-hashed) read from stdin.",
        discussion: "A customer's username is its customer id. The password is the first line of stdin, never a flag (flags show in the process list): `echo \"$PASSWORD\" | recommend user add --db shop.sqlite --customer 17850 --password-stdin`.")

    @Option(help: "The shop database (made by `recommend import`).")
    var db: String

    @Option(help: "The customer id the account is for (it must have purchases in the database).")
    var customer: String?

    @Option(help: "An admin account's name instead.")
    var admin: String?

    @Flag(help: "Read the password from the first line of stdin (required).")
    var passwordStdin = false

    func validate() throws {
        guard (customer == nil) != (admin == nil) else { throw ValidationError("give one of --customer ID or --admin NAME") }
        guard passwordStdin else { throw ValidationError("--password-stdin is required: the password is read from stdin, never from a flag") }
        if let customer, Int(customer) == nil { throw ValidationError("--customer: \"\(customer)\" is not a customer id (an integer)") }
    }

    func run() throws {
        try runReportingErrors {
            guard FileManager.default.fileExists(atPath: db) else {
                throw ValidationError("--db \(db): no shop database there; `recommend import --csv FILE --db \(db)` creates it")
            }
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw ValidationError("--password-stdin: stdin has no password (an empty first line or none)")
            }
            let accounts = ShopAccounts(database: try ShopDatabase(path: db, migrate: true))
            do {
                let account = try customer.flatMap(Int.init).map { try accounts.addCustomer($0, password: line) }
                    ?? accounts.addAdmin(admin ?? "", password: line)
                print("created \(account.role.rawValue) account \"\(account.username)\" in \(db)")
            } catch let error as AccountError {
                throw ValidationError("\(error)")
            }
        }
    }
}

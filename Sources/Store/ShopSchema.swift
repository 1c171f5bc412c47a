import GRDB

/// The shop database's schema, in one place: every table the store, the recommender and the later
/// server use is created by a migration here, in order. A database records the migrations it has
/// (GRDB's `grdb_migrations`) and its schema version (`PRAGMA user_version`, the number of
/// migrations); a later issue appends a migration and bumps nothing else.
///
/// Version 1 (this "Data and store"):
/// - `customers(id, country)` — country of the customer's first purchase line;
/// - `invoices(invoice_no, customer_id, country, date)` — date of its earliest line;
/// - `purchase_lines(position, invoice_no, stock_code, quantity, unit_price, date, description)` —
///   the cleaned CSV rows; `position` orders them as the imported files did;
/// - `products(stock_code, description, first_description, name, price, first_sold, last_sold)` —
///   derived from the lines at each import: most frequent and first-seen description, title-cased
///   name, median unit price, first and last sale.
///
/// Version 2 (the recommender's index, written by `recommend index`):
/// - `product_embeddings(stock_code, vector)` — each product's unit-length description embedding
///   as little-endian float32;
/// - `recommender_index(id = 1, model, dimension, purchase_lines, products, data_from, data_to,
///   hybrid_weights, built_at)` — what the index was built from (to notice an import since) and the
///   hybrid's weights as JSON with the data period they were fit on.
///
/// Version 3 (the shop API's accounts and activity, written by `serve` and `recommend user add`):
/// - `users(username, role, customer_id, password_hash, created_at)` — `role` is `customer` (its
///   username is the customer id as text) or `admin` (no customer); bcrypt hashes only;
/// - `interactions(id, customer_id, type, stock_code, query, created_at)` — product clicks and
///   searches, which the next recommendations use;
/// - `served_recommendations(id, customer_id, served_at, items)` — every recommendations answer,
///   its items as JSON (`[{"stock_code", "name", "narrative"}]`), for the history.
public enum ShopSchema {
    /// The version a database written by this build has.
    public static var version: Int { migrationNames.count }

    static let migrationNames = ["v1-purchases", "v2-recommender-index", "v3-accounts-activity"]

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(migrationNames[0]) { db in
            try db.execute(sql: """
                CREATE TABLE customers (
                    id INTEGER PRIMARY KEY,
                    country TEXT NOT NULL
                );
                CREATE TABLE invoices (
                    invoice_no TEXT PRIMARY KEY NOT NULL,
                    customer_id INTEGER NOT NULL REFERENCES customers(id),
                    country TEXT NOT NULL,
                    date TEXT NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX invoices_by_customer ON invoices(customer_id, date);
                CREATE TABLE products (
                    stock_code TEXT PRIMARY KEY NOT NULL,
                    description TEXT NOT NULL,
                    first_description TEXT NOT NULL,
                    name TEXT NOT NULL,
                    price REAL NOT NULL,
                    first_sold TEXT NOT NULL,
                    last_sold TEXT NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE purchase_lines (
                    position INTEGER PRIMARY KEY,
                    invoice_no TEXT NOT NULL REFERENCES invoices(invoice_no),
                    stock_code TEXT NOT NULL REFERENCES products(stock_code),
                    quantity INTEGER NOT NULL CHECK (quantity > 0),
                    unit_price REAL NOT NULL CHECK (unit_price > 0),
                    date TEXT NOT NULL,
                    description TEXT NOT NULL
                );
                CREATE INDEX purchase_lines_by_invoice ON purchase_lines(invoice_no);
                CREATE INDEX purchase_lines_by_stock_code ON purchase_lines(stock_code);
                """)
        }
        migrator.registerMigration(migrationNames[1]) { db in
            try db.execute(sql: """
                CREATE TABLE product_embeddings (
                    stock_code TEXT PRIMARY KEY NOT NULL,
                    vector BLOB NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE recommender_index (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    model TEXT NOT NULL,
                    dimension INTEGER NOT NULL,
                    purchase_lines INTEGER NOT NULL,
                    products INTEGER NOT NULL,
                    data_from TEXT NOT NULL,
                    data_to TEXT NOT NULL,
                    hybrid_weights TEXT NOT NULL,
                    built_at TEXT NOT NULL
                );
                """)
        }
        migrator.registerMigration(migrationNames[2]) { db in
            // Customer ids are not foreign keys here: an interaction or served answer may belong to
            // a customer without purchases (cold start), and an import rewrites `customers`.
            try db.execute(sql: """
                CREATE TABLE users (
                    username TEXT PRIMARY KEY NOT NULL,
                    role TEXT NOT NULL CHECK (role IN ('customer', 'admin')),
                    customer_id INTEGER UNIQUE,
                    password_hash TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    CHECK ((role = 'customer') = (customer_id IS NOT NULL))
                ) WITHOUT ROWID;
                CREATE TABLE interactions (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    customer_id INTEGER NOT NULL,
                    type TEXT NOT NULL CHECK (type IN ('product_click', 'search')),
                    stock_code TEXT,
                    query TEXT,
                    created_at TEXT NOT NULL
                );
                CREATE INDEX interactions_by_customer ON interactions(customer_id, id);
                CREATE TABLE served_recommendations (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    customer_id INTEGER NOT NULL,
                    served_at TEXT NOT NULL,
                    items TEXT NOT NULL
                );
                CREATE INDEX served_by_customer ON served_recommendations(customer_id, id);
                """)
        }
        return migrator
    }

    /// The version recorded in `db`: 0 for an empty file.
    static func recordedVersion(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
    }

    /// Brings `db` to `version`, or fails for a database this build cannot read: one from a newer
    /// build (unknown migrations or a higher version) or a SQLite file that is not a shop database.
    static func migrate(_ connections: some DatabaseWriter, path: String) throws {
        try check(connections, path: path, requireCurrent: false)
        try migrator.migrate(connections)
        try connections.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA user_version = \(version)") }
    }

    /// Fails unless `connections` hold a shop database this build can read; with `requireCurrent`,
    /// also when its version is older than this build's (it needs `migrate`).
    static func check(_ connections: some DatabaseReader, path: String, requireCurrent: Bool) throws {
        try connections.read { db in
            let recorded = try recordedVersion(db)
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
            if recorded == 0 && !tables.isEmpty && !tables.contains("grdb_migrations") {
                throw StoreError("\(path) is a SQLite database but not a Finch shop database (it has tables \(tables.sorted().joined(separator: ", ")) and no schema version)")
            }
            let hasUnknownMigrations = try migrator.hasBeenSuperseded(db)
            if recorded > version || hasUnknownMigrations {
                throw StoreError("\(path) has shop schema version \(recorded), newer than this build's \(version); use the Finch build that wrote it")
            }
            if requireCurrent && recorded < version {
                throw StoreError(recorded == 0
                    ? "\(path) is not a shop database yet; run `recommend import --csv FILE --db \(path)` first"
                    : "\(path) has shop schema version \(recorded), older than this build's \(version); run `recommend import` on it to upgrade")
            }
        }
    }
}

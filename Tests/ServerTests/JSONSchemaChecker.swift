import Foundation

/// The subset of JSON Schema (2020-12, as OpenAPI 3.1 uses it) that Finch's OpenAPI document
/// uses: `$ref` into the document, `type` (one or a list, "integer" meaning a whole number),
/// `const`, `enum`, `required`, `properties`, `items`, `oneOf` (exactly one), `minimum`,
/// `maximum`, `minLength`, `maxLength`, `minItems`, `maxItems`. Any other keyword fails the
/// check, so the document cannot silently use one this checker would ignore.
struct JSONSchemaChecker {
    let document: [String: Any]

    static let understood: Set<String> = [
        "$ref", "type", "const", "enum", "required", "properties", "items", "oneOf", "minimum", "maximum",
        "exclusiveMinimum", "minLength", "maxLength", "minItems", "maxItems", "default", "description",
    ]

    /// Every problem of `value` against `schema`, each naming where it is (`$.items[0].price`).
    func problems(_ value: Any, against schema: [String: Any], at path: String = "$") -> [String] {
        if let unknown = schema.keys.first(where: { !Self.understood.contains($0) }) {
            return ["\(path): the schema uses \(unknown), which the checker does not know"]
        }
        if let reference = schema["$ref"] as? String {
            guard let target = resolve(reference) else { return ["\(path): unresolved \(reference)"] }
            return problems(value, against: target, at: path)
        }
        var found: [String] = []
        if let types = schema["type"] {
            let allowed = (types as? [String]) ?? [types as? String ?? ""]
            if !allowed.contains(where: { Self.value(value, is: $0) }) {
                return ["\(path): \(Self.render(value)) is not \(allowed.joined(separator: " or "))"]
            }
        }
        if let constant = schema["const"], !Self.equal(value, constant) {
            found.append("\(path): \(Self.render(value)) is not \(Self.render(constant))")
        }
        if let options = schema["enum"] as? [Any], !options.contains(where: { Self.equal(value, $0) }) {
            found.append("\(path): \(Self.render(value)) is not one of \(Self.render(options))")
        }
        if let alternatives = schema["oneOf"] as? [[String: Any]] {
            let matching = alternatives.filter { problems(value, against: $0, at: path).isEmpty }.count
            if matching != 1 { found.append("\(path): matches \(matching) of oneOf's \(alternatives.count) schemas") }
        }
        if let object = value as? [String: Any] {
            for key in schema["required"] as? [String] ?? [] where object[key] == nil {
                found.append("\(path): missing \(key)")
            }
            for (key, property) in schema["properties"] as? [String: [String: Any]] ?? [:] {
                if let member = object[key] { found += problems(member, against: property, at: "\(path).\(key)") }
            }
        }
        if let array = value as? [Any] {
            if let items = schema["items"] as? [String: Any] {
                for (index, element) in array.enumerated() { found += problems(element, against: items, at: "\(path)[\(index)]") }
            }
            if let least = schema["minItems"] as? Int, array.count < least { found.append("\(path): fewer than \(least) items") }
            if let most = schema["maxItems"] as? Int, array.count > most { found.append("\(path): more than \(most) items") }
        }
        if let string = value as? String {
            if let least = schema["minLength"] as? Int, string.count < least { found.append("\(path): shorter than \(least)") }
            if let most = schema["maxLength"] as? Int, string.count > most { found.append("\(path): longer than \(most)") }
        }
        if let number = Self.number(value) {
            if let least = schema["minimum"] as? Double, number < least { found.append("\(path): \(number) < \(least)") }
            if let most = schema["maximum"] as? Double, number > most { found.append("\(path): \(number) > \(most)") }
            if let bound = schema["exclusiveMinimum"] as? Double, number <= bound { found.append("\(path): \(number) <= \(bound)") }
        }
        return found
    }

    /// `#/components/schemas/Name` (any JSON pointer into the document).
    func resolve(_ reference: String) -> [String: Any]? {
        guard reference.hasPrefix("#/") else { return nil }
        var node: Any = document
        for part in reference.dropFirst(2).split(separator: "/") {
            guard let object = node as? [String: Any], let next = object[String(part)] else { return nil }
            node = next
        }
        return node as? [String: Any]
    }

    /// JSONSerialization gives booleans as NSNumber too (and `1 is Bool` holds): they are the
    /// instances of the boolean subclass.
    static func isBoolean(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return ObjectIdentifier(type(of: number)) == ObjectIdentifier(type(of: NSNumber(value: true)))
    }

    static func number(_ value: Any) -> Double? {
        guard !isBoolean(value), let number = value as? NSNumber else { return nil }
        return number.doubleValue
    }

    static func value(_ value: Any, is type: String) -> Bool {
        switch type {
        case "null": return value is NSNull
        case "boolean": return isBoolean(value)
        case "number": return number(value) != nil
        case "integer": return number(value).map { $0 == $0.rounded() } ?? false
        case "string": return value is String
        case "array": return value is [Any]
        case "object": return value is [String: Any]
        default: return false
        }
    }

    static func equal(_ a: Any, _ b: Any) -> Bool {
        if a is NSNull || b is NSNull { return a is NSNull && b is NSNull }
        if let a = a as? String, let b = b as? String { return a == b }
        if isBoolean(a) != isBoolean(b) { return false }
        if let a = number(a), let b = number(b) { return a == b }
        if isBoolean(a) { return (a as? Bool) == (b as? Bool) }
        return false
    }

    static func render(_ value: Any) -> String {
        guard JSONSerialization.isValidJSONObject([value]),
              let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys, .fragmentsAllowed])
        else { return "\(value)" }
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast().prefix(200))
    }
}

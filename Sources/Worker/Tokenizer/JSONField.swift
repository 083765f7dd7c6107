/// A JSON value together with where it sits (file and dotted path), so every accessor can throw a
/// `TokenizerError` that says exactly which field is missing or of the wrong kind.
package struct JSONField {
    package let value: JSONValue
    package let path: String
    package let file: String

    /// The member `key`; throws `missingField` when it is absent or `null`.
    package func field(_ key: String) throws -> JSONField {
        guard let member = optionalField(key) else {
            throw TokenizerError.missingField(file: file, path: join(key))
        }
        return member
    }

    /// The member `key`, or nil when it is absent or `null` (tokenizer.json writes absent options as `null`).
    package func optionalField(_ key: String) -> JSONField? {
        guard case .object(let members) = value,
              let member = members.first(where: { $0.key == key }) else { return nil }
        if case .null = member.value { return nil }
        return JSONField(value: member.value, path: join(key), file: file)
    }

    package func string() throws -> String {
        guard case .string(let string) = value else { throw wrongType("a string") }
        return string
    }

    package func bool() throws -> Bool {
        guard case .bool(let bool) = value else { throw wrongType("true or false") }
        return bool
    }

    /// A non-negative integer that fits in `Int` (ids, counts).
    package func int() throws -> Int {
        guard case .number(let number) = value, number >= 0, number < 1e15, number.rounded() == number else {
            throw wrongType("a non-negative integer")
        }
        return Int(number)
    }

    package func array() throws -> [JSONField] {
        guard case .array(let elements) = value else { throw wrongType("an array") }
        return elements.enumerated().map { JSONField(value: $1, path: "\(path)[\($0)]", file: file) }
    }

    /// The members of an object, in file order.
    package func members() throws -> [(key: String, value: JSONField)] {
        guard case .object(let members) = value else { throw wrongType("an object") }
        return members.map { ($0.key, JSONField(value: $0.value, path: join($0.key), file: file)) }
    }

    /// The section's `type` string, the key every factory switches on.
    package func type() throws -> String { try field("type").string() }

    package func wrongType(_ expected: String) -> TokenizerError {
        .wrongType(file: file, path: path, expected: expected)
    }

    package func unknownType(_ type: String) -> TokenizerError {
        .unknownType(file: file, path: path, type: type)
    }

    package func unsupported(_ what: String) -> TokenizerError {
        .unsupported(file: file, path: path, what: what)
    }

    private func join(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
}

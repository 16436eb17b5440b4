/// The opaque `nextCursor` of a task list: the position of the last task on the page, as
/// `"<createdAt>.<id>"` in URL-safe characters.
enum TaskListCursor {
    static func encode(_ position: TaskListPosition) -> String {
        "\(position.createdAt).\(position.id.rawValue)"
    }

    /// The position a cursor names, or `nil` if it is not one this engine made.
    static func decode(_ cursor: String) -> TaskListPosition? {
        guard let dot = cursor.firstIndex(of: "."), let createdAt = Int64(cursor[..<dot]), createdAt >= 0 else {
            return nil
        }
        let id = cursor[cursor.index(after: dot)...]
        guard !id.isEmpty, id.count <= 128,
            id.utf8.allSatisfy({ byte in
                (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                    || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || byte == UInt8(ascii: "-")
                    || byte == UInt8(ascii: "_")
            })
        else { return nil }
        return TaskListPosition(createdAt: createdAt, id: TaskID(String(id)))
    }
}

import ErrandProtocol

/// Writes a ``TaskRecord`` in the layout ``TaskRecordCodec`` documents; ``RecordReader`` reads it back.
struct RecordWriter {
    var bytes: [UInt8] = []

    mutating func body(_ task: TaskRecord) {
        string(task.kind.rawValue)
        json(task.arguments)
        optionalString(task.statusMessage)
        int(task.lastUpdatedAt)
        optionalInt(task.ttlMs)
        int(task.pollIntervalMs)
        if let progress = task.progress {
            byte(1)
            double(progress.current)
            optionalDouble(progress.total)
            optionalString(progress.message)
        } else {
            byte(0)
        }
        switch task.outcome {
        case .none: byte(0)
        case .result(let value):
            byte(1)
            json(value)
        case .error(let error):
            byte(2)
            int(Int64(error.code))
            string(error.message)
            optionalJSON(error.data)
        }
        int(Int64(task.attempt))
        int(Int64(task.priority))
        varint(UInt64(task.history.count))
        for entry in task.history {
            int(entry.at)
            status(entry.status)
            optionalString(entry.message)
            int(Int64(entry.attempt))
        }
        optionalJSON(task.requestMeta)
        optionalFields(task)
    }

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// Zigzag, so small negative numbers stay short.
    mutating func int(_ value: Int64) { varint(UInt64(bitPattern: (value << 1) ^ (value >> 63))) }

    mutating func optionalInt(_ value: Int64?) {
        guard let value else { return byte(0) }
        byte(1)
        int(value)
    }

    mutating func double(_ value: Double) {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func optionalDouble(_ value: Double?) {
        guard let value else { return byte(0) }
        byte(1)
        double(value)
    }

    mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func optionalString(_ value: String?) {
        guard let value else { return byte(0) }
        byte(1)
        string(value)
    }

    mutating func status(_ value: TaskStatus) { byte(value.recordCode) }

    mutating func json(_ value: JSONValue) {
        switch value {
        case .null: byte(0)
        case .bool(let flag): byte(flag ? 2 : 1)
        case .int(let number):
            byte(3)
            int(number)
        case .double(let number):
            byte(4)
            double(number)
        case .string(let text):
            byte(5)
            string(text)
        case .array(let elements):
            byte(6)
            varint(UInt64(elements.count))
            for element in elements { json(element) }
        case .object(let members):
            byte(7)
            varint(UInt64(members.count))
            for (key, member) in members {
                string(key)
                json(member)
            }
        }
    }

    mutating func optionalJSON(_ value: JSONValue?) {
        guard let value else { return byte(0) }
        byte(1)
        json(value)
    }
}

extension RecordWriter {
    /// The optional tagged fields at the end of a body.
    mutating func optionalFields(_ task: TaskRecord) {
        if let parent = task.parent {
            byte(1)
            string(parent.rawValue)
        }
        if let input = task.inputRequest {
            byte(3)
            string(input.id)
            json(input.request)
            int(input.askedAt)
        }
        if !task.log.isEmpty {
            byte(2)
            varint(task.log.lastSequence)
            varint(UInt64(task.log.lines.count))
            for line in task.log.lines {
                varint(line.sequence)
                int(line.at)
                byte(UInt8(line.level.severity))
                string(line.text)
            }
        }
    }
}

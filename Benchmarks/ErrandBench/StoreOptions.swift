/// Options of `ErrandBench stores`: `--tasks N` (per configuration and round, default 20,000), `--submitters N`
/// (50), `--idle N` (one-at-a-time tasks for the pickup latency, 500), `--rounds N` (interleaved rounds, median
/// reported, 1), `--postgres URL` (also one and two `ClusterEngine` nodes on that database; needs
/// `--traits Postgres`; the tables are emptied before each configuration), `--postgres-fsync-off` (also measure
/// PostgreSQL after `ALTER SYSTEM SET fsync = off, synchronous_commit = off`; needs a superuser, and leaves the
/// server with the setting of the last configuration measured: use a throwaway cluster), `--postgres-pid PID` (the
/// postmaster's pid: the CPU of it and its children, the server's backends, is measured per task too; the server
/// must run on this machine).
struct StoreOptions {
    var tasks = 20_000
    var submitters = 50
    var idle = 500
    var rounds = 1
    var postgres: String?
    var postgresFsyncOff = false
    var postgresPID: Int32?

    init(_ arguments: ArraySlice<String>) throws {
        var iterator = arguments.makeIterator()
        func number(_ name: String, minimum: Int) throws -> Int {
            guard let text = iterator.next(), let number = Int(text), number >= minimum else {
                throw BenchError("\(name) needs a number ≥ \(minimum)")
            }
            return number
        }
        while let argument = iterator.next() {
            switch argument {
            case "--tasks": tasks = try number(argument, minimum: 1)
            case "--submitters": submitters = try number(argument, minimum: 1)
            case "--idle": idle = try number(argument, minimum: 0)
            case "--rounds": rounds = try number(argument, minimum: 1)
            case "--postgres":
                guard let url = iterator.next() else { throw BenchError("--postgres needs a URL") }
                postgres = url
                #if !Postgres
                    throw BenchError("--postgres needs a build with `--traits Postgres`")
                #endif
            case "--postgres-fsync-off": postgresFsyncOff = true
            case "--postgres-pid": postgresPID = Int32(try number(argument, minimum: 1))
            default: throw BenchError("unknown option \(argument); see StoreOptions.swift")
            }
        }
    }
}

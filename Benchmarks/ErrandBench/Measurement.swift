import Glibc

/// Nanoseconds of `CLOCK_MONOTONIC`: comparable across threads, so a submitter and a runner can share stamps.
func monotonicNanoseconds() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
}

/// Resident set size of this process in KiB (`VmRSS` of /proc/self/status), or 0 if it cannot be read.
func residentKiB() -> Int {
    guard let file = fopen("/proc/self/status", "r") else { return 0 }
    defer { fclose(file) }
    var line: UnsafeMutablePointer<CChar>?
    var capacity = 0
    defer { free(line) }
    while getline(&line, &capacity, file) > 0 {
        guard let line else { break }
        let text = String(cString: line)
        if text.hasPrefix("VmRSS:") {
            let fields = text.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
            return Int(fields.first ?? "") ?? 0
        }
    }
    return 0
}

/// Percentiles of a set of latencies given in nanoseconds.
struct LatencySummary {
    let count: Int
    let p50: Int64
    let p90: Int64
    let p99: Int64
    let max: Int64
    let mean: Double

    init(_ samples: [Int64]) {
        let sorted = samples.sorted()
        count = sorted.count
        func rank(_ p: Double) -> Int64 {
            guard !sorted.isEmpty else { return 0 }
            let index = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
            return sorted[Swift.max(0, Swift.min(index, sorted.count - 1))]
        }
        p50 = rank(50)
        p90 = rank(90)
        p99 = rank(99)
        max = sorted.last ?? 0
        mean = sorted.isEmpty ? 0 : Double(sorted.reduce(0, +)) / Double(sorted.count)
    }

    var json: String {
        "{\"n\":\(count),\"p50_us\":\(Double(p50) / 1000),\"p90_us\":\(Double(p90) / 1000),"
            + "\"p99_us\":\(Double(p99) / 1000),\"max_us\":\(Double(max) / 1000),\"mean_us\":\(mean / 1000)}"
    }
}

/// `value` with `digits` decimals (no Foundation here).
func fixed(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = Int64((abs(value) * scale).rounded())
    let whole = scaled / Int64(scale)
    var text = (value < 0 ? "-" : "") + grouped(whole)
    if digits > 0 {
        let fraction = String(scaled % Int64(scale))
        text += "." + String(repeating: "0", count: digits - fraction.count) + fraction
    }
    return text
}

/// An integer with thousands separators: 100000 -> "100,000".
func grouped(_ value: Int64) -> String {
    let digits = Array(String(value))
    var out = ""
    for (index, digit) in digits.enumerated() {
        if index > 0, (digits.count - index) % 3 == 0 { out += "," }
        out.append(digit)
    }
    return out
}

/// A latency in nanoseconds as microseconds or milliseconds, whichever reads better.
func duration(_ nanoseconds: Int64) -> String {
    nanoseconds < 1_000_000 ? fixed(Double(nanoseconds) / 1000, 1) + " µs" : fixed(Double(nanoseconds) / 1e6, 2) + " ms"
}

/// Bytes the allocator has handed out and not taken back: glibc `malloc_info` (XML) totals, `system current`
/// minus free `fast` and `rest` chunks plus `mmap`. Found with `dlsym`, as the Glibc module leaves out
/// malloc.h. Returns 0 when unavailable.
func heapInUseBytes() -> Int {
    typealias MallocInfo = @convention(c) (Int32, UnsafeMutablePointer<FILE>?) -> Int32
    guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "malloc_info") else { return 0 }
    let mallocInfo = unsafeBitCast(symbol, to: MallocInfo.self)
    var buffer: UnsafeMutablePointer<CChar>?
    var size = 0
    guard let stream = open_memstream(&buffer, &size) else { return 0 }
    _ = mallocInfo(0, stream)
    fclose(stream)
    guard let buffer else { return 0 }
    defer { free(buffer) }
    let xml = String(cString: buffer)
    // The totals over every arena follow the last "</heap>".
    guard let tail = xml.split(separator: "</heap>").last else { return 0 }
    func total(_ marker: String) -> Int {
        guard let range = tail.firstRange(of: marker) else { return 0 }
        let rest = tail[range.upperBound...].drop(while: { $0 == " " })
        let field = rest.drop(while: { $0 != "\"" }).dropFirst().prefix(while: { $0 != "\"" })
        return Int(field) ?? 0
    }
    // <total type="fast" count="…" size="…"/>: take the size attribute.
    func chunkSize(_ kind: String) -> Int {
        guard let range = tail.firstRange(of: "<total type=\"\(kind)\"") else { return 0 }
        let element = tail[range.upperBound...].prefix(while: { $0 != "/" })
        guard let sizeRange = element.firstRange(of: "size=\"") else { return 0 }
        return Int(element[sizeRange.upperBound...].prefix(while: { $0 != "\"" })) ?? 0
    }
    let current = total("<system type=\"current\" size=")
    return current - chunkSize("fast") - chunkSize("rest") + chunkSize("mmap")
}

/// Gives free heap pages back to the system (glibc `malloc_trim`, found with `dlsym`), so RSS afterwards
/// shows live memory rather than the high-water mark of a burst.
func trimHeap() {
    typealias MallocTrim = @convention(c) (Int) -> Int32
    guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "malloc_trim") else { return }
    _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
}

/// Nanoseconds this process's threads spent on a CPU and runnable but waiting for one (summed
/// /proc/self/task/*/schedstat). The waiting share shows how much other load on the machine held it back.
func schedulerNanoseconds() -> (onCPU: Int64, waiting: Int64) {
    guard let directory = opendir("/proc/self/task") else { return (0, 0) }
    defer { closedir(directory) }
    var onCPU: Int64 = 0
    var waiting: Int64 = 0
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        guard name.first?.isNumber == true, let file = fopen("/proc/self/task/\(name)/schedstat", "r") else {
            continue
        }
        var cpu: Int64 = 0
        var wait: Int64 = 0
        var slices: Int64 = 0
        withUnsafeMutablePointer(to: &cpu) { cpuPointer in
            withUnsafeMutablePointer(to: &wait) { waitPointer in
                withUnsafeMutablePointer(to: &slices) { slicesPointer in
                    _ = withVaList([cpuPointer, waitPointer, slicesPointer]) { vfscanf(file, "%ld %ld %ld", $0) }
                }
            }
        }
        fclose(file)
        onCPU += cpu
        waiting += wait
    }
    // CPU from getrusage: it keeps the time of threads that have exited (waiting misses those).
    var usage = rusage()
    if getrusage(RUSAGE_SELF.rawValue, &usage) == 0 {
        let user = Int64(usage.ru_utime.tv_sec) * 1_000_000_000 + Int64(usage.ru_utime.tv_usec) * 1000
        let system = Int64(usage.ru_stime.tv_sec) * 1_000_000_000 + Int64(usage.ru_stime.tv_usec) * 1000
        onCPU = max(onCPU, user + system)
    }
    return (onCPU, waiting)
}

/// CPU time (ns) of process `pid` and of its direct children so far, from `/proc/N/schedstat`: for a PostgreSQL
/// postmaster, the server with its backends. Processes that exited since the last call are not counted.
func processTreeNanoseconds(root pid: Int32) -> Int64 {
    guard let directory = opendir("/proc") else { return 0 }
    defer { closedir(directory) }
    var total: Int64 = 0
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        guard let candidate = Int32(name) else { continue }
        guard candidate == pid || parentPID(of: candidate) == pid else { continue }
        total += firstNumber(inFile: "/proc/\(name)/schedstat") ?? 0
    }
    return total
}

/// The parent of `pid`, from `/proc/pid/stat` (the field after the parenthesised command name and the state).
private func parentPID(of pid: Int32) -> Int32? {
    guard let text = fileText("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
    let fields = text[text.index(after: close)...].split(separator: " ")
    return fields.count > 1 ? Int32(fields[1]) : nil
}

private func firstNumber(inFile path: String) -> Int64? {
    fileText(path)?.split(separator: " ").first.flatMap { Int64($0) }
}

private func fileText(_ path: String) -> String? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var buffer = [UInt8](repeating: 0, count: 1024)
    let count = fread(&buffer, 1, buffer.count, file)
    return String(decoding: buffer.prefix(count), as: UTF8.self)
}

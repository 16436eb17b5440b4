import Foundation

/// Runs a libFuzzer entry point (`LLVMFuzzerTestOneInput`) over files, without libFuzzer: what the fuzz targets do
/// when built without `-sanitize=fuzzer`, so that the committed corpus is replayed as an ordinary test.
/// - Parameters:
///   - paths: files, or directories whose files are all replayed (not recursively).
///   - entry: the target's entry point; an invariant it breaks traps, as under libFuzzer.
/// - Returns: how many inputs ran.
public func replayFuzzInputs(
    _ paths: some Sequence<String>, through entry: (UnsafePointer<UInt8>, Int) -> Int32
) throws -> Int {
    var files: [String] = []
    for path in paths {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FuzzReplayError(description: "no such file: \(path)")
        }
        if isDirectory.boolValue {
            let names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
            files += names.map { path + "/" + $0 }
        } else {
            files.append(path)
        }
    }
    for file in files {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        // libFuzzer hands a valid pointer even for an empty input.
        let padded = bytes.isEmpty ? [0] : bytes
        _ = padded.withUnsafeBufferPointer { entry($0.baseAddress!, bytes.count) }
    }
    return files.count
}

public struct FuzzReplayError: Error, CustomStringConvertible {
    public var description: String
}

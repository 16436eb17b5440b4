import ArgumentParser
import Dispatch
import Errand
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `errand serve`'s authentication options, and the safe default they enforce.
struct AuthOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Tokens file: principals and the sha256 hashes of their bearer tokens (see README, Authentication).",
            discussion: "Reloaded when it changes (checked every 2 s) and on SIGHUP; a broken file keeps the "
                + "previous principals.",
            valueName: "path"))
    var authFile: String?

    @Flag(help: "Serve on a non-loopback address without authentication (anyone who can connect can do anything).")
    var allowUnauthenticated = false

    /// Refuses a non-loopback binding without tokens unless explicitly allowed.
    func validate(host: String) throws {
        guard authFile == nil, !allowUnauthenticated, !RequestGuard.isLoopback(host) else { return }
        throw ValidationError(
            """
            refusing to serve on \(host) without authentication: anyone who can reach it could run tools and read \
            every task. Create a token with `errand token new --principal NAME`, put its hash in a tokens file \
            ({"principals":[{"name":"NAME","tokens":["sha256:…"]}]}) and pass --auth-file PATH; or, on a network \
            you trust, pass --allow-unauthenticated.
            """)
    }

    /// Loads the tokens file, or warns loudly when a non-loopback server runs open.
    func authenticator(host: String, logger: Logger) throws -> Authenticator? {
        guard let authFile else {
            if !RequestGuard.isLoopback(host) {
                let warning =
                    "AUTHENTICATION IS OFF on a non-loopback address: anyone who can connect may run tools and read, "
                    + "cancel and delete every task (--allow-unauthenticated). Use --auth-file to require tokens."
                logger.warning("\(warning)", metadata: ["host": "\(host)"])
            }
            return nil
        }
        do {
            let authenticator = try Authenticator(path: authFile, logger: logger)
            logger.info(
                "authentication on",
                metadata: ["path": "\(authFile)", "principals": "\(authenticator.principals.count)"])
            return authenticator
        } catch {
            throw ValidationError("\(error)")
        }
    }

}

/// What SIGHUP does while a command runs: re-read the files it was given (tokens, tools).
enum Hangup {
    /// Runs `action` on every SIGHUP until the returned closure is called; SIGHUP no longer ends the process.
    static func handle(_ action: @escaping @Sendable () -> Void) -> () -> Void {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "errand.sighup"))
        source.setEventHandler(handler: action)
        source.resume()
        return { source.cancel() }
    }
}

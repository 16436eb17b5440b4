#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process group a command runs in (its own session, so the group id is the leader's pid).
///
/// Signals go to the whole group, so a command's children and grandchildren are reached too. The group id stays
/// reserved by the kernel while any member lives, so signalling it after the leader was reaped reaches only
/// leftovers of this command.
struct ProcessGroup: Sendable, Hashable {
    let id: pid_t

    /// Sends `signal` to every member; a group with no members left is not an error.
    func send(_ signal: Int32) {
        _ = signalGroup(id, signal)
    }

    /// Whether any member is still running. Zombies (dead, waiting for a parent to reap them) do not count: an
    /// orphan's zombie lingers where the init process does not reap.
    var hasRunningMembers: Bool {
        guard signalGroup(id, 0) == 0 else { return errno != ESRCH }
        #if os(Linux)
            return ProcStat.anyRunning(inGroup: id)
        #else
            return true
        #endif
    }

    /// Sends SIGKILL and waits (up to a second, in its own task) until no member runs any more, so the caller
    /// returns only once the group is really gone. Cheap when the group is already empty.
    func kill() async {
        let group = self
        group.send(SIGKILL)
        guard group.hasRunningMembers else { return }
        await Task { await group.waitUntilEmpty(for: .seconds(1)) }.value
    }

    /// Polls until no member runs or `duration` has passed.
    func waitUntilEmpty(for duration: Duration) async {
        let deadline = ContinuousClock.now + duration
        var pause = Duration.milliseconds(5)
        while hasRunningMembers, ContinuousClock.now < deadline {
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(100))
        }
    }
}

extension ProcessGroup {
    /// Ends a cancelled run whose group was sent SIGTERM at `sigtermSentAt`: waits for members still running
    /// until `grace` after that, then sends SIGKILL. Runs to the end even though the caller is cancelled.
    func finishTermination(sigtermSentAt: ContinuousClock.Instant, grace: Duration) async {
        let group = self
        let remaining = max(.zero, sigtermSentAt + grace - ContinuousClock.now)
        await Task {
            await group.waitUntilEmpty(for: remaining)
            await group.kill()
        }.value
    }
}

/// `kill(-pgid, signal)`, outside ``ProcessGroup`` whose own `kill()` would shadow the C function.
private func signalGroup(_ pgid: pid_t, _ signal: Int32) -> Int32 { kill(-pgid, signal) }

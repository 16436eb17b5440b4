import Synchronization

/// One engine-wide timer: a min-heap of deadlines served by a single driver task, so that timeouts, retry
/// backoffs, waiter timeouts and the reaper need no task or timer of their own.
///
/// ``schedule(_:after:)`` is cheap and never suspends; cancelling a scheduled action is left to the receiver
/// (actions carry tokens the engine checks when they fire). Deadlines are read on the engine's ``TimerClock``.
/// `Action` is the owning engine's own enum of things to do (``TaskEngine/TimerAction``,
/// ``ClusterEngine/TimerAction``).
final class EngineTimer<Action: Sendable>: Sendable {
    private struct Entry {
        var deadline: Duration
        var order: UInt64
        var action: Action

        func fires(before other: Entry) -> Bool {
            deadline != other.deadline ? deadline < other.deadline : order < other.order
        }
    }

    private struct State {
        var heap: [Entry] = []
        var nextOrder: UInt64 = 0
        /// The driver's current sleep and when it ends; cancelled to wake the driver early.
        var sleep: Task<Void, Never>?
        var sleepingUntil: Duration?
        var stopped = false

        mutating func push(_ entry: Entry) {
            heap.append(entry)
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard heap[child].fires(before: heap[parent]) else { break }
                heap.swapAt(child, parent)
                child = parent
            }
        }

        mutating func popFirst() -> Entry {
            let first = heap[0]
            let last = heap.removeLast()
            guard !heap.isEmpty else { return first }
            heap[0] = last
            var parent = 0
            while true {
                let left = parent * 2 + 1
                let right = left + 1
                var smallest = parent
                if left < heap.count, heap[left].fires(before: heap[smallest]) { smallest = left }
                if right < heap.count, heap[right].fires(before: heap[smallest]) { smallest = right }
                guard smallest != parent else { return first }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
    }

    private let state = Mutex(State())
    let clock: TimerClock

    init(clock: TimerClock) {
        self.clock = clock
    }

    /// Runs `action` once `delay` has passed.
    func schedule(_ action: Action, after delay: Duration) {
        let deadline = clock.now + delay
        let wake = state.withLock { state -> Task<Void, Never>? in
            guard !state.stopped else { return nil }
            state.nextOrder += 1
            state.push(Entry(deadline: deadline, order: state.nextOrder, action: action))
            guard let until = state.sleepingUntil, deadline < until else { return nil }
            state.sleepingUntil = nil
            defer { state.sleep = nil }
            return state.sleep
        }
        wake?.cancel()
    }

    /// Serves deadlines until ``stop()``, handing due actions to `fire` in deadline order. Call once.
    func run(_ fire: @Sendable ([Action]) async -> Void) async {
        while true {
            let now = clock.now
            let (due, next, stopped) = state.withLock { state -> ([Action], Duration?, Bool) in
                var due: [Action] = []
                while let first = state.heap.first, first.deadline <= now { due.append(state.popFirst().action) }
                return (due, state.heap.first?.deadline, state.stopped)
            }
            if stopped { return }
            if !due.isEmpty {
                await fire(due)
                continue
            }
            let until = next ?? now + .seconds(3600)
            let sleep = Task<Void, Never> { [clock] in try? await clock.sleep(until: until) }
            let sleeping = state.withLock { state -> Bool in
                if state.stopped { return false }
                if let first = state.heap.first, first.deadline < until { return false }
                state.sleep = sleep
                state.sleepingUntil = until
                return true
            }
            if !sleeping { sleep.cancel() }
            await sleep.value
            state.withLock { state in
                state.sleep = nil
                state.sleepingUntil = nil
            }
        }
    }

    /// Ends ``run(_:)`` and drops every pending action.
    func stop() {
        let sleep = state.withLock { state -> Task<Void, Never>? in
            state.stopped = true
            state.heap.removeAll()
            state.sleepingUntil = nil
            defer { state.sleep = nil }
            return state.sleep
        }
        sleep?.cancel()
    }
}

import Synchronization

/// The catalog a running server serves, replaceable while it runs (a tools file re-read on SIGHUP).
///
/// Readers take the current catalog by value: a call that started keeps the tool it found, and a task attempt
/// looks its tool up when it starts.
public final class LiveCatalog: Sendable {
    private let catalog: Mutex<Catalog>

    public init(_ catalog: Catalog) { self.catalog = Mutex(catalog) }

    /// The catalog as it is now.
    public var current: Catalog { catalog.withLock { $0 } }

    /// Changes the catalog in one step.
    public func update(_ body: (inout Catalog) -> Void) { catalog.withLock { body(&$0) } }
}

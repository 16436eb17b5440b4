import ErrandEngine
import Testing

/// A store location in messages: a password never shows, everything else does.
struct StoreURLTests {
    @Test func thePasswordIsHiddenAndNothingElseChanges() {
        #expect(
            StoreURL.withoutPassword("postgres://ann:s3cret@db:5432/x?sslmode=require")
                == "postgres://ann:***@db:5432/x?sslmode=require")
        #expect(StoreURL.withoutPassword("postgres://ann:p@ss@db/x") == "postgres://ann:***@db/x")  // last @ ends it
        #expect(StoreURL.withoutPassword("postgres://ann@db/x") == "postgres://ann@db/x")
        #expect(StoreURL.withoutPassword("sqlite:data/errand.sqlite") == "sqlite:data/errand.sqlite")
        #expect(StoreURL.withoutPassword("memory") == "memory")
    }
}

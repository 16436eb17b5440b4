/// What the task store's location (`--store`) may be shown as.
public enum StoreURL {
    /// `location` with the password between `user:` and `@` replaced by `***`, for messages and logs; anything
    /// without one (`memory`, `sqlite:PATH`, a URL with no password) unchanged.
    public static func withoutPassword(_ location: String) -> String {
        guard let scheme = location.firstRange(of: "://"), let at = location.lastIndex(of: "@"),
            scheme.upperBound < at, let colon = location[scheme.upperBound..<at].firstIndex(of: ":")
        else { return location }
        return String(location[..<colon]) + ":***" + String(location[at...])
    }
}

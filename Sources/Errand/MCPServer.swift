public enum ErrandPlaceholder {}

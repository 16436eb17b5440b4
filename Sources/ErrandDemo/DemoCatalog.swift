public import Errand

/// The demo server's catalog: the six conformance tools, the seeds' scenarios, a slow resource and prompt.
public enum DemoCatalog {
    public static func make() -> Catalog {
        var catalog = Catalog(defaultTaskSupport: .optional)
        for tool in SeedTools.all + ScenarioTools.all { catalog.add(tool) }
        catalog.add(DemoResources.weeklyReport)
        catalog.add(DemoResources.researchBrief)
        return catalog
    }
}

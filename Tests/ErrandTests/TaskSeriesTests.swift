import ErrandEngine
import ErrandProtocol
import Testing

@testable import Errand

/// The ring buffer behind `GET /api/stats/series`: bounded in samples, tools and run times.
@Suite struct TaskSeriesTests {
    func ended(_ tool: String, status: TaskStatus, started: Int64, ended: Int64) -> TaskEvent {
        let task = TaskRecord(
            id: TaskID.random(), owner: .anonymous, kind: .toolCall, target: tool, arguments: [:], status: status,
            createdAt: started, lastUpdatedAt: ended, ttlMs: nil, pollIntervalMs: 500,
            history: [
                TaskHistoryEntry(at: started, status: .working, message: nil, attempt: 1),
                TaskHistoryEntry(at: ended, status: status, message: nil, attempt: 1),
            ])
        return TaskEvent(sequence: 1, change: .status, task: task)
    }

    @Test func keepsTheLastCapacitySamplesInOrderAndTheStartOfTheirSpan() {
        let series = TaskSeries(capacity: 3)
        for second in 1...5 { series.sample(at: Int64(second) * 1000, queued: second, running: 0) }
        let (samples, since) = series.samples(last: 10)
        #expect(samples.map(\.at) == [3000, 4000, 5000])
        #expect(samples.map(\.queued) == [3, 4, 5])
        #expect(since == .min)  // nothing older is kept
        let (lastTwo, lastTwoSince) = series.samples(last: 2)
        #expect(lastTwo.map(\.at) == [4000, 5000] && lastTwoSince == 3000)
    }

    @Test func countsEventsIntoTheSecondInProgress() {
        let series = TaskSeries()
        let created = ended("t", status: .completed, started: 0, ended: 10)
        series.record(TaskEvent(sequence: 1, change: .created, task: created.task))
        series.record(ended("t", status: .completed, started: 0, ended: 10))
        series.record(ended("t", status: .failed, started: 0, ended: 10))
        series.record(ended("t", status: .cancelled, started: 0, ended: 10))
        series.sample(at: 1000, queued: 7, running: 2)
        series.sample(at: 2000, queued: 0, running: 0)
        let (samples, _) = series.samples(last: 2)
        #expect(
            samples.first
                == TaskSeries.Sample(
                    at: 1000, submitted: 1, completed: 1, failed: 1, cancelled: 1, queued: 7, running: 2))
        #expect(samples.last == TaskSeries.Sample(at: 2000))
    }

    @Test func runTimesArePercentilesOfTheLatestRunsOfAtMostMaxTools() {
        let series = TaskSeries(runTimesPerTool: 100, maxTools: 2)
        for milliseconds in 1...200 {  // only the last 100 (101...200) are kept
            series.record(ended("a", status: .completed, started: 0, ended: Int64(milliseconds)))
        }
        series.record(ended("b", status: .failed, started: 0, ended: 50))
        series.record(ended("c", status: .completed, started: 0, ended: 50))  // a third tool: not timed
        let times = series.runTimes(since: .min)
        #expect(times.map(\.tool) == ["a", "b"])
        #expect(times[0] == TaskSeries.RunTimes(tool: "a", count: 100, p50Ms: 150, p95Ms: 195))
        #expect(times[1] == TaskSeries.RunTimes(tool: "b", count: 1, p50Ms: 50, p95Ms: 50))
        #expect(series.runTimes(since: 180).first?.count == 21)  // runs that ended at 180...200
    }
}

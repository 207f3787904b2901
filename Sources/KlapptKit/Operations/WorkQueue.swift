import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Slots that concurrent workers fill, one each, in the order they claim them; `take` waits
/// until its slot is filled.
final class ResultSlots<Value: Sendable>: @unchecked Sendable {
    private var slots: [Result<Value, KlapptError>?]
    /// The order in which slots are handed out (positions); by default position order.
    private let schedule: [Int]
    private var claimed = 0
    private var taken = 0
    private var cancelled = false
    /// At most this many slots are claimed ahead of the ones taken, so that memory holds a few
    /// slices' rows, not a whole file's, when merging is slower than reading.
    private let window: Int
    private let condition = NSCondition()

    /// `schedule`: the positions in the order they are handed out (a permutation of 0..<count).
    /// The window counts slots claimed and not yet taken: a taker that waits for positions in
    /// order (`take`) must leave room in it for the slots scheduled before their turn; one that
    /// takes what comes (`takeAny`, as `QuarterlyRun.readInputs` does) never waits on the window.
    init(count: Int, window: Int = .max, schedule: [Int]? = nil) {
        slots = Array(repeating: nil, count: count)
        self.window = window
        self.schedule = schedule ?? Array(0..<count)
        precondition(self.schedule.sorted() == Array(0..<count), "schedule must be a permutation of the positions")
    }

    /// The next slot to fill, once it is within the window; nil when all are claimed (or the
    /// reading was cancelled).
    func claim() -> Int? {
        condition.withLock {
            while !cancelled, claimed < slots.count, claimed - taken >= window { condition.wait() }
            guard !cancelled, claimed < slots.count else { return nil }
            claimed += 1
            return schedule[claimed - 1]
        }
    }

    /// Stops handing out slots (a failed file ends the run).
    func cancel() {
        condition.withLock {
            cancelled = true
            condition.broadcast()
        }
    }

    subscript(position: Int) -> Result<Value, KlapptError>? {
        get { condition.withLock { slots[position] } }
        set {
            condition.withLock {
                slots[position] = newValue
                condition.broadcast()
            }
        }
    }

    /// The first filled slot and its value, once there is one; the slot is emptied. For a taker
    /// that handles results as they come (the caller must take no more than `count` in all).
    func takeAny() -> (position: Int, value: Result<Value, KlapptError>) {
        condition.withLock {
            while true {
                if let position = slots.firstIndex(where: { $0 != nil }) {
                    let value = slots[position]!
                    slots[position] = nil
                    taken += 1
                    condition.broadcast()
                    return (position, value)
                }
                condition.wait()
            }
        }
    }

    /// The value of a slot once it is filled; the slot is emptied (so that nothing else holds it).
    func take(_ position: Int) -> Result<Value, KlapptError> {
        condition.withLock {
            while slots[position] == nil { condition.wait() }
            defer {
                slots[position] = nil
                taken += 1
                condition.broadcast()
            }
            return slots[position]!
        }
    }
}

/// Adds up the bytes read per file from all slices and reports them (progress on a terminal).
final class ProgressCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var read: [String: Int] = [:]
    private let sizes: [String: Int]
    private let report: @Sendable (String, Int, Int) -> Void

    init(report: @escaping @Sendable (String, Int, Int) -> Void, sizes: [String: Int]) {
        self.report = report
        self.sizes = sizes
    }

    func add(_ path: String, _ bytes: Int) {
        let total = lock.withLock { () -> Int in
            read[path, default: 0] += bytes
            return read[path]!
        }
        report(path, total, sizes[path] ?? 0)
    }
}

import CKlapptPrefetch

/// An append-only array stored in fixed chunks of 65,536 elements: it grows without ever copying
/// what it holds (a plain array doubles and copies, briefly holding the rows of a big run twice)
/// and gives back each chunk as soon as it is dropped.
struct ChunkedArray<Element>: RandomAccessCollection {
    private static var shift: Int { 16 }
    private var chunks: [[Element]] = []
    private(set) var count = 0

    init() {}

    var startIndex: Int { 0 }
    var endIndex: Int { count }

    subscript(position: Int) -> Element {
        get { chunks[position >> Self.shift][position & ((1 << Self.shift) - 1)] }
        set { chunks[position >> Self.shift][position & ((1 << Self.shift) - 1)] = newValue }
    }

    /// Starts loading the element at `position` (a hint for loops that visit elements in a random
    /// order: issued a few elements ahead, the cache misses overlap).
    @inline(__always)
    func prefetch(_ position: Int) {
        chunks[position >> Self.shift].withUnsafeBufferPointer { chunk in
            klappt_prefetch_read(chunk.baseAddress! + (position & ((1 << Self.shift) - 1)))
        }
    }

    mutating func append(_ element: Element) {
        if count & ((1 << Self.shift) - 1) == 0 {
            chunks.append([])
            chunks[chunks.count - 1].reserveCapacity(1 << Self.shift)
        }
        chunks[chunks.count - 1].append(element)
        count += 1
    }

    mutating func append<Elements: Sequence>(contentsOf elements: Elements) where Elements.Element == Element {
        for element in elements { append(element) }
    }

    mutating func removeAll() {
        chunks = []
        count = 0
    }
}

extension ChunkedArray: Sendable where Element: Sendable {}

/// A quarter's indicator table as it was published: per cell a count or `*`. What the funding
/// report is made of (never an exact value of a suppressed cell: the store's reader maps a
/// suppressed cell to `*` inside its SQL, so the value never reaches Swift).
public struct PublishedQuarter: Sendable {
    public struct Key: Hashable, Sendable {
        public var indicator: String
        public var dimension: String
        public var category: String

        public init(_ indicator: String, _ dimension: String, _ category: String) {
            self.indicator = indicator
            self.dimension = dimension
            self.category = category
        }
    }

    public var period: Period
    public var values: [Key: PublishableTable.Value]

    public init(period: Period, values: [Key: PublishableTable.Value]) {
        self.period = period
        self.values = values
    }

    /// The quarter of a finished run, from its publishable table.
    public init(period: Period, table: PublishableTable) {
        self.period = period
        var values: [Key: PublishableTable.Value] = [:]
        for cell in table.cells { values[Key(cell.indicator.rawValue, cell.dimension, cell.category)] = table[cell] }
        self.values = values
    }

    /// The published value of a cell; nil when the quarter's table has no such cell.
    public subscript(indicator: String, dimension: String, category: String) -> PublishableTable.Value? {
        values[Key(indicator, dimension, category)]
    }

    /// The shared total row's cell of an indicator.
    public func total(_ indicator: String) -> PublishableTable.Value? { self[indicator, Dimension.total, Dimension.total] }
}

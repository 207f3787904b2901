import Foundation

/// German number formatting for the report: `1.234.567`, `12,3 %`, `+12`, `−3`.
public enum GermanNumber {
    public static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (position, digit) in digits.enumerated() {
            if position > 0 && (digits.count - position) % 3 == 0 { grouped.append(".") }
            grouped.append(digit)
        }
        return value < 0 ? "−" + grouped : grouped
    }

    /// A decimal with `decimals` places and a decimal comma.
    public static func decimal(_ value: Double, decimals: Int) -> String {
        let scaled = (value * pow(10, Double(decimals))).rounded()
        let whole = Int((scaled / pow(10, Double(decimals))).rounded(.towardZero))
        guard decimals > 0 else { return count(Int(scaled)) }
        let fraction = Int(abs(scaled).truncatingRemainder(dividingBy: pow(10, Double(decimals))))
        let sign = scaled < 0 && whole == 0 ? "−" : ""
        return sign + count(whole) + "," + String(repeating: "0", count: decimals - String(fraction).count) + String(fraction)
    }

    public static func percent(_ value: Double) -> String { decimal(value, decimals: 1) + " %" }

    public static func change(_ value: Int) -> String { value > 0 ? "+" + count(value) : value == 0 ? "±0" : count(value) }

    /// How a report figure is written.
    public static func text(_ figure: FundingReport.Figure) -> String {
        switch figure {
        case .count(let value): return count(value)
        case .suppressed: return "*"
        case .percent(let value): return percent(value)
        case .change(let value): return change(value)
        case .none: return "–"
        }
    }
}

/// A linear scale from a value domain starting at 0 to a pixel range, with "nice" ticks
/// (1, 2 or 5 times a power of ten), as a chart's value axis needs.
public struct LinearScale: Sendable, Equatable {
    public let maximum: Double
    public let step: Double
    public let start: Double
    public let end: Double

    /// A scale from 0 to at least `maximum` with about `ticks` steps, drawn from `start` to `end`.
    public init(maximum: Double, ticks: Int = 5, start: Double, end: Double) {
        let raw = max(maximum, 1) / Double(max(ticks, 1))
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        self.step = max(step, 1)
        self.maximum = (max(maximum, 1) / self.step).rounded(.up) * self.step
        self.start = start
        self.end = end
    }

    public func position(_ value: Double) -> Double { start + (end - start) * value / maximum }

    public var ticks: [Double] { stride(from: 0, through: maximum + step / 2, by: step).map { $0 } }
}

/// Draws the report's charts as inline SVG: a line chart and horizontal stacked bars, with axes,
/// German tick labels and a legend, in a palette that colour-blind readers can tell apart
/// (Okabe and Ito). Every chart names the table that holds its numbers.
public enum SVGChart {
    /// Okabe-Ito, with the black last (for an eighth series).
    public static let palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]

    public static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }

    static func number(_ value: Double) -> String { String(format: "%.1f", value) }

    public static func render(_ chart: FundingReport.Chart) -> String {
        switch chart.kind {
        case .line: return line(chart)
        case .stackedBars: return stackedBars(chart)
        }
    }

    static func open(_ chart: FundingReport.Chart, width: Double, height: Double) -> String {
        let withheld =
            chart.withheldSeries == nil
            ? "gesperrte Werte (*) fehlen im Diagramm" : "gesperrte Werte (*) stehen zusammen im schraffierten Teil „\(FundingReport.withheldPart)“"
        return """
            <svg xmlns="http://www.w3.org/2000/svg" class="diagramm" viewBox="0 0 \(Int(width)) \(Int(height))" width="\(Int(width))" height="\(Int(height))" \
            role="img" aria-labelledby="\(chart.id)-titel \(chart.id)-text"><title id="\(chart.id)-titel">\(escape(chart.title))</title>\
            <desc id="\(chart.id)-text">Die Zahlen stehen in der Tabelle „\(escape(chart.tableID))“; \(withheld).</desc>\
            <defs><pattern id="\(chart.id)-schraffur" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">\
            <rect width="6" height="6" fill="#ffffff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#666666" stroke-width="3"/></pattern></defs>\n
            """
    }

    /// The fill of a series: the palette's colour, or the hatching for the withheld part.
    static func fill(_ chart: FundingReport.Chart, _ position: Int) -> String {
        position == chart.withheldSeries ? "url(#\(chart.id)-schraffur)" : palette[position % palette.count]
    }

    /// The legend: a row of swatches with the series' names, wrapped to `width`.
    static func legend(_ names: [String], x: Double, y: Double, width: Double, fill: (Int) -> String = { palette[$0 % palette.count] }) -> (
        svg: String, height: Double
    ) {
        var svg = ""
        var column = x
        var row = y
        for (position, name) in names.enumerated() {
            let itemWidth = 30 + Double(name.count) * 7.2
            if column + itemWidth > x + width && column > x {
                column = x
                row += 18
            }
            svg +=
                "<rect x=\"\(number(column))\" y=\"\(number(row - 9))\" width=\"12\" height=\"12\" fill=\"\(fill(position))\" stroke=\"#666666\" stroke-width=\"0.5\"/>"
            svg += "<text x=\"\(number(column + 16))\" y=\"\(number(row + 1))\" class=\"legende\">\(escape(name))</text>\n"
            column += itemWidth
        }
        return (svg, row - y + 18)
    }

    static func line(_ chart: FundingReport.Chart) -> String {
        let width = 720.0
        let left = 70.0
        let right = 20.0
        let top = 20.0
        let legend = legend(chart.series.map(\.name), x: left, y: top, width: width - left - right)
        let plotTop = top + legend.height + 10
        let plotBottom = plotTop + 240
        let height = plotBottom + 50
        let maximum = chart.series.flatMap { $0.values.compactMap { $0 } }.max() ?? 1
        let scale = LinearScale(maximum: maximum, start: plotBottom, end: plotTop)
        let band = (width - left - right) / Double(max(chart.categories.count, 1))
        func x(_ index: Int) -> Double { left + band * (Double(index) + 0.5) }
        var svg = open(chart, width: width, height: height) + legend.svg
        for tick in scale.ticks {
            let y = scale.position(tick)
            svg += "<line x1=\"\(number(left))\" x2=\"\(number(width - right))\" y1=\"\(number(y))\" y2=\"\(number(y))\" class=\"gitter\"/>"
            svg += "<text x=\"\(number(left - 6))\" y=\"\(number(y + 4))\" class=\"achse\" text-anchor=\"end\">\(GermanNumber.count(Int(tick)))</text>\n"
        }
        for (index, category) in chart.categories.enumerated() {
            svg += "<text x=\"\(number(x(index)))\" y=\"\(number(plotBottom + 18))\" class=\"achse\" text-anchor=\"middle\">\(escape(category))</text>\n"
        }
        svg +=
            "<text x=\"\(number(left))\" y=\"\(number(height - 8))\" class=\"achse\">\(escape(chart.categoryTitle)); senkrecht: \(escape(chart.valueTitle))</text>\n"
        for (position, series) in chart.series.enumerated() {
            let colour = palette[position % palette.count]
            // A withheld value breaks the line: each run of published values is its own path.
            var path = ""
            var drawing = false
            for (index, value) in series.values.enumerated() {
                guard let value else {
                    drawing = false
                    continue
                }
                path += "\(drawing ? "L" : "M")\(number(x(index))) \(number(scale.position(value))) "
                drawing = true
            }
            if !path.isEmpty {
                svg += "<path d=\"\(path.trimmingCharacters(in: .whitespaces))\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2.5\"/>\n"
            }
            for (index, value) in series.values.enumerated() {
                guard let value else { continue }
                svg += "<circle cx=\"\(number(x(index)))\" cy=\"\(number(scale.position(value)))\" r=\"3.5\" fill=\"\(colour)\"/>"
            }
            svg += "\n"
        }
        svg +=
            "<line x1=\"\(number(left))\" x2=\"\(number(width - right))\" y1=\"\(number(plotBottom))\" y2=\"\(number(plotBottom))\" class=\"achsenlinie\"/>\n"
        return svg + "</svg>"
    }

    static func stackedBars(_ chart: FundingReport.Chart) -> String {
        let width = 720.0
        let labelWidth = 170.0
        let right = 30.0
        let top = 20.0
        let legend = legend(chart.series.map(\.name), x: labelWidth, y: top, width: width - labelWidth - right) { fill(chart, $0) }
        let plotTop = top + legend.height + 10
        let barHeight = 16.0
        let gap = 8.0
        let plotBottom = plotTop + Double(chart.categories.count) * (barHeight + gap)
        let height = plotBottom + 50
        let totals = chart.categories.indices.map { index in chart.series.reduce(0.0) { $0 + ($1.values[index] ?? 0) } }
        let scale = LinearScale(maximum: totals.max() ?? 1, start: labelWidth, end: width - right)
        var svg = open(chart, width: width, height: height) + legend.svg
        for tick in scale.ticks {
            let x = scale.position(tick)
            svg += "<line x1=\"\(number(x))\" x2=\"\(number(x))\" y1=\"\(number(plotTop))\" y2=\"\(number(plotBottom))\" class=\"gitter\"/>"
            svg += "<text x=\"\(number(x))\" y=\"\(number(plotBottom + 16))\" class=\"achse\" text-anchor=\"middle\">\(GermanNumber.count(Int(tick)))</text>\n"
        }
        for (index, category) in chart.categories.enumerated() {
            let y = plotTop + Double(index) * (barHeight + gap)
            svg += "<text x=\"\(number(labelWidth - 6))\" y=\"\(number(y + barHeight - 4))\" class=\"achse\" text-anchor=\"end\">\(escape(category))</text>"
            var offset = 0.0
            for (position, series) in chart.series.enumerated() {
                guard let value = series.values[index], value > 0 else { continue }
                let x0 = scale.position(offset)
                let x1 = scale.position(offset + value)
                svg +=
                    "<rect x=\"\(number(x0))\" y=\"\(number(y))\" width=\"\(number(x1 - x0))\" height=\"\(number(barHeight))\" fill=\"\(fill(chart, position))\">"
                svg += "<title>\(escape(category)), \(escape(series.name)): \(GermanNumber.count(Int(value)))</title></rect>"
                offset += value
            }
            svg += "\n"
        }
        svg +=
            "<line x1=\"\(number(labelWidth))\" x2=\"\(number(labelWidth))\" y1=\"\(number(plotTop))\" y2=\"\(number(plotBottom))\" class=\"achsenlinie\"/>\n"
        svg +=
            "<text x=\"\(number(labelWidth))\" y=\"\(number(height - 8))\" class=\"achse\">waagerecht: \(escape(chart.valueTitle)); senkrecht: \(escape(chart.categoryTitle))</text>\n"
        return svg + "</svg>"
    }
}

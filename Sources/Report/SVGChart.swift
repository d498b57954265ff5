import Foundation

/// Small inline SVG charts for the run report: no script, no external resource, so the page
/// renders offline, prints, and can be mailed as one file.
enum SVGChart {
    static let width = 560.0, height = 300.0
    static let margin = (left: 64.0, right: 16.0, top: 16.0, bottom: 44.0)
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]

    struct Series {
        var name: String
        var points: [(x: Double, y: Double)]
        var dashed = false
        var markers = false
    }

    /// Lines over numeric axes, with ticks, axis titles and a legend.
    static func lines(
        _ series: [Series], x: (title: String, range: ClosedRange<Double>), y: (title: String, range: ClosedRange<Double>),
        percentAxes: Bool = false, wholeNumberX: Bool = false
    ) -> String {
        let plot = Plot(x: x.range, y: y.range)
        var svg = plot.frame(xTitle: x.title, yTitle: y.title, percent: percentAxes, wholeNumberX: wholeNumberX)
        for (index, line) in series.enumerated() where !line.points.isEmpty {
            let color = palette[index % palette.count]
            let path = line.points.map { "\(format(plot.px($0.x))),\(format(plot.py($0.y)))" }.joined(separator: " ")
            svg +=
                "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(line.dashed ? " stroke-dasharray=\"5 4\"" : "") points=\"\(path)\"/>"
            if line.markers {
                for point in line.points {
                    svg += "<circle cx=\"\(format(plot.px(point.x)))\" cy=\"\(format(plot.py(point.y)))\" r=\"3\" fill=\"\(color)\"/>"
                }
            }
        }
        svg += legend(series.map(\.name))
        return wrap(svg)
    }

    /// Vertical bars: one group per category, one bar per series.
    static func bars(categories: [String], series: [(name: String, values: [Double])], yTitle: String, percent: Bool = false) -> String {
        let top = max(series.flatMap(\.values).filter(\.isFinite).max() ?? 1, 1e-12) * 1.1
        let plot = Plot(x: 0...Double(max(categories.count, 1)), y: 0...top)
        var svg = plot.frame(xTitle: "", yTitle: yTitle, percent: percent, xTicks: false)
        let groupWidth = (width - margin.left - margin.right) / Double(max(categories.count, 1))
        let barWidth = groupWidth * 0.8 / Double(max(series.count, 1))
        for (column, category) in categories.enumerated() {
            for (index, entry) in series.enumerated() {
                let value = entry.values[column].isFinite ? entry.values[column] : 0
                let x0 = margin.left + groupWidth * (Double(column) + 0.1) + barWidth * Double(index)
                svg +=
                    "<rect x=\"\(format(x0))\" y=\"\(format(plot.py(value)))\" width=\"\(format(barWidth))\" height=\"\(format(plot.py(0) - plot.py(value)))\" fill=\"\(palette[index % palette.count])\"><title>\(escape(category)) · \(escape(entry.name)): \(number(value, percent: percent))</title></rect>"
            }
            let cx = margin.left + groupWidth * (Double(column) + 0.5)
            svg +=
                "<text x=\"\(format(cx))\" y=\"\(format(height - margin.bottom + 14))\" font-size=\"10\" text-anchor=\"end\" transform=\"rotate(-30 \(format(cx)) \(format(height - margin.bottom + 14)))\">\(escape(category))</text>"
        }
        svg += legend(series.map(\.name))
        return wrap(svg, extraHeight: 30)
    }

    /// A table-shaped heatmap: rows × columns of values, diverging colours around zero
    /// (blue below, red above), the value printed in each cell.
    /// Colours are diverging around 0 (z-scores) unless `color` is given; `text` prints a cell.
    static func heatmap(
        rows: [String], columns: [String], values: [[Double]], limit: Double = 2, color: ((Double) -> String)? = nil,
        text: (Double) -> String = { String(format: "%.2f", $0) }
    ) -> String {
        let cell = (width: 64.0, height: 26.0), left = 230.0, top = 90.0
        let totalWidth = left + cell.width * Double(columns.count) + 10, totalHeight = top + cell.height * Double(rows.count) + 10
        var svg = ""
        for (index, column) in columns.enumerated() {
            let x = left + cell.width * (Double(index) + 0.5)
            svg +=
                "<text x=\"\(format(x))\" y=\"\(format(top - 6))\" font-size=\"10\" transform=\"rotate(-40 \(format(x)) \(format(top - 6)))\">\(escape(column))</text>"
        }
        for (rowIndex, row) in rows.enumerated() {
            let y = top + cell.height * Double(rowIndex)
            svg += "<text x=\"\(format(left - 6))\" y=\"\(format(y + 17))\" font-size=\"11\" text-anchor=\"end\">\(escape(row))</text>"
            for (columnIndex, value) in values[rowIndex].enumerated() {
                let x = left + cell.width * Double(columnIndex)
                svg +=
                    "<rect x=\"\(format(x))\" y=\"\(format(y))\" width=\"\(format(cell.width - 1))\" height=\"\(format(cell.height - 1))\" fill=\"\(color?(value) ?? divergingColor(value, limit: limit))\"/>"
                svg +=
                    "<text x=\"\(format(x + cell.width / 2))\" y=\"\(format(y + 17))\" font-size=\"11\" text-anchor=\"middle\">\(value.isFinite ? text(value) : "–")</text>"
            }
        }
        return
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(format(totalWidth)) \(format(totalHeight))\" width=\"\(format(totalWidth))\" role=\"img\">\(svg)</svg>"
    }

    /// White to deep blue as `value` goes from 0 to `maximum`.
    static func sequentialColor(_ value: Double, maximum: Double) -> String {
        guard value.isFinite, maximum > 0 else { return "#eeeeee" }
        let t = min(max(value / maximum, 0), 1)
        return String(format: "#%02x%02x%02x", Int(255 - 190 * t), Int(255 - 130 * t), Int(255 - 60 * t))
    }

    static func divergingColor(_ value: Double, limit: Double) -> String {
        guard value.isFinite else { return "#eeeeee" }
        let t = min(abs(value) / limit, 1)
        let (r, g, b) = value >= 0 ? (255.0, 255 - 150 * t, 255 - 170 * t) : (255 - 170 * t, 255 - 110 * t, 255.0)
        return String(format: "#%02x%02x%02x", Int(r), Int(g), Int(b))
    }

    private struct Plot {
        let x: ClosedRange<Double>, y: ClosedRange<Double>
        func px(_ value: Double) -> Double {
            margin.left + (value - x.lowerBound) / max(x.upperBound - x.lowerBound, 1e-12) * (width - margin.left - margin.right)
        }
        func py(_ value: Double) -> Double {
            height - margin.bottom - (value - y.lowerBound) / max(y.upperBound - y.lowerBound, 1e-12) * (height - margin.top - margin.bottom)
        }

        /// Axes, grid and tick labels: five ticks on each axis, or one per whole number on x.
        func frame(xTitle: String, yTitle: String, percent: Bool, xTicks: Bool = true, wholeNumberX: Bool = false) -> String {
            var svg =
                "<rect x=\"\(format(margin.left))\" y=\"\(format(margin.top))\" width=\"\(format(width - margin.left - margin.right))\" height=\"\(format(height - margin.top - margin.bottom))\" fill=\"none\" stroke=\"#999\"/>"
            for step in 0...4 {
                let value = y.lowerBound + (y.upperBound - y.lowerBound) * Double(step) / 4
                svg +=
                    "<line x1=\"\(format(margin.left))\" x2=\"\(format(width - margin.right))\" y1=\"\(format(py(value)))\" y2=\"\(format(py(value)))\" stroke=\"#e5e5e5\"/>"
                svg +=
                    "<text x=\"\(format(margin.left - 6))\" y=\"\(format(py(value) + 4))\" font-size=\"10\" text-anchor=\"end\">\(number(value, percent: percent))</text>"
            }
            let xValues =
                wholeNumberX
                ? Array(stride(from: x.lowerBound.rounded(.up), through: x.upperBound, by: max(1, ((x.upperBound - x.lowerBound) / 10).rounded(.up))))
                : (0...4).map { x.lowerBound + (x.upperBound - x.lowerBound) * Double($0) / 4 }
            for xValue in xTicks ? xValues : [] {
                svg +=
                    "<text x=\"\(format(px(xValue)))\" y=\"\(format(height - margin.bottom + 14))\" font-size=\"10\" text-anchor=\"middle\">\(number(xValue, percent: percent))</text>"
            }
            svg +=
                "<text x=\"\(format((margin.left + width - margin.right) / 2))\" y=\"\(format(height - 8))\" font-size=\"11\" text-anchor=\"middle\">\(escape(xTitle))</text>"
            svg +=
                "<text x=\"14\" y=\"\(format((margin.top + height - margin.bottom) / 2))\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(format((margin.top + height - margin.bottom) / 2)))\">\(escape(yTitle))</text>"
            return svg
        }
    }

    private static func legend(_ names: [String]) -> String {
        var svg = ""
        for (index, name) in names.enumerated() {
            let y = margin.top + 14 + 16 * Double(index)
            svg +=
                "<rect x=\"\(format(margin.left + 10))\" y=\"\(format(y - 9))\" width=\"10\" height=\"10\" fill=\"\(palette[index % palette.count])\"/>"
            svg += "<text x=\"\(format(margin.left + 26))\" y=\"\(format(y))\" font-size=\"11\">\(escape(name))</text>"
        }
        return svg
    }

    private static func wrap(_ body: String, extraHeight: Double = 0) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(format(width)) \(format(height + extraHeight))\" width=\"\(format(width))\" role=\"img\">\(body)</svg>"
    }

    static func number(_ value: Double, percent: Bool) -> String {
        if percent { return String(format: "%.0f%%", value * 100) }
        if abs(value) >= 1e6 { return String(format: "%.1fM", value / 1e6) }
        if abs(value) >= 1e4 { return String(format: "%.0fk", value / 1e3) }
        return abs(value) >= 10 || value == value.rounded() ? String(format: "%.0f", value) : String(format: "%.2f", value)
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

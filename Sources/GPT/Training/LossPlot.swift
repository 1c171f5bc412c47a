import Foundation

/// A line chart of loss against step as a standalone SVG: axes with round-number ticks,
/// one line per series and a legend, readable in any browser.
struct LossPlot {
    struct Series {
        var name: String
        var color: String
        var points: [(x: Double, y: Double)]
    }

    var series: [Series]
    var width = 720.0
    var height = 420.0
    let margin = (left: 64.0, right: 20.0, top: 36.0, bottom: 48.0)

    func svg() -> String {
        let all = series.flatMap(\.points).filter { $0.y.isFinite }
        let xs = all.map(\.x), ys = all.map(\.y)
        let xRange = Self.niceRange(xs.min() ?? 0, xs.max() ?? 1)
        let yRange = Self.niceRange(ys.min() ?? 0, ys.max() ?? 1)
        let plotWidth = width - margin.left - margin.right
        let plotHeight = height - margin.top - margin.bottom
        func px(_ x: Double) -> Double { margin.left + (x - xRange.lower) / (xRange.upper - xRange.lower) * plotWidth }
        func py(_ y: Double) -> Double { margin.top + (1 - (y - yRange.lower) / (yRange.upper - yRange.lower)) * plotHeight }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }

        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(width / 2))" y="20" text-anchor="middle" font-size="14">Finch training loss</text>

        """
        for tick in Self.ticks(xRange) {
            out += "<line x1=\"\(f(px(tick)))\" y1=\"\(f(margin.top))\" x2=\"\(f(px(tick)))\" y2=\"\(f(height - margin.bottom))\" stroke=\"#eee\"/>\n"
            out += "<text x=\"\(f(px(tick)))\" y=\"\(f(height - margin.bottom + 16))\" text-anchor=\"middle\">\(Self.label(tick))</text>\n"
        }
        for tick in Self.ticks(yRange) {
            out += "<line x1=\"\(f(margin.left))\" y1=\"\(f(py(tick)))\" x2=\"\(f(width - margin.right))\" y2=\"\(f(py(tick)))\" stroke=\"#eee\"/>\n"
            out += "<text x=\"\(f(margin.left - 6))\" y=\"\(f(py(tick) + 4))\" text-anchor=\"end\">\(Self.label(tick))</text>\n"
        }
        out += "<rect x=\"\(f(margin.left))\" y=\"\(f(margin.top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"none\" stroke=\"#333\"/>\n"
        out += "<text x=\"\(f(margin.left + plotWidth / 2))\" y=\"\(f(height - 10))\" text-anchor=\"middle\">step</text>\n"
        out += "<text x=\"16\" y=\"\(f(margin.top + plotHeight / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(f(margin.top + plotHeight / 2)))\">loss</text>\n"
        for (index, line) in series.enumerated() where !line.points.isEmpty {
            let path = line.points.filter { $0.y.isFinite }.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            out += "<polyline fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"1.6\" points=\"\(path)\"/>\n"
            if line.points.count <= 60 {
                for point in line.points where point.y.isFinite {
                    out += "<circle cx=\"\(f(px(point.x)))\" cy=\"\(f(py(point.y)))\" r=\"2.5\" fill=\"\(line.color)\"/>\n"
                }
            }
            let legendY = margin.top + 16 + Double(index) * 18
            out += "<line x1=\"\(f(width - margin.right - 110))\" y1=\"\(f(legendY - 4))\" x2=\"\(f(width - margin.right - 90))\" y2=\"\(f(legendY - 4))\" stroke=\"\(line.color)\" stroke-width=\"2\"/>\n"
            out += "<text x=\"\(f(width - margin.right - 84))\" y=\"\(f(legendY))\">\(line.name)</text>\n"
        }
        return out + "</svg>\n"
    }

    /// Widens [low, high] to round numbers so ticks land on them.
    static func niceRange(_ low: Double, _ high: Double) -> (lower: Double, upper: Double) {
        var (lo, hi) = (low, high)
        if hi - lo < 1e-9 { lo -= 0.5; hi += 0.5 }
        let step = tickStep(hi - lo)
        return ((lo / step).rounded(.down) * step, (hi / step).rounded(.up) * step)
    }

    static func tickStep(_ span: Double) -> Double {
        let raw = span / 6
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let fraction = raw / magnitude
        let nice: Double = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
        return nice * magnitude
    }

    static func ticks(_ range: (lower: Double, upper: Double)) -> [Double] {
        let step = tickStep(range.upper - range.lower)
        var values: [Double] = []
        var v = range.lower
        while v <= range.upper + step * 1e-6 {
            values.append(v)
            v += step
        }
        return values
    }

    static func label(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e7 { return String(Int(v)) }
        return String(format: "%.2f", v)
    }
}

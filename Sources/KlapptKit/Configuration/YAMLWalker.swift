import Foundation
import Yams

/// Reads a composed YAML mapping strictly: every key must be known, every value of the expected
/// kind, and each mistake is reported with its line, so a typo fails at start (ARCHITECTURE:
/// "checked completely before the first byte is read").
struct YAMLWalker {
    let file: String
    let node: Node
    let path: String

    init(file: String, node: Node, path: String = "") {
        self.file = file
        self.node = node
        self.path = path
    }

    var line: Int? { node.mark.map { $0.line } }

    func fail(_ message: String) -> PipelineError {
        PipelineError(file: file, line: line, message: path.isEmpty ? message : "\(path): \(message)")
    }

    /// The mapping's entries; throws on keys outside `allowed` (nil: any key).
    func mapping(allowed: Set<String>?) throws(PipelineError) -> [String: YAMLWalker] {
        guard let mapping = node.mapping else { throw fail("Hier wird eine Zuordnung (Schlüssel: Wert) erwartet.") }
        var result: [String: YAMLWalker] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { throw fail("Schlüssel muss ein Text sein.") }
            let child = YAMLWalker(file: file, node: value, path: path.isEmpty ? name : "\(path).\(name)")
            if let allowed, !allowed.contains(name) {
                throw PipelineError(
                    file: file, line: key.mark?.line, message: "Unbekannter Schlüssel „\(child.path)“. Erlaubt: \(allowed.sorted().joined(separator: ", ")).")
            }
            result[name] = child
        }
        return result
    }

    /// The mapping as plain string pairs (for field mappings).
    func stringMapping() throws(PipelineError) -> [(key: String, value: String, line: Int?)] {
        guard let mapping = node.mapping else { throw fail("Hier wird eine Zuordnung (Schlüssel: Wert) erwartet.") }
        var result: [(String, String, Int?)] = []
        for (key, value) in mapping {
            guard let name = key.string, let text = value.string else { throw fail("Schlüssel und Werte müssen Texte sein.") }
            result.append((name, text, key.mark?.line))
        }
        return result
    }

    func string() throws(PipelineError) -> String {
        guard let text = node.scalar?.string else { throw fail("Hier wird ein Text erwartet.") }
        return text
    }

    func int() throws(PipelineError) -> Int {
        guard let text = node.scalar?.string, let value = Int(text) else { throw fail("Hier wird eine ganze Zahl erwartet.") }
        return value
    }

    func double() throws(PipelineError) -> Double {
        guard let text = node.scalar?.string else { throw fail("Hier wird eine Zahl erwartet.") }
        if text.hasSuffix("%"), let percent = Double(text.dropLast().trimmingCharacters(in: .whitespaces)) { return percent / 100 }
        guard let value = Double(text) else { throw fail("Hier wird eine Zahl erwartet (z. B. 0.05 oder 5 %).") }
        return value
    }

    func strings() throws(PipelineError) -> [String] {
        guard let sequence = node.sequence else { throw fail("Hier wird eine Liste erwartet.") }
        var result: [String] = []
        for item in sequence {
            guard let text = item.string else { throw fail("Listeneinträge müssen Texte sein.") }
            result.append(text)
        }
        return result
    }

    func sequence() throws(PipelineError) -> [YAMLWalker] {
        guard let sequence = node.sequence else { throw fail("Hier wird eine Liste erwartet.") }
        return sequence.enumerated().map { YAMLWalker(file: file, node: $0.element, path: "\(path)[\($0.offset + 1)]") }
    }
}

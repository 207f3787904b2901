import Foundation
import KlapptFormats
import Yams

/// The canonical fields a source maps its export's fields to (SPEC 3.1).
public enum CanonicalField: String, CaseIterable, Sendable {
    case recordID = "record_id"
    case familyName = "family_name"
    case givenName = "given_name"
    case birthDate = "birth_date"
    case sex
    case nationality
    case residence
    case postcode
    case status
    case statusSince = "status_since"
    case course
    case entryDate = "entry_date"
    case exitDate = "exit_date"
    case asOf = "as_of"

    /// Position in `allCases`, for array-indexed storage.
    public var ordinal: Int {
        switch self {
        case .recordID: return 0
        case .familyName: return 1
        case .givenName: return 2
        case .birthDate: return 3
        case .sex: return 4
        case .nationality: return 5
        case .residence: return 6
        case .postcode: return 7
        case .status: return 8
        case .statusSince: return 9
        case .course: return 10
        case .entryDate: return 11
        case .exitDate: return 12
        case .asOf: return 13
        }
    }

    /// Fields with a date (validated by the source's date format).
    var isDate: Bool { [.birthDate, .statusSince, .entryDate, .exitDate, .asOf].contains(self) }
}

/// One source of a pipeline: where its files are, how to read them, which field is which.
public struct SourceSpec: Sendable {
    public var id: String
    /// What the source's records mean (`role:`).
    public var role: any SourceSemantics.Type
    /// Where its files are; may name the quarter: `{zeitraum}` (`2026-Q3`) and `{stichtag}`
    /// (`2026-09-30`) are replaced for each period (`glob(for:)`), so that one pipeline file serves
    /// every quarter's deliveries.
    public var glob: String
    /// How its files are read (`format:` with its options).
    public var format: any SourceFormat
    /// Builds its reader, specialised for its role (from the registry).
    public var readerMaker: SourceReader.Maker
    public var dateFormat: DateFormat
    /// Canonical field -> the export's field name (CSV column, XML child element, `@attr` of the
    /// record, `/@attr` of the document element).
    public var fields: [CanonicalField: String]
    /// Mapped fields that may be absent (XML) without rejecting the record.
    public var optional: Set<CanonicalField>
    /// Line of each field's mapping in the pipeline file, for messages that point there.
    public var fieldLines: [CanonicalField: Int] = [:]
    /// The pipeline file that declares the source.
    public var pipelineFile = ""
    /// Line of the format's options (`xml:`, `csv:`) in the pipeline file, for messages.
    public var formatLine: Int?
    /// What a complete delivery of this source looks like (plausibility, issue 9).
    public var expectation = DeliveryExpectation()
    /// The source's own code lists where it names some (`codelists:` in the source, issue 21: a
    /// school export with ISO3 nationalities and status texts beside job-centre lists with
    /// DESTATIS keys); nil: the pipeline's.
    public var codeLists: CodeLists? = nil
    /// The files of the lists the source names itself, by list key.
    public var codeListOverrides: [String: String] = [:]
}

extension SourceSpec {
    /// The glob of `period`'s files.
    public func glob(for period: Period) -> String {
        glob.replacingOccurrences(of: "{zeitraum}", with: period.description).replacingOccurrences(of: "{stichtag}", with: period.referenceDate.iso)
    }

    /// Whether the glob names the quarter.
    public var namesThePeriod: Bool { glob.contains("{zeitraum}") || glob.contains("{stichtag}") }
}

/// What a complete delivery of a source looks like: at least this many files, or one file from each
/// of these schools (the XML root's `Schulnummer`, or another root attribute).
public struct DeliveryExpectation: Sendable, Equatable {
    public var files: Int?
    public var schools: [String]?
    public var schoolAttribute = "Schulnummer"
}

/// What the funding report says about itself (`report:` in the pipeline file): the programme and the
/// district it reports on. Without the section the programme is the pipeline's name.
public struct ReportSettings: Sendable, Equatable {
    public var programme: String
    public var district: String

    public init(programme: String, district: String) {
        self.programme = programme
        self.district = district
    }
}

/// The plausibility checks before publication (issue 9): a run that fails one publishes nothing
/// (exit 65) unless the operator overrides it (`--ignore-plausibility`, kept in the ledger).
public struct PlausibilityRules: Sendable, Equatable {
    /// Largest drop of a source's accepted rows against the last finished run of the same quarter
    /// and against the previous quarter's.
    public var maxDrop = 0.30
    /// Drops of at most this many rows never count (small sources fluctuate); a drop to no rows at
    /// all always counts.
    public var minDropRows = 10
    /// Largest distance in days between a file's newest `Stand` and the reference date.
    public var maxStandDistanceDays = 45
}

/// A row of the `altersgruppe` dimension: `18-20` and the like.
public struct AgeGroup: Sendable, Hashable {
    public var label: String
    public var lower: Int
    public var upper: Int

    public init?(_ label: String) {
        let parts = label.split(separator: "-")
        guard parts.count == 2, let lower = Int(parts[0]), let upper = Int(parts[1]), lower <= upper else { return nil }
        self.label = label
        self.lower = lower
        self.upper = upper
    }
}

/// Target-group rules (SPEC 4.2), all settings of the pipeline file.
public struct TargetGroupRules: Sendable {
    public var minAge: Int
    public var maxAge: Int
    public var residenceGroups: [ResidenceGroup]
    public var ageGroups: [AgeGroup]
}

/// A checked pipeline file: every path resolved, every code list loaded, every mapping verified.
public struct Pipeline: Sendable {
    public var file: String
    public var name: String
    public var outputDirectory: String
    public var keyFile: String?
    public var maxRejectShare: Double
    /// How records are linked into persons (`linkage:`, default `exact`; `--linkage` overrides it).
    public var linkage: LinkageMethod = .probabilistic
    /// Threshold and review band of probabilistic linkage (`linkage_settings:`).
    public var linkageSettings = LinkageSettings()
    public var minCell: Int
    /// Seconds the exact secondary suppression may take per period before the heuristic takes over
    /// (`disclosure.time_limit_s`; 0: the heuristic only).
    public var suppressionTimeLimit: Double = 10
    public var plausibility: PlausibilityRules
    /// A command run when a run fails (cron): with `KLAPPT_EXIT`, `KLAPPT_GRUND` (one German line,
    /// never a value from an input), `KLAPPT_ZEITRAUM` and `KLAPPT_PIPELINE` in its environment.
    public var onFailure: String?
    public var targetGroup: TargetGroupRules
    public var nationalityBreakdown: [String]
    public var codeLists: CodeLists
    public var sources: [SourceSpec]
    /// The indicator families of the table, in the pipeline file's order (`indicators:`).
    public var indicatorFamilies: [any IndicatorFamily]
    /// The outputs of a finished run (`outputs:`).
    public var sinks: [any PeriodSink]
    /// The pipeline file and every code list it names: what a run's result depends on besides the
    /// inputs and the key (part of the ledger's fingerprint).
    public var configurationFiles: [String]
    /// Code list key (`aufenthalt`, `nationalitaeten`, …) -> its path.
    public var codeListPaths: [String: String]
    /// The German words of the funding report (`codelists: beschriftungen:`).
    public var labels: ReportLabels
    /// The funding report's programme and district (`report:`).
    public var report: ReportSettings
    /// The district's key (Kreisschlüssel, 5 digits, issue 22): `district_key:`, else the common
    /// prefix of the AGS in the postcode list.
    public var districtKey: String = ""

    /// Loads and checks the pipeline at `path`. Relative paths inside it are relative to its folder.
    public static func load(path: String, registry: Registry = .standard) throws(KlapptError) -> Pipeline {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .usage("Pipeline-Datei „\(path)“ nicht gefunden oder nicht lesbar.")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .pipeline(PipelineError(file: path, message: "Die Datei ist nicht in UTF-8 kodiert."))
        }
        do {
            return try parse(text, file: path, registry: registry)
        } catch {
            throw .pipeline(error)
        }
    }

    static func parse(_ text: String, file: String, registry: Registry = .standard) throws(PipelineError) -> Pipeline {
        let node: Node
        do {
            guard let composed = try Yams.compose(yaml: text) else { throw PipelineError(file: file, message: "Die Datei ist leer.") }
            node = composed
        } catch let error as PipelineError {
            throw error
        } catch {
            throw PipelineError(file: file, message: "Kein gültiges YAML: \(error)")
        }
        let base = URL(fileURLWithPath: file).deletingLastPathComponent().path
        func resolve(_ path: String) -> String {
            if path == "~" || path.hasPrefix("~/") { return Pipeline.home + path.dropFirst() }
            return path.hasPrefix("/") ? path : URL(fileURLWithPath: base).appendingPathComponent(path).standardizedFileURL.path
        }
        let root = try YAMLWalker(file: file, node: node).mapping(allowed: [
            "name", "output_dir", "key_file", "max_reject_share", "target_group", "disclosure", "codelists",
            "nationality_breakdown", "sources", "plausibility", "on_failure", "indicators", "outputs", "report", "district_key", "linkage", "linkage_settings",
        ])
        func required(_ key: String, in map: [String: YAMLWalker], at walker: YAMLWalker? = nil) throws(PipelineError) -> YAMLWalker {
            guard let value = map[key] else {
                throw PipelineError(file: file, line: walker?.line, message: "Pflichtangabe „\(walker.map { $0.path + "." } ?? "")\(key)“ fehlt.")
            }
            return value
        }

        let name = try root["name"]?.string() ?? "klappt"
        let outputDirectory = resolve(try root["output_dir"]?.string() ?? "output")
        let keyFile = try root["key_file"].map { (walker) throws(PipelineError) in resolve(try walker.string()) }
        let maxRejectShare = try root["max_reject_share"]?.double() ?? 0.05
        guard (0...1).contains(maxRejectShare) else { throw root["max_reject_share"]!.fail("Wert muss zwischen 0 und 1 liegen.") }
        var linkage = LinkageMethod.probabilistic
        if let walker = root["linkage"] {
            switch LinkageMethod.named(try walker.string()) {
            case .success(let method): linkage = method
            case .failure(let error): throw walker.fail(error.message)
            }
        }
        // Probabilistic linkage's threshold, review band and the coordinator's decisions (handbook, 8a).
        var linkageSettings = LinkageSettings()
        if let settings = root["linkage_settings"] {
            let map = try settings.mapping(allowed: ["threshold", "review_from", "review_limit", "decisions"])
            if let value = map["threshold"] {
                linkageSettings.threshold = try value.double()
                guard linkageSettings.threshold >= 0.5, linkageSettings.threshold < 1 else {
                    throw value.fail(
                        "threshold muss mindestens 0,5 und kleiner als 1 sein (die Wahrscheinlichkeit, ab der zwei Datensätze eine Person sind; darunter hält das Modell sie für verschiedene Personen)."
                    )
                }
            }
            if let value = map["review_from"] {
                linkageSettings.reviewFrom = try value.double()
                guard linkageSettings.reviewFrom > 0, linkageSettings.reviewFrom <= linkageSettings.threshold else {
                    throw value.fail("review_from muss größer als 0 sein und darf threshold nicht übersteigen.")
                }
            }
            if let value = map["review_limit"] {
                linkageSettings.reviewLimit = try value.int()
                guard linkageSettings.reviewLimit >= 1 else {
                    throw value.fail(
                        "review_limit muss mindestens 1 sein (der Prüfbereich wird gelistet; wie viele Paare darin liegen, sagt die Zusammenfassung).")
                }
            }
            if let value = map["decisions"] { linkageSettings.decisionsFile = resolve(try value.string()) }
        }

        var minCell = 3
        var suppressionTimeLimit = 10.0
        if let disclosure = root["disclosure"] {
            let map = try disclosure.mapping(allowed: ["min_cell", "time_limit_s"])
            if let value = map["min_cell"] {
                minCell = try value.int()
                guard minCell >= 1 else { throw value.fail("min_cell muss mindestens 1 sein.") }
            }
            if let value = map["time_limit_s"] {
                suppressionTimeLimit = try value.double()
                guard (0...3600).contains(suppressionTimeLimit) else { throw value.fail("time_limit_s muss zwischen 0 und 3600 Sekunden liegen.") }
            }
        }

        var plausibility = PlausibilityRules()
        if let walker = root["plausibility"] {
            let map = try walker.mapping(allowed: ["max_drop", "min_drop_rows", "max_stand_distance_days"])
            if let value = map["max_drop"] {
                plausibility.maxDrop = try value.double()
                guard (0...1).contains(plausibility.maxDrop) else { throw value.fail("Wert muss zwischen 0 und 1 liegen.") }
            }
            if let value = map["min_drop_rows"] {
                plausibility.minDropRows = try value.int()
                guard plausibility.minDropRows >= 0 else { throw value.fail("Wert darf nicht negativ sein.") }
            }
            if let value = map["max_stand_distance_days"] {
                plausibility.maxStandDistanceDays = try value.int()
                guard plausibility.maxStandDistanceDays >= 0 else { throw value.fail("Wert darf nicht negativ sein.") }
            }
        }
        let onFailure = try root["on_failure"]?.string()

        let targetWalker = try required("target_group", in: root)
        let target = try targetWalker.mapping(allowed: ["min_age", "max_age", "residence_groups", "age_groups"])
        let minAge = try required("min_age", in: target, at: targetWalker).int()
        let maxAge = try required("max_age", in: target, at: targetWalker).int()
        guard minAge <= maxAge else { throw targetWalker.fail("min_age ist größer als max_age.") }
        let residenceWalker = try required("residence_groups", in: target, at: targetWalker)
        var residenceGroups: [ResidenceGroup] = []
        for text in try residenceWalker.strings() {
            guard let group = ResidenceGroup(rawValue: text), group != .andere, group != .unbekannt else {
                throw residenceWalker.fail("„\(text)“ ist keine Aufenthaltsgruppe des Fluchtkontexts (gestattung, duldung, schutz, ukraine, chancen).")
            }
            residenceGroups.append(group)
        }
        let ageWalker = try required("age_groups", in: target, at: targetWalker)
        var ageGroups: [AgeGroup] = []
        for label in try ageWalker.strings() {
            guard let group = AgeGroup(label) else { throw ageWalker.fail("„\(label)“ ist keine Altersgruppe der Form 18-20.") }
            ageGroups.append(group)
        }
        // Every age of the target group must fall into exactly one age group.
        for age in minAge...maxAge where ageGroups.filter({ $0.lower <= age && age <= $0.upper }).count != 1 {
            throw ageWalker.fail("Das Alter \(age) liegt in keiner oder in mehreren Altersgruppen.")
        }

        let listsWalker = try required("codelists", in: root)
        let keys = ["nationalitaeten", "aufenthalt", "plz", "gliederung", "jobcenter_status", "schueler_status", "geschlecht"]
        // The report's label list is optional: without it the report shows the codes.
        let lists = try listsWalker.mapping(allowed: Set(keys + ["beschriftungen"]))
        var listPaths: [String: String] = [:]
        for key in keys { listPaths[key] = resolve(try required(key, in: lists, at: listsWalker).string()) }
        if let labels = lists["beschriftungen"] { listPaths["beschriftungen"] = resolve(try labels.string()) }
        var codeLists = try CodeLists(
            nationalities: listPaths["nationalitaeten"]!, residence: listPaths["aufenthalt"]!,
            postcodes: listPaths["plz"]!, courses: listPaths["gliederung"]!,
            jobcenterStatus: listPaths["jobcenter_status"]!, collegeStatus: listPaths["schueler_status"]!,
            sexes: listPaths["geschlecht"]!)
        let explicitDistrict = root["district_key"]
        let districtKey = try Pipeline.district(explicitDistrict, lists: &codeLists, listPath: listPaths["plz"]!)

        let labels = try ReportLabels.load(path: listPaths["beschriftungen"], codeLists: codeLists)
        var report = ReportSettings(programme: name, district: "")
        if let walker = root["report"] {
            let map = try walker.mapping(allowed: ["programme", "district"])
            report.programme = try map["programme"]?.string() ?? name
            report.district = try map["district"]?.string() ?? ""
        }

        let breakdownWalker = try required("nationality_breakdown", in: root)
        let breakdown = try breakdownWalker.strings()
        let knownISO = Set(codeLists.nationalities.values)
        for iso in breakdown where !knownISO.contains(iso) || iso == "unbekannt" {
            throw breakdownWalker.fail("„\(iso)“ ist kein ISO-Code der Nationalitäten-Codeliste.")
        }

        // The table's indicator families and the outputs, by their registered names.
        func names(_ key: String, default defaults: [String], known: Set<String>, what: String) throws(PipelineError) -> [String] {
            guard let walker = root[key] else { return defaults }
            let chosen = try walker.strings()
            for name in chosen where !known.contains(name) {
                throw walker.fail("Unbekannte \(what) „\(name)“ (bekannt: \(known.sorted().joined(separator: ", "))).")
            }
            guard !chosen.isEmpty else { throw walker.fail("Mindestens ein Eintrag ist nötig.") }
            return chosen
        }
        let families = try names("indicators", default: registry.defaultIndicators, known: Set(registry.indicatorFamilies.keys), what: "Indikatorfamilie")
            .map { registry.indicatorFamilies[$0]! }
        let sinks = try names("outputs", default: registry.defaultOutputs, known: Set(registry.sinks.keys), what: "Ausgabe")
            .map { registry.sinks[$0]! }

        var sources: [SourceSpec] = []
        let sourcesWalker = try required("sources", in: root)
        for walker in try sourcesWalker.sequence() {
            let spec = try parseSource(walker, file: file, registry: registry, resolve: resolve, listPaths: listPaths, listKeys: keys)
            if sources.contains(where: { $0.id == spec.id }) { throw walker.fail("Quelle „\(spec.id)“ ist doppelt.") }
            sources.append(spec)
        }
        guard !sources.isEmpty else { throw sourcesWalker.fail("Mindestens eine Quelle ist nötig.") }
        // A source's own postcode (or place) list belongs to the same district.
        for index in sources.indices {
            guard var lists = sources[index].codeLists, let path = sources[index].codeListOverrides["plz"] else { continue }
            let key = try Pipeline.district(explicitDistrict, lists: &lists, listPath: path)
            guard key == districtKey else {
                throw PipelineError(
                    file: path,
                    message: "Die Codeliste der Quelle „\(sources[index].id)“ nennt Gemeinden des Kreises \(key), die Pipeline den Kreis \(districtKey).")
            }
            sources[index].codeLists = lists
        }

        var pipeline = Pipeline(
            file: file, name: name, outputDirectory: outputDirectory, keyFile: keyFile,
            maxRejectShare: maxRejectShare, minCell: minCell, suppressionTimeLimit: suppressionTimeLimit, plausibility: plausibility,
            onFailure: onFailure,
            targetGroup: TargetGroupRules(minAge: minAge, maxAge: maxAge, residenceGroups: residenceGroups, ageGroups: ageGroups),
            nationalityBreakdown: breakdown, codeLists: codeLists, sources: sources, indicatorFamilies: families, sinks: sinks,
            configurationFiles: [file] + (keys + ["beschriftungen"]).compactMap { listPaths[$0] } + sources.flatMap { $0.codeListOverrides.values.sorted() },
            codeListPaths: Pipeline.hintPaths(listPaths, sources: sources), labels: labels, report: report, districtKey: districtKey)
        pipeline.linkage = linkage
        pipeline.linkageSettings = linkageSettings
        // The coordinator's decisions bind the persons: an edited list makes the quarter new work.
        if let decisions = linkageSettings.decisionsFile { pipeline.configurationFiles.append(decisions) }
        return pipeline
    }

    private static func parseSource(
        _ walker: YAMLWalker, file: String, registry: Registry, resolve: (String) -> String, listPaths: [String: String], listKeys: [String]
    ) throws(PipelineError) -> SourceSpec {
        let map = try walker.mapping(
            allowed: Set(["id", "role", "path", "format", "date_format", "fields", "optional", "expect", "codelists"]).union(registry.formats.keys))
        func need(_ key: String) throws(PipelineError) -> YAMLWalker {
            guard let value = map[key] else { throw walker.fail("Pflichtangabe „\(key)“ fehlt.") }
            return value
        }
        let id = try need("id").string()
        guard !id.isEmpty, id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            throw walker.fail("Quellen-ID „\(id)“: nur Buchstaben, Ziffern, _ und -.")
        }
        let roleText = try need("role").string()
        guard let role = registry.roles[roleText], let maker = registry.readerMakers[roleText] else {
            throw map["role"]!.fail("Unbekannte Rolle „\(roleText)“ (bekannt: \(registry.roles.keys.sorted().joined(separator: ", "))).")
        }
        let glob = resolve(try need("path").string())
        let formatText = try need("format").string()
        guard let formatType = registry.formats[formatText] else {
            throw map["format"]!.fail("Unbekanntes Format „\(formatText)“ (bekannt: \(registry.formats.keys.sorted().joined(separator: ", "))).")
        }
        for other in registry.formats.keys where other != formatText && map[other] != nil {
            throw map[other]!.fail("Optionen für „\(other)“, aber das Format ist „\(formatText)“.")
        }
        let dateText = try need("date_format").string()
        guard let dateFormat = DateFormat(dateText) else {
            throw map["date_format"]!.fail("Datumsformat „\(dateText)“ nicht verständlich (z. B. TT.MM.JJJJ oder JJJJ-MM-TT).")
        }
        var fields: [CanonicalField: String] = [:]
        var fieldLines: [CanonicalField: Int] = [:]
        let fieldsWalker = try need("fields")
        for (key, value, line) in try fieldsWalker.stringMapping() {
            guard let field = CanonicalField(rawValue: key) else {
                throw PipelineError(
                    file: file, line: line, message: "Unbekanntes Feld „\(key)“. Erlaubt: \(CanonicalField.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            fields[field] = value
            fieldLines[field] = line
        }
        for field in role.requiredFields.sorted(by: { $0.ordinal < $1.ordinal }) where fields[field] == nil {
            throw fieldsWalker.fail("Die Rolle \(roleText) braucht das Feld „\(field.rawValue)“.")
        }
        let format = try formatType.init(options: try formatOptions(map[formatText], name: formatText, file: file, at: walker), fields: fields)
        var optional: Set<CanonicalField> = []
        if let optionalWalker = map["optional"] {
            for key in try optionalWalker.strings() {
                guard let field = CanonicalField(rawValue: key), fields[field] != nil else {
                    throw optionalWalker.fail("„\(key)“ ist kein zugeordnetes Feld dieser Quelle.")
                }
                guard !role.requiredFields.contains(field) else {
                    throw optionalWalker.fail("„\(key)“ ist für die Rolle \(roleText) unverzichtbar.")
                }
                optional.insert(field)
            }
        }
        var expectation = DeliveryExpectation()
        if let expectWalker = map["expect"] {
            let expect = try expectWalker.mapping(allowed: ["files", "schools", "school_attribute"])
            if let value = expect["files"] {
                expectation.files = try value.int()
                guard expectation.files! >= 1 else { throw value.fail("Mindestens 1 Datei.") }
            }
            if let value = expect["schools"] {
                guard format is XMLFormat else { throw value.fail("Schulnummern gibt es nur bei XML-Quellen (Wurzelattribut der Schul-Exporte).") }
                expectation.schools = try value.strings()
            }
            if let value = expect["school_attribute"] { expectation.schoolAttribute = try value.string() }
        }
        var spec = SourceSpec(
            id: id, role: role, glob: glob, format: format, readerMaker: maker, dateFormat: dateFormat, fields: fields, optional: optional,
            fieldLines: fieldLines, pipelineFile: file, expectation: expectation)
        spec.formatLine = map[formatText]?.line
        // The source's own code lists replace the pipeline's of the same name for this source only.
        if let listsWalker = map["codelists"] {
            let lists = try listsWalker.mapping(allowed: Set(listKeys))
            var paths = listPaths
            for key in listKeys {
                guard let value = lists[key] else { continue }
                let path = resolve(try value.string())
                paths[key] = path
                spec.codeListOverrides[key] = path
            }
            spec.codeLists = try CodeLists(
                nationalities: paths["nationalitaeten"]!, residence: paths["aufenthalt"]!, postcodes: paths["plz"]!, courses: paths["gliederung"]!,
                jobcenterStatus: paths["jobcenter_status"]!, collegeStatus: paths["schueler_status"]!, sexes: paths["geschlecht"]!)
        }
        return spec
    }

    /// The district's key (issue 22): `district_key:` when the pipeline file states it (then only that
    /// district's postcodes count as in the district, so one list may span several), else the common
    /// 5-digit prefix of the list's AGS; a list that spans several districts needs it.
    static func district(_ walker: YAMLWalker?, lists: inout CodeLists, listPath: String) throws(PipelineError) -> String {
        let prefixes = Set(lists.municipalities.map { String($0.ags.prefix(5)) })
        if let walker {
            let key = try walker.string()
            guard key.count == 5, key.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw walker.fail("district_key „\(key)“: ein Kreisschlüssel hat 5 Ziffern, z. B. \"05978\" (in Anführungszeichen).")
            }
            guard prefixes.contains(key) else {
                throw walker.fail(
                    "district_key „\(key)“: keine Gemeinde der Postleitzahlen-Codeliste „\(listPath)“ liegt in diesem Kreis (dort: \(prefixes.sorted().joined(separator: ", ")))."
                )
            }
            lists.keep(district: key)
            return key
        }
        guard prefixes.count == 1, let key = prefixes.first, key.count == 5 else {
            throw PipelineError(
                file: listPath,
                message: prefixes.isEmpty
                    ? "Die Codeliste nennt keine Gemeinde: der Kreis ist nicht bestimmbar."
                    : "Die Codeliste nennt Gemeinden in mehreren Kreisen (\(prefixes.sorted().joined(separator: ", "))): bitte in der Pipeline-Datei den Kreis angeben, z. B. district_key: \"\(prefixes.sorted()[0])\"; Postleitzahlen anderer Kreise zählen dann als außerhalb."
            )
        }
        return key
    }

    /// The list to extend for an unknown value, as the summary and `unbekannte_werte.csv` name it:
    /// the pipeline's, and the sources' own where they name one ("a bzw. b (Quelle x)").
    static func hintPaths(_ listPaths: [String: String], sources: [SourceSpec]) -> [String: String] {
        var paths = listPaths
        for source in sources {
            for (key, path) in source.codeListOverrides.sorted(by: { $0.key < $1.key }) {
                paths[key] = (paths[key].map { "\($0) bzw. " } ?? "") + "\(path) (Quelle \(source.id))"
            }
        }
        return paths
    }

    /// The options of a format (`csv:`, `xml:`) as text values with their lines.
    private static func formatOptions(_ walker: YAMLWalker?, name: String, file: String, at source: YAMLWalker) throws(PipelineError) -> FormatOptions {
        guard let walker else { return FormatOptions(file: file, path: "\(source.path).\(name)", line: source.line, values: [:]) }
        var options = FormatOptions(file: file, path: walker.path, line: walker.line, values: [:])
        for (key, child) in try walker.mapping(allowed: nil) {
            if let text = child.node.scalar?.string {
                options.values[key] = (text, child.line)
            } else if child.node.sequence != nil {
                options.lists[key] = (try child.strings(), child.line)
            } else if let mapping = child.node.mapping {
                // Values per file pattern: a text or a list of texts each.
                var entries: [(pattern: String, values: [String])] = []
                for (pattern, value) in mapping {
                    guard let pattern = pattern.string else { throw child.fail("Schlüssel müssen Texte (Dateimuster) sein.") }
                    let entry = YAMLWalker(file: file, node: value, path: "\(child.path).\(pattern)")
                    entries.append((pattern, value.sequence != nil ? try entry.strings() : [try entry.string()]))
                }
                options.patterns[key] = (entries, child.line)
            } else {
                throw child.fail("Hier wird ein Text, eine Liste oder eine Zuordnung erwartet.")
            }
        }
        return options
    }

    /// A copy with the CLI's overrides applied (SPEC 8).
    public func overriding(sources overrides: [String: String], outputDirectory: String?) throws(KlapptError) -> Pipeline {
        var copy = self
        for (id, glob) in overrides {
            guard let index = copy.sources.firstIndex(where: { $0.id == id }) else {
                throw .usage("--source \(id)=…: die Pipeline kennt keine Quelle „\(id)“ (bekannt: \(sources.map(\.id).joined(separator: ", "))).")
            }
            copy.sources[index].glob = Pipeline.absolute(glob)
        }
        if let outputDirectory { copy.outputDirectory = Pipeline.absolute(outputDirectory) }
        return copy
    }

    /// The user's home folder (`~` in paths of the pipeline file).
    static var home: String { ProcessInfo.processInfo.environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory() }

    /// A path relative to the working directory made absolute.
    public static func absolute(_ path: String) -> String {
        if path == "~" || path.hasPrefix("~/") { return home + path.dropFirst() }
        return path.hasPrefix("/") ? path : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(path).standardizedFileURL.path
    }
}

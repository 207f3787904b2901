import Foundation
import KlapptFormats
import KlapptKit
import KlapptTestSupport
import Testing

/// A small quarter whose every figure was worked out by hand from SPEC 2-5 (see the comments).
@Suite struct HandBuiltQuarterTests {
    // Reference date 2026-09-30. Persons:
    // P1  JC Al-Hassan/Mohammed *2000-05-15 (26) Duldung, Unna, ALO; BK swapped "Muhammad"/"Hassan",
    //     A01 entered 2026-08-01: linked; ausbildung beats arbeitsuchend; eintritt_ausbildung.
    // P2  JC Khalil/Hiba *2005-01-20 (21) w, AFG, schutz, no postcode (unbekannt), SVB: beschaeftigung.
    // P3  JC Tesfay/Yusuf *2008-09-30 (18 today) m, ERI, Gestattung, Lünen, MAS: massnahme.
    // P4  JC Tesfai/Yousef *2008-10-01 (17): not in the target group.
    // P5  JC Okafor/Amina *1999-12-12 (26) w, NGA, unknown text, Kamen, ASU; BK "AE § 104c", status 8
    //     left 2026-07-15: residence chancen from BK; arbeitsuchend; abschluss.
    // P6  JC Yilmaz/Ali, Niederlassungserlaubnis (andere): not in the target group.
    // P7  JC Rahimi/Reza, Dortmund postcode: outside the district.
    // P8  BK only Kovalenko/Olena *2004-04-04 (22) w, UKR, AE § 24, Schwerte: A14 status 9 left
    //     2026-08-31 (abbruch) and A17 current since 2026-09-01 (schule, no training entry).
    // P9  JC Haddad K9: ALO in the main file, AUS since 2026-09-15 in a later delivery (Stand
    //     05.10.2026) which wins: ausbildung + eintritt_ausbildung. *2001-10-10 (24), schutz, Werne.
    // P10 JC Nazari K10 twice in the main file: SON, then SVB (last wins): beschaeftigung. *2002-02-02
    //     (24) w, AFG, Duldung, Bergkamen.
    // Plus an exact duplicate of P3's row, one JC row with an ISO birth date, one BK record with an
    // unknown course.
    let mainRows = [
        "Kundennummer;Nachname;Vorname;Geburtsdatum;Geschlecht;Staatsangehoerigkeit;Aufenthaltsstatus;PLZ;Wohnort;Status;Status_seit;Massnahme;Bemerkung;Stand",
        "K1;Al-Hassan;Mohammed;15.05.2000;M;475;Duldung;59423;Unna;ALO;01.02.2026;;\"Termin; bitte \"\"dringend\"\"\r\nzurückrufen\";30.09.2026",
        "K2;Khalil;Hiba;20.01.2005;w;423;AE § 25 Abs. 2;;;SVB;10.07.2026;;;30.09.2026",
        "K3;Tesfay;Yusuf;30.09.2008;männlich;224;Gestattung;44536;Lünen;MAS;01.01.2026;Integrationskurs;;30.09.2026",
        "K4;Tesfai;Yousef;01.10.2008;M;224;Gestattung;44536;Lünen;ALO;01.01.2026;;;30.09.2026",
        "K5;Okafor;Amina;12.12.1999;W;232;Fiktionsbescheinigung;59174;Kamen;asu;01.03.2026;;;30.09.2026",
        "K6;Yilmaz;Ali;05.05.2003;D;163;Niederlassungserlaubnis;59174;Kamen;ALO;01.03.2026;;;30.09.2026",
        "K7;Rahimi;Reza;01.01.2002;M;439;AE § 24;44135;Dortmund;ALO;01.03.2026;;;30.09.2026",
        "K9;Haddad;Omar;10.10.2001;M;475;AE § 25a;59368;Werne;ALO;01.03.2026;;;30.09.2026",
        "K10;Nazari;Fatima;02.02.2002;W;423;Duldung;59192;Bergkamen;SON;01.03.2025;;;30.09.2026",
        "K3;Tesfay;Yusuf;30.09.2008;männlich;224;Gestattung;44536;Lünen;MAS;01.01.2026;Integrationskurs;;30.09.2026",
        "K10;Nazari;Fatima;02.02.2002;W;423;Duldung;59192;Bergkamen;SVB;01.05.2026;;;30.09.2026",
        "K12;Fehler;Zeile;2004-03-17;M;475;Duldung;59423;Unna;ALO;01.02.2026;;;30.09.2026",
    ]
    let laterRows = [
        "Stand;Vorname;Nachname;Kundennummer;Geburtsdatum;Geschlecht;Staatsangehoerigkeit;Aufenthaltsstatus;PLZ;Wohnort;Status;Status_seit;Massnahme;Bemerkung",
        "05.10.2026;Umar;Haddad;K9;10.10.2001;M;475;AE § 25a;59368;Werne;AUS;15.09.2026;;",
    ]
    let college = """
        <?xml version="1.0" encoding="UTF-8"?>
        <Schuelerdaten xmlns="urn:klappt:berufskolleg:1" Schulnummer="170011" Stand="2026-09-30">
          <Schueler Id="S1"><Name>Muhammad</Name><Vorname>Hassan</Vorname><Geburtsdatum>2000-05-15</Geburtsdatum><Geschlecht>3</Geschlecht>
            <StaatKrz>475</StaatKrz><PLZ>59423</PLZ><Status>2</Status><Gliederung>A01</Gliederung><Aufnahmedatum>2026-08-01</Aufnahmedatum><Entlassdatum/></Schueler>
          <Schueler Id="S5"><Name><![CDATA[Okafor]]></Name><Vorname>Amina</Vorname><Geburtsdatum>1999-12-12</Geburtsdatum><Geschlecht>4</Geschlecht>
            <StaatKrz>232</StaatKrz><PLZ>59174</PLZ><Status>8</Status><Gliederung>A12</Gliederung><Aufnahmedatum>2025-08-01</Aufnahmedatum>
            <Entlassdatum>2026-07-15</Entlassdatum><Aufenthaltsstatus>AE § 104c</Aufenthaltsstatus></Schueler>
          <Schueler Id="S8"><Name>Kovalenko</Name><Vorname>Olena</Vorname><Geburtsdatum>2004-04-04</Geburtsdatum><Geschlecht>4</Geschlecht>
            <StaatKrz>166</StaatKrz><PLZ>58239</PLZ><Status>9</Status><Gliederung>A14</Gliederung><Aufnahmedatum>2024-08-01</Aufnahmedatum>
            <Entlassdatum>2026-08-31</Entlassdatum><Aufenthaltsstatus>AE &#167; 24</Aufenthaltsstatus></Schueler>
          <Schueler Id="S9"><Name>Kowalenko</Name><Vorname>Olena</Vorname><Geburtsdatum>2004-04-04</Geburtsdatum><Geschlecht>4</Geschlecht>
            <StaatKrz>166</StaatKrz><PLZ>58239</PLZ><Status>2</Status><Gliederung>A17</Gliederung><Aufnahmedatum>2026-09-01</Aufnahmedatum>
            <Entlassdatum></Entlassdatum></Schueler>
          <Schueler Id="S99"><Name>Fehler</Name><Vorname>Kurs</Vorname><Geburtsdatum>2004-04-04</Geburtsdatum><Geschlecht>4</Geschlecht>
            <StaatKrz>166</StaatKrz><PLZ>58239</PLZ><Status>2</Status><Gliederung>Z99</Gliederung><Aufnahmedatum>2026-09-01</Aufnahmedatum>
            <Entlassdatum></Entlassdatum></Schueler>
        </Schuelerdaten>
        """

    func writeInputs() -> String {
        let directory = makeTemporaryDirectory("klappt-hand")
        try! FileManager.default.createDirectory(atPath: "\(directory)/jc", withIntermediateDirectories: true)
        try! FileManager.default.createDirectory(atPath: "\(directory)/bk", withIntermediateDirectories: true)
        let main = Windows1252.encode(mainRows.joined(separator: "\r\n") + "\r\n")!
        _ = FileManager.default.createFile(atPath: "\(directory)/jc/a_main.csv", contents: Data(main))
        _ = FileManager.default.createFile(
            atPath: "\(directory)/jc/b_later.csv", contents: Data([0xEF, 0xBB, 0xBF] + Array(laterRows.joined(separator: "\r\n").utf8)))
        _ = FileManager.default.createFile(atPath: "\(directory)/bk/schule.xml", contents: Data(college.utf8))
        return directory
    }

    func run(_ directory: String, output: String) throws -> RunOutcome {
        try runPipeline(jobcenter: "\(directory)/jc/*.csv", berufskolleg: "\(directory)/bk/*.xml", output: output) { $0.maxRejectShare = 0.25 }
    }

    @Test func everyFigureAsWorkedOutByHand() throws {
        let directory = writeInputs()
        let outcome = try run(directory, output: "\(directory)/out")
        let table = try #require(outcome.table?.table)
        func value(_ indicator: Indicator, _ dimension: String = "insgesamt", _ category: String = "insgesamt") -> Int {
            table[indicator, dimension, category]
        }
        #expect(value(.personen) == 7)
        let activities: [Int] = [value(.ausbildung), value(.beschaeftigung), value(.schule), value(.massnahme), value(.arbeitsuchend), value(.sonstige)]
        #expect(activities == [2, 2, 1, 1, 1, 0])
        let flows: [Int] = [value(.eintrittAusbildung), value(.abschluss), value(.abbruch)]
        #expect(flows == [2, 1, 1])
        #expect(value(.personen, "gemeinde", "05978036") == 1)
        #expect(value(.personen, "gemeinde", "unbekannt") == 1)
        #expect(value(.personen, "gemeinde", "05978024") == 1)
        #expect(value(.personen, "gemeinde", "05978016") == 0)
        #expect(value(.personen, "geschlecht", "m") == 3)
        #expect(value(.personen, "geschlecht", "w") == 4)
        let ages: [Int] = ["18-20", "21-23", "24-26"].map { value(.personen, "altersgruppe", $0) }
        #expect(ages == [1, 2, 4])
        let residence: [Int] = ["gestattung", "duldung", "schutz", "ukraine", "chancen"].map { value(.personen, "aufenthalt", $0) }
        #expect(residence == [1, 2, 2, 1, 1])
        let nationalities: [Int] = ["SYR", "AFG", "ERI", "NGA", "UKR", "TUR", "sonstige", "unbekannt"].map { value(.personen, "staatsangehoerigkeit", $0) }
        #expect(nationalities == [2, 2, 1, 1, 1, 0, 0, 0])
        #expect(value(.abschluss, "aufenthalt", "chancen") == 1)
        #expect(value(.abbruch, "gemeinde", "05978028") == 1)
        #expect(value(.eintrittAusbildung, "altersgruppe", "24-26") == 2)

        #expect(
            outcome.filter == TargetGroupCounts(persons: 10, ageInRange: 9, refugeeResidence: 8, inDistrictOrUnknown: 7, targetGroup: 7, withCurrentRecord: 7))
        #expect(outcome.linkedPersons == 2)
        #expect(outcome.personsBySource == ["jobcenter": 9, "berufskolleg": 3])
        #expect(outcome.warnings["aufenthalt_unbekannt"] == ["Fiktionsbescheinigung": 1])

        let main = try #require(outcome.files.first { $0.file.hasSuffix("a_main.csv") })
        let mainCounts: [Int] = [main.rowsRead, main.accepted, main.rejected, main.duplicates, main.superseded]
        #expect(mainCounts == [12, 10, 1, 1, 2])
        #expect(main.reasons == ["geburtsdatum_ungueltig": 1])
        let later = try #require(outcome.files.first { $0.file.hasSuffix("b_later.csv") })
        let laterCounts: [Int] = [later.rowsRead, later.accepted, later.rejected, later.duplicates, later.superseded]
        #expect(laterCounts == [1, 1, 0, 0, 0])
        let school = try #require(outcome.files.first { $0.file.hasSuffix("schule.xml") })
        let schoolCounts: [Int] = [school.rowsRead, school.accepted, school.rejected, school.duplicates]
        #expect(schoolCounts == [5, 4, 1, 0])
        #expect(
            outcome.rejections.map { "\($0.line) \($0.reason.rawValue) \($0.field ?? "")" }.sorted() == [
                "14 geburtsdatum_ungueltig Geburtsdatum", "14 gliederung_unbekannt Gliederung",
            ])
    }

    // The register of the immigration office for the same quarter (SPEC 2.5, 4.2 v2), UTF-8 with LF:
    // R1  P1 "Aufenthaltserlaubnis (§ 25 Abs. 2 AufenthG)": the register's schutz beats the job
    //     centre's Duldung (register first).
    // R2  P5 "Fiktionsbescheinigung (§ 81 AufenthG)": listed as unbekannt, so the next known value
    //     counts: the job centre's text is unknown too, the college's "AE § 104c" gives chancen.
    // R3  P6 "Duldung (§ 60a AufenthG)", divers: the job centre said Niederlassungserlaubnis (andere);
    //     now duldung, and P6 (23, Kamen, ALO) joins the target group as arbeitsuchend.
    // R4  P11 Sahin/Fatma *2004-06-01 (22) w SYR Gestattung Bergkamen: known to the register only:
    //     zielgruppe, ohne_aktivitaet. R9 is an exact duplicate of R4.
    // R5  P12 Warsame/Omar Ali *2007-03-03 (19) m SOM Duldung, no postcode (unbekannt): register only.
    // R6  P7 "Aufenthaltserlaubnis (§ 24 AufenthG)", postcode 59423 Unna: the job centre's Dortmund
    //     address comes second, so P7 (24, ukraine, ALO) is in the district and the target group.
    // R7  P2 twice under one AZR number: Stand 30.09.2026 schutz and Stand 01.07.2026 Duldung (first
    //     in the file): the newer Stand wins; the register's postcode 59174 gives Kamen (the job
    //     centre had none).
    // R8  an empty AZR number: feld_fehlt.
    // R10 P3 as "Tesfai"/"Yusuf Ali", sex X: not known, so the job centre's männlich counts.
    let registerRows = [
        "AZR_Nummer;Familienname;Vornamen;Geburtsdatum;Geschlecht;Staatsangehoerigkeit;Aufenthaltsstatus;PLZ;Wohnort;Zuzug;Stand",
        "000000000001;Al Hassan;Mohammad;15.05.2000;männlich;475;Aufenthaltserlaubnis (§ 25 Abs. 2 AufenthG);59423;Unna;01.03.2016;30.09.2026",
        "000000000005;Okafor;Amina;12.12.1999;weiblich;232;Fiktionsbescheinigung (§ 81 AufenthG);59174;Kamen;;30.09.2026",
        "000000000006;Yilmaz;Ali;05.05.2003;divers;163;Duldung (§ 60a AufenthG);59174;Kamen;irgendwann;30.09.2026",
        "000000000011;Sahin;Fatma;01.06.2004;weiblich;475;Aufenthaltsgestattung (§ 55 AsylG);59192;Bergkamen;;30.09.2026",
        "000000000012;Warsame;Omar Ali;03.03.2007;MÄNNLICH;273;Duldung (§ 60a AufenthG);;;;30.09.2026",
        "000000000007;Rahimi;Reza;01.01.2002;M;439;Aufenthaltserlaubnis (§ 24 AufenthG);59423;Unna;;30.09.2026",
        "000000000002;Khalil;Hiba;20.01.2005;W;423;Duldung (§ 60a AufenthG);59174;Kamen;;01.07.2026",
        "000000000002;Khalil;Hiba;20.01.2005;W;423;Aufenthaltserlaubnis (§ 25 Abs. 2 AufenthG);59174;Kamen;;30.09.2026",
        ";Fehler;Ohne Nummer;01.01.2000;W;475;Duldung (§ 60a AufenthG);59423;Unna;;30.09.2026",
        "000000000011;Sahin;Fatma;01.06.2004;weiblich;475;Aufenthaltsgestattung (§ 55 AsylG);59192;Bergkamen;;30.09.2026",
        "000000000003;Tesfai;Yusuf Ali;30.09.2008;X;224;Aufenthaltsgestattung (§ 55 AsylG);44536;Lünen;;30.09.2026",
    ]

    @Test func theRegisterAddsPersonsAndComesFirstForAttributes() throws {
        let directory = writeInputs()
        try FileManager.default.createDirectory(atPath: "\(directory)/abh", withIntermediateDirectories: true)
        try Data((registerRows.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: "\(directory)/abh/register.csv"))
        let outcome = try runPipeline(
            jobcenter: "\(directory)/jc/*.csv", berufskolleg: "\(directory)/bk/*.xml", register: "\(directory)/abh/*.csv", output: "\(directory)/out"
        ) { $0.maxRejectShare = 0.25 }
        let table = try #require(outcome.table?.table)
        func row(_ indicator: Indicator, _ dimension: String, _ categories: [String]) -> [Int] {
            categories.map { table[indicator, dimension, $0] }
        }
        let total = ["insgesamt"]
        #expect(row(.zielgruppe, "insgesamt", total) == [11])
        #expect(row(.personen, "insgesamt", total) == [9])
        let activities: [Int] = Indicator.activities.map { table[$0, "insgesamt", "insgesamt"] }
        #expect(activities == [2, 2, 1, 1, 3, 0])
        #expect(row(.ohneAktivitaet, "insgesamt", total) == [2])
        let flows: [Int] = [.eintrittAusbildung, .abschluss, .abbruch].map { (indicator: Indicator) in table[indicator, "insgesamt", "insgesamt"] }
        #expect(flows == [2, 1, 1])
        let municipalities = ["05978004", "05978020", "05978024", "05978028", "05978036", "05978040", "unbekannt", "05978016"]
        #expect(row(.zielgruppe, "gemeinde", municipalities) == [2, 3, 1, 1, 2, 1, 1, 0])
        #expect(row(.zielgruppe, "geschlecht", ["m", "w", "d", "x"]) == [5, 5, 1, 0])
        #expect(row(.zielgruppe, "altersgruppe", ["18-20", "21-23", "24-26"]) == [2, 4, 5])
        #expect(row(.zielgruppe, "aufenthalt", ["gestattung", "duldung", "schutz", "ukraine", "chancen"]) == [2, 3, 3, 2, 1])
        #expect(
            row(.zielgruppe, "staatsangehoerigkeit", ["SYR", "AFG", "ERI", "NGA", "TUR", "IRN", "UKR", "SOM", "sonstige", "unbekannt"]) == [
                3, 2, 1, 1, 1, 1, 1, 1, 0, 0,
            ])
        // The two known to the register only.
        #expect(row(.ohneAktivitaet, "gemeinde", ["05978004", "unbekannt"]) == [1, 1])
        #expect(row(.ohneAktivitaet, "geschlecht", ["m", "w"]) == [1, 1])
        #expect(row(.ohneAktivitaet, "altersgruppe", ["18-20", "21-23", "24-26"]) == [1, 1, 0])
        #expect(row(.ohneAktivitaet, "aufenthalt", ["gestattung", "duldung"]) == [1, 1])
        #expect(row(.ohneAktivitaet, "staatsangehoerigkeit", ["SYR", "SOM"]) == [1, 1])
        // P6 (divers, duldung, Kamen) and P7 (ukraine, Unna) joined as arbeitsuchend; P1 is schutz now.
        #expect(row(.arbeitsuchend, "geschlecht", ["m", "w", "d"]) == [1, 1, 1])
        #expect(row(.arbeitsuchend, "aufenthalt", ["duldung", "ukraine", "chancen"]) == [1, 1, 1])
        #expect(row(.ausbildung, "aufenthalt", ["schutz", "duldung"]) == [2, 0])
        #expect(row(.beschaeftigung, "gemeinde", ["05978020", "unbekannt"]) == [1, 0])

        let funnel = TargetGroupCounts(persons: 12, ageInRange: 11, refugeeResidence: 11, inDistrictOrUnknown: 11, targetGroup: 11, withCurrentRecord: 9)
        #expect(outcome.filter == funnel)
        #expect(outcome.personsBySource == ["auslaenderbehoerde": 8, "jobcenter": 9, "berufskolleg": 3])
        #expect(outcome.linkedPersons == 6)  // P1, P5 (three sources), P2, P3, P6, P7
        // The register's provisional document is listed (no warning); the job centre's text is not.
        #expect(outcome.warnings["aufenthalt_unbekannt"] == ["Fiktionsbescheinigung": 1])
        let register = try #require(outcome.files.first { $0.file.hasSuffix("register.csv") })
        let counts: [Int] = [register.rowsRead, register.accepted, register.rejected, register.duplicates, register.superseded]
        #expect(counts == [11, 9, 1, 1, 1])
        #expect(register.reasons == ["feld_fehlt": 1])
        #expect(outcome.rejections.contains { $0.file.hasSuffix("register.csv") && $0.line == 10 && $0.reason == .fieldMissing && $0.field == "AZR_Nummer" })
        // No AZR number anywhere but the quarantine.
        for file in filesBelow("\(directory)/out") where !file.contains("/quarantaene/") {
            let text = String(decoding: try #require(FileManager.default.contents(atPath: file)), as: UTF8.self)
            #expect(!text.contains("000000000011") && !text.contains("Warsame"), "\(file)")
        }
    }

    @Test func publishedTableSuppressesSmallCellsAndMatchesTheStore() throws {
        let directory = writeInputs()
        let output = "\(directory)/out"
        _ = try run(directory, output: output)
        let bytes = try #require(FileManager.default.contents(atPath: "\(output)/indikatoren_2026-Q3.csv"))
        #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let text = String(decoding: bytes.dropFirst(3), as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        #expect(lines[0] == "zeitraum;indikator;dimension;auspraegung;wert")
        #expect(lines.contains("2026-Q3;personen;insgesamt;insgesamt;7"))
        #expect(lines.contains("2026-Q3;ausbildung;insgesamt;insgesamt;*"))
        #expect(lines.contains("2026-Q3;sonstige;insgesamt;insgesamt;0"))
        #expect(lines.contains("2026-Q3;personen;geschlecht;w;4"))
        #expect(lines.contains("2026-Q3;personen;gemeinde;05978036;*"))
        // 10 indicators x (1 + 11 + 4 + 3 + 5 + 12) categories, plus header and the empty string after the last CRLF.
        #expect(lines.count == 12 * 36 + 2)
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
    }
}

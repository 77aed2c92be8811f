import ProbityCore
import ProbityLanguage
import Testing

@testable import ProbityEngine

/// The frame the kernels run in: what `base()` clears, and the byte-level answer of
/// `blank` on a field.
@Suite("Frame and field predicates")
struct FrameTests {
  /// One part of a rule's context set, as the run sets it before a condition.
  enum Part: String, CaseIterable, CustomTestStringConvertible {
    case aggregates, lentAggregates, window, deadline
    var testDescription: String { rawValue }

    func set(on frame: Frame) {
      switch self {
      case .aggregates: frame.aggregates.append(.money(Money(units: 5, currency: .usd)))
      case .lentAggregates:
        let units: [Int64] = [500, Int64.min + 1]
        units.withUnsafeBufferPointer {
          frame.lendAggregates($0.baseAddress!, count: 2, currency: .usd)
        }
      case .window: frame.window = .string("G2024")
      case .deadline: frame.deadline = .date(CivilDate(year: 2024, month: 3, day: 1)!)
      }
    }
  }

  static func isEmpty(_ frame: Frame) -> Bool {
    frame.aggregates.isEmpty && frame.lentCount == 0 && frame.aggregate(0).isMissing
      && frame.window.isMissing && frame.deadline.isMissing
  }

  @Test(
    "base() clears whichever part of a rule's context was set, each time", arguments: Part.allCases)
  func baseClears(_ part: Part) {
    let frame = Frame(slots: 1, keySets: 1, classes: 1, memos: 0)
    // On a fresh frame, and again after a clear: `base()` must not take the context
    // for cleared because it cleared it once.
    for round in 0..<3 {
      frame.base()
      #expect(FrameTests.isEmpty(frame), "round \(round), before")
      part.set(on: frame)
      #expect(!FrameTests.isEmpty(frame), "round \(round), set")
      frame.base()
      #expect(FrameTests.isEmpty(frame), "round \(round), after")
    }
  }

  @Test("base() clears every part when all were set, after parts set one by one")
  func baseClearsAll() {
    let frame = Frame(slots: 1, keySets: 1, classes: 1, memos: 0)
    Part.window.set(on: frame)
    frame.base()
    for part in Part.allCases { part.set(on: frame) }
    frame.base()
    #expect(FrameTests.isEmpty(frame))
  }

  /// Texts against `Character.isWhitespace`: short ones (held in the
  /// string itself) and long ones (on the heap), every ASCII white space, bytes beyond
  /// ASCII.
  static let texts: [String] = [
    "", " ", "\t", "\n", "\u{0B}", "\u{0C}", "\r", " \t\r\n ", "a", " a", "a ",
    "Acme Corp", "\u{1F}", "\u{7F}", String(repeating: " ", count: 40),
    String(repeating: " ", count: 40) + "x", "DONOR2652, PAT Q and more text",
    "\u{00A0}", " \u{2003} ", "é", " é", "\u{0085}",
  ]

  /// (`Semantics.isBlank` answers through it: the reference is `Character.isWhitespace`.)
  @Test("blank on a field's bytes answers as Character.isWhitespace", arguments: texts)
  func blankASCII(_ text: String) {
    let answer = Semantics.isBlankASCII(text)
    if let answer {
      #expect(answer == text.allSatisfy(\.isWhitespace))
      #expect(text.utf8.allSatisfy { $0 < 0x80 })
    } else {
      // Only a text with a byte beyond ASCII is handed on.
      #expect(text.utf8.contains { $0 >= 0x80 })
    }
  }

  /// Texts and prefixes against `String.hasPrefix`: ASCII, a carriage return and line
  /// feed (one character), marks that join the character before them, characters equal
  /// in Unicode to ASCII ones (the Kelvin sign and K, the Greek question mark and `;`).
  static let prefixCases: [(String, String)] = {
    let texts = [
      "", "O", "O2024", "P2024", "o2024", "O\u{0301}2024", "\u{212A}1", "K1", "\u{037E}x", ";x",
      "SA11AI", "SA1", "a\r\nb", "a\rb", "Oé", "OE\u{0301}", String(repeating: "O", count: 40),
    ]
    let prefixes = ["", "O", "K", ";", "SA11", "a\r", "a", "OE", String(repeating: "O", count: 20)]
    return texts.flatMap { text in prefixes.map { (text, $0) } }
  }()

  @Test("starts_with on a field's bytes answers as hasPrefix", arguments: prefixCases)
  func plainPrefix(_ text: String, _ prefix: String) {
    guard let bytes = KernelCompiler.plainPrefix(prefix) else {
      // Only a prefix with a carriage return or a byte beyond ASCII is refused.
      #expect(prefix.utf8.contains { $0 >= 0x80 || $0 == 0x0D })
      return
    }
    if let answer = KernelCompiler.hasPlainPrefix(text, bytes) {
      #expect(answer == text.hasPrefix(prefix))
    } else {
      // Handed on only for a text with a byte beyond ASCII where the answer is decided.
      #expect(text.utf8.prefix(bytes.count + 1).contains { $0 >= 0x80 })
    }
  }
}

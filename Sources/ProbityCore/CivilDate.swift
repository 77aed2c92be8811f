/// A calendar date with no time and no time zone, as filings and statutes use them.
public struct CivilDate: Hashable, Comparable, Sendable, BitwiseCopyable,
  CustomStringConvertible
{
  /// year << 9 | month << 5 | day: four bytes, ordered as the dates are. Small, so that a
  /// `Value` holding a date (or any other value) fits in three words.
  private let packed: UInt32

  public var year: Int { Int(packed >> 9) }
  public var month: Int { Int(packed >> 5 & 0xF) }
  public var day: Int { Int(packed & 0x1F) }

  /// Creates a date, or nil when the day does not exist (2024-02-30, 2023-02-29).
  public init?(year: Int, month: Int, day: Int) {
    guard (1...9999).contains(year), (1...12).contains(month), day >= 1,
      day <= CivilDate.daysInMonth(year: year, month: month)
    else { return nil }
    packed = UInt32(year) << 9 | UInt32(month) << 5 | UInt32(day)
  }

  /// The date as four bytes, ordered as the dates are and never 0: for tables that keep
  /// a date per entry (0 and other values that are no date can mark what they need).
  public var bits: UInt32 { packed }

  /// The date of `bits`, or nil when they are no date's.
  public init?(bits: UInt32) {
    guard
      let date = CivilDate(
        year: Int(bits >> 9), month: Int(bits >> 5 & 0xF), day: Int(bits & 0x1F)),
      date.packed == bits
    else { return nil }
    self = date
  }

  public static func isLeapYear(_ year: Int) -> Bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
  }

  public static func daysInMonth(year: Int, month: Int) -> Int {
    switch month {
    case 2: return isLeapYear(year) ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }

  /// Days since 1970-01-01 (negative before it), by the proleptic Gregorian calendar.
  public var dayNumber: Int {
    // Howard Hinnant's days_from_civil.
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (month + 9) % 12
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146097 + doe - 719468
  }

  /// The date `dayNumber` days after 1970-01-01.
  public init?(dayNumber z0: Int) {
    let z = z0 + 719468
    let era = (z >= 0 ? z : z - 146096) / 146097
    let doe = z - era * 146097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    self.init(year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d)
  }

  public func adding(days: Int) -> CivilDate? { CivilDate(dayNumber: dayNumber + days) }

  public static func < (a: CivilDate, b: CivilDate) -> Bool { a.packed < b.packed }

  /// ISO 8601: `2024-07-14`.
  public var description: String {
    // Ten bytes written in place (a year is of 1 to 9999: four digits, padded), without
    // an interpolation's strings: reports write a date or more per finding.
    String(unsafeUninitializedCapacity: 10) { buffer in
      func put(_ value: Int, _ width: Int, at start: Int) {
        var rest = value
        for offset in (0..<width).reversed() {
          buffer[start + offset] = UInt8(ascii: "0") + UInt8(rest % 10)
          rest /= 10
        }
      }
      put(year, 4, at: 0)
      buffer[4] = UInt8(ascii: "-")
      put(month, 2, at: 5)
      buffer[7] = UInt8(ascii: "-")
      put(day, 2, at: 8)
      return 10
    }
  }
}

/// The date layouts found in filings.
public enum DateFormat: String, CaseIterable, Sendable {
  case isoDate = "yyyy-mm-dd"
  case compact = "yyyymmdd"
  case usSlashes = "mm/dd/yyyy"
  case ukSlashes = "dd/mm/yyyy"
  case usCompact = "mmddyyyy"

  /// Parses `text` in this layout; leading and trailing blanks are ignored. For the
  /// slash layouts, one-digit days and months (`7/4/2024`) are accepted.
  public func parse(_ text: Substring) -> Result<CivilDate, DateParseError> {
    var s = text.drop(while: { $0 == " " || $0 == "\t" })
    while let last = s.last, last == " " || last == "\t" { s = s.dropLast() }
    if s.isEmpty { return .failure(.empty) }
    let numbers: [Int]
    switch self {
    case .isoDate:
      numbers = DateFormat.fields(s, separator: "-", widths: [4, 2, 2], flexible: false)
    case .usSlashes, .ukSlashes:
      numbers = DateFormat.fields(s, separator: "/", widths: [2, 2, 4], flexible: true)
    case .compact:
      numbers = DateFormat.fixed(s, widths: [4, 2, 2])
    case .usCompact:
      numbers = DateFormat.fixed(s, widths: [2, 2, 4])
    }
    guard numbers.count == 3 else { return .failure(.layout(self)) }
    let (y, m, d): (Int, Int, Int)
    switch self {
    case .isoDate, .compact: (y, m, d) = (numbers[0], numbers[1], numbers[2])
    case .usSlashes, .usCompact: (y, m, d) = (numbers[2], numbers[0], numbers[1])
    case .ukSlashes: (y, m, d) = (numbers[2], numbers[1], numbers[0])
    }
    guard let date = CivilDate(year: y, month: m, day: d) else {
      return .failure(.noSuchDay(year: y, month: m, day: d))
    }
    return .success(date)
  }

  private static func digits(_ s: Substring) -> Int? {
    guard !s.isEmpty, s.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
    return Int(s)
  }

  private static func fields(_ s: Substring, separator: Character, widths: [Int], flexible: Bool)
    -> [Int]
  {
    let parts = s.split(separator: separator, omittingEmptySubsequences: false)
    guard parts.count == widths.count else { return [] }
    var result: [Int] = []
    for (part, width) in zip(parts, widths) {
      let okWidth = flexible && width == 2 ? (1...2).contains(part.count) : part.count == width
      guard okWidth, let n = digits(part) else { return [] }
      result.append(n)
    }
    return result
  }

  private static func fixed(_ s: Substring, widths: [Int]) -> [Int] {
    guard s.count == widths.reduce(0, +) else { return [] }
    var result: [Int] = []
    var rest = s
    for width in widths {
      guard let n = digits(rest.prefix(width)) else { return [] }
      result.append(n)
      rest = rest.dropFirst(width)
    }
    return result
  }
}

public enum DateParseError: Error, Equatable, Sendable, CustomStringConvertible {
  case empty
  case layout(DateFormat)
  case noSuchDay(year: Int, month: Int, day: Int)

  public var description: String {
    switch self {
    case .empty: return "empty date"
    case .layout(let format): return "not a date in the layout \(format.rawValue)"
    case .noSuchDay(let y, let m, let d): return "no such day: year \(y), month \(m), day \(d)"
    }
  }
}

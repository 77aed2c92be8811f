/// A currency, identified by its ISO 4217 code: three ASCII letters.
public struct Currency: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
  /// The code's three uppercase letters, one byte each, the first in the low byte. Held
  /// as a number rather than a `String`, so that a `Money` is two words and a `Value`
  /// holding one is copied without reference counting.
  private let letters: UInt32

  /// The code (`USD`), or nil when `code` is not three ASCII letters. Case is ignored.
  public init?(code: String) {
    let bytes = Array(code.utf8)
    guard bytes.count == 3, bytes.allSatisfy({ (0x41...0x5A).contains($0 & 0xDF) }) else {
      return nil
    }
    self.init(uppercase: bytes.map { $0 & 0xDF })
  }

  private init(uppercase bytes: [UInt8]) {
    letters = UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16
  }

  /// The letters as one number (see `init?(bits:)`), to store a currency compactly.
  public var bits: UInt32 { letters }

  /// The currency of `bits`, or nil when they are not three uppercase ASCII letters.
  public init?(bits: UInt32) {
    let bytes = [0, 8, 16].map { UInt8(truncatingIfNeeded: bits >> $0) }
    guard bits >> 24 == 0, bytes.allSatisfy({ (0x41...0x5A).contains($0) }) else { return nil }
    self.init(uppercase: bytes)
  }

  public var code: String {
    // Three bytes written in place (made through an array of them, a code cost some 600
    // instructions: the JSON report writes one with every amount).
    String(unsafeUninitializedCapacity: 3) { room in
      (room[0], room[1], room[2]) = codeBytes
      return 3
    }
  }

  public static let usd = Currency(uppercase: Array("USD".utf8))
  public static let gbp = Currency(uppercase: Array("GBP".utf8))
  public static let eur = Currency(uppercase: Array("EUR".utf8))
  public static let cad = Currency(uppercase: Array("CAD".utf8))

  /// The symbol written before amounts, when the currency has a common one.
  public var symbol: String? {
    // Told by the letters, not by the code made as a string (amounts are written by the
    // hundred thousand).
    if self == .usd { return "$" }
    if self == .gbp { return "£" }
    if self == .eur { return "€" }
    return nil
  }

  /// The code's three letters, in order.
  var codeBytes: (UInt8, UInt8, UInt8) {
    (
      UInt8(truncatingIfNeeded: letters), UInt8(truncatingIfNeeded: letters >> 8),
      UInt8(truncatingIfNeeded: letters >> 16)
    )
  }

  /// The currency a leading symbol stands for.
  public static func forSymbol(_ symbol: Character) -> Currency? {
    switch symbol {
    case "$": return .usd
    case "£": return .gbp
    case "€": return .eur
    default: return nil
    }
  }

  public var description: String { code }
}

/// An exact amount of money: a whole number of minor units (cents, pence) and a currency.
///
/// Money is never a binary float. Arithmetic is checked: an overflow is reported, never
/// wrapped. Multiplying money by money is not defined (the rule language rejects it).
public struct Money: Hashable, Sendable, CustomStringConvertible {
  /// Amount in minor units (1/100 of the currency unit).
  public let minorUnits: Int64
  public let currency: Currency

  public static let scale: Int64 = 100

  public init(minorUnits: Int64, currency: Currency) {
    self.minorUnits = minorUnits
    self.currency = currency
  }

  /// Whole currency units, e.g. `Money(units: 3300, currency: .usd)` is $3,300.00.
  public init(units: Int64, currency: Currency) {
    self.init(minorUnits: units * Money.scale, currency: currency)
  }

  public var isNegative: Bool { minorUnits < 0 }

  /// The amount written as a person writes it: `$3,300.00`, `-£50.25`, `CAD 1,750.00`.
  public var description: String {
    // Written as bytes into the string's own room (a message or a report writes amounts
    // by the hundred thousand: the digits grouped by characters, and interpolated, cost
    // some 4,700 instructions each).
    String(unsafeUninitializedCapacity: 48) { write(into: $0, grouped: true) }
  }

  /// The plain decimal form used in machine-readable output: `3300.00`, `-50.25`.
  public var decimalString: String {
    String(unsafeUninitializedCapacity: 32) { write(into: $0, grouped: false) }
  }

  /// Writes the amount: `grouped`, as `description` gives it (a sign, the currency's
  /// symbol or code, the whole units with a comma between each three digits), else as
  /// `decimalString`. Returns the number of bytes (at most 36: a sign, a code and a space,
  /// 19 digits and 6 commas, a point and two digits).
  private func write(into buffer: UnsafeMutableBufferPointer<UInt8>, grouped: Bool) -> Int {
    var count = 0
    func put(_ byte: UInt8) {
      buffer[count] = byte
      count += 1
    }
    if minorUnits < 0 { put(UInt8(ascii: "-")) }
    if grouped {
      if currency == .usd {
        put(UInt8(ascii: "$"))
      } else if currency == .gbp {
        put(0xC2)  // £
        put(0xA3)
      } else if currency == .eur {
        put(0xE2)  // €
        put(0x82)
        put(0xAC)
      } else {
        let (a, b, c) = currency.codeBytes
        put(a)
        put(b)
        put(c)
        put(UInt8(ascii: " "))
      }
    }
    let magnitude = minorUnits.magnitude
    var units = magnitude / UInt64(Money.scale)
    let cents = magnitude % UInt64(Money.scale)
    // The digits of the whole units, last first, in a word's room: at most 19.
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
    let digitCount = withUnsafeMutableBytes(of: &digits) { room in
      var n = 0
      repeat {
        room[n] = UInt8(ascii: "0") + UInt8(units % 10)
        units /= 10
        n += 1
      } while units != 0
      return n
    }
    withUnsafeBytes(of: &digits) { room in
      for position in (0..<digitCount).reversed() {
        put(room[position])
        if grouped && position > 0 && position % 3 == 0 { put(UInt8(ascii: ",")) }
      }
    }
    put(UInt8(ascii: "."))
    put(UInt8(ascii: "0") + UInt8(cents / 10))
    put(UInt8(ascii: "0") + UInt8(cents % 10))
    return count
  }
}

/// Why an arithmetic operation on money could not give an exact answer.
public enum MoneyError: Error, Equatable, Sendable, CustomStringConvertible {
  case currencyMismatch(Currency, Currency)
  case overflow

  public var description: String {
    switch self {
    case .currencyMismatch(let a, let b): return "cannot combine \(a) and \(b) amounts"
    case .overflow: return "amount too large to represent exactly"
    }
  }
}

extension Money {
  public func adding(_ other: Money) -> Result<Money, MoneyError> {
    guard currency == other.currency else {
      return .failure(.currencyMismatch(currency, other.currency))
    }
    let (sum, overflow) = minorUnits.addingReportingOverflow(other.minorUnits)
    return overflow ? .failure(.overflow) : .success(Money(minorUnits: sum, currency: currency))
  }

  public func subtracting(_ other: Money) -> Result<Money, MoneyError> {
    guard currency == other.currency else {
      return .failure(.currencyMismatch(currency, other.currency))
    }
    let (difference, overflow) = minorUnits.subtractingReportingOverflow(other.minorUnits)
    return overflow
      ? .failure(.overflow) : .success(Money(minorUnits: difference, currency: currency))
  }

  public func multiplied(by factor: Int64) -> Result<Money, MoneyError> {
    let (product, overflow) = minorUnits.multipliedReportingOverflow(by: factor)
    return overflow ? .failure(.overflow) : .success(Money(minorUnits: product, currency: currency))
  }

  public func negated() -> Result<Money, MoneyError> {
    minorUnits == .min
      ? .failure(.overflow) : .success(Money(minorUnits: -minorUnits, currency: currency))
  }

  /// Orders two amounts of the same currency; nil when the currencies differ.
  public func compare(_ other: Money) -> Int? {
    guard currency == other.currency else { return nil }
    return minorUnits < other.minorUnits ? -1 : (minorUnits == other.minorUnits ? 0 : 1)
  }
}

/// Reads amounts as filings write them.
public enum MoneyParser {
  /// Parses `1234.50`, `1234`, `$1,234.50`, `£50,000.00`, `-12.00`, `$-12.00`, `(12.00)`.
  ///
  /// Thousands separators must group exactly three digits (`1,2,3` is refused). At most
  /// two decimal places are kept; more are accepted only when the extra digits are zeros
  /// (`12.500`), so no amount is ever rounded. Exponents, `NaN` and `inf` are refused.
  /// A currency symbol in the text must agree with `currency`.
  public static func parse(_ text: Substring, currency: Currency) -> Result<Money, MoneyParseError>
  {
    var s = text.drop(while: { $0 == " " || $0 == "\t" })
    while let last = s.last, last == " " || last == "\t" { s = s.dropLast() }
    if s.isEmpty { return .failure(.empty) }
    // One sign at most: parentheses, or a minus or plus before or after the symbol.
    // Two (`(-50.00)`, `-$-5`) cancelled out, and a negative amount was read positive.
    var negative = false
    var signed = false
    if s.first == "(" && s.last == ")" {
      negative = true
      signed = true
      s = s.dropFirst().dropLast()
    }
    if s.first == "-" || s.first == "+" {
      if signed { return .failure(.notANumber) }
      negative = s.first == "-"
      signed = true
      s = s.dropFirst()
    }
    if let first = s.first, let symbolCurrency = Currency.forSymbol(first) {
      guard symbolCurrency == currency else {
        return .failure(.wrongCurrency(found: symbolCurrency, expected: currency))
      }
      s = s.dropFirst()
      if s.first == "-" || s.first == "+" {
        if signed { return .failure(.notANumber) }
        negative = s.first == "-"
        s = s.dropFirst()
      }
    }
    if s.isEmpty { return .failure(.notANumber) }
    let parts = s.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
    if parts.count > 2 { return .failure(.notANumber) }
    let integerPart = parts[0]
    let fractionPart = parts.count == 2 ? parts[1] : ""
    if integerPart.isEmpty && fractionPart.isEmpty { return .failure(.notANumber) }
    // Integer digits, optionally grouped by commas.
    var units: Int64 = 0
    if integerPart.contains(",") {
      let groups = integerPart.split(separator: ",", omittingEmptySubsequences: false)
      guard let head = groups.first, (1...3).contains(head.count),
        groups.dropFirst().allSatisfy({ $0.count == 3 })
      else { return .failure(.badGrouping) }
    }
    for ch in integerPart where ch != "," {
      guard let digit = ch.wholeNumberValue, ch.isASCII else { return .failure(.notANumber) }
      let (times10, o1) = units.multipliedReportingOverflow(by: 10)
      let (next, o2) = times10.addingReportingOverflow(Int64(digit))
      if o1 || o2 { return .failure(.tooLarge) }
      units = next
    }
    var cents: Int64 = 0
    for (index, ch) in fractionPart.enumerated() {
      guard let digit = ch.wholeNumberValue, ch.isASCII else { return .failure(.notANumber) }
      if index == 0 {
        cents += Int64(digit) * 10
      } else if index == 1 {
        cents += Int64(digit)
      } else if digit != 0 {
        return .failure(.tooPrecise)
      }
    }
    let (scaled, o1) = units.multipliedReportingOverflow(by: Money.scale)
    let (total, o2) = scaled.addingReportingOverflow(cents)
    if o1 || o2 { return .failure(.tooLarge) }
    return .success(Money(minorUnits: negative ? -total : total, currency: currency))
  }
}

public enum MoneyParseError: Error, Equatable, Sendable, CustomStringConvertible {
  case empty
  case notANumber
  case badGrouping
  case tooPrecise
  case tooLarge
  case wrongCurrency(found: Currency, expected: Currency)

  public var description: String {
    switch self {
    case .empty: return "empty amount"
    case .notANumber: return "not an amount (expected digits like 1234.50, $1,234.50 or £50,000.00)"
    case .badGrouping: return "thousands separators must group three digits (like 1,234,567.00)"
    case .tooPrecise: return "more than two decimal places (amounts are never rounded)"
    case .tooLarge: return "amount too large"
    case .wrongCurrency(let found, let expected):
      return "amount is in \(found) but this filing's currency is \(expected)"
    }
  }
}

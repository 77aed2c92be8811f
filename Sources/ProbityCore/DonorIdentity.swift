/// Normalized names and postal codes, for grouping a donor's gifts whatever the spelling.
///
/// Limits apply to the person, not to the spelling: "SMITH, JOHN", "Smith, John A." and
/// "JOHN SMITH" are one donor. A false merge is worse than a missed one (it can accuse a
/// donor of an excess that two people made), so the keys are conservative:
/// - middle names and initials are dropped, but a generational suffix (JR, SR, II, III,
///   IV) is kept: a father and a son at one address are two donors;
/// - titles (MR, DR, SIR, ...) and honours or degrees (MD, PHD, OBE, MP, ...) are dropped;
/// - nicknames are not resolved (BOB is not ROBERT).
public enum DonorIdentity {
  static let prefixes: Set<String> = [
    "MR", "MRS", "MS", "MISS", "MX", "DR", "PROF", "PROFESSOR", "REV", "REVEREND", "HON",
    "HONORABLE", "SIR", "DAME",
    "LORD", "LADY", "BARONESS", "BARON", "RT", "RIGHT", "THE", "CAPT", "COL", "GEN", "SEN", "REP",
    "GOV", "JUDGE",
  ]
  static let generational: Set<String> = ["JR", "SR", "JNR", "SNR", "II", "III", "IV"]
  static let honours: Set<String> = [
    "MD", "PHD", "ESQ", "CPA", "DDS", "DVM", "JD", "RN", "MP", "MSP", "MS", "AM", "OBE", "CBE",
    "MBE", "KBE", "DBE", "KC",
    "QC", "FRS", "BT", "BART",
  ]
  static let particles: Set<String> = [
    "DE", "DEL", "DELA", "LA", "LE", "DI", "DA", "DOS", "VAN", "VON", "DER", "DEN", "ST", "MAC",
  ]

  /// Upper-case words of a name: letters and digits only; apostrophes and hyphens join
  /// (O'NEIL → ONEIL), other punctuation separates.
  public static func words(_ text: Substring) -> [String] {
    if let ascii = asciiWords(text.utf8) { return ascii }
    var result: [String] = []
    var current = ""
    for character in text.uppercased() {
      if character.isLetter || character.isNumber {
        current.append(character)
      } else if character == "'" || character == "’" || character == "-" {
        continue
      } else if !current.isEmpty {
        result.append(current)
        current = ""
      }
    }
    if !current.isEmpty { result.append(current) }
    return result
  }

  /// The same for an ASCII name, byte by byte (the common case, and much faster); nil
  /// when the name has other characters.
  static func asciiWords(_ bytes: Substring.UTF8View) -> [String]? {
    var result: [String] = []
    var current: [UInt8] = []
    current.reserveCapacity(16)
    for byte in bytes {
      switch byte {
      case 0x41...0x5A, 0x30...0x39: current.append(byte)
      case 0x61...0x7A: current.append(byte - 0x20)
      case UInt8(ascii: "'"), UInt8(ascii: "-"): continue
      case 0x80...: return nil
      default:
        if !current.isEmpty {
          result.append(String(decoding: current, as: UTF8.self))
          current.removeAll(keepingCapacity: true)
        }
      }
    }
    if !current.isEmpty { result.append(String(decoding: current, as: UTF8.self)) }
    return result
  }

  /// `LAST FIRST` (plus a generational suffix), or nil for a name with no words, or one
  /// that names two people (`namesTwoPeople`).
  public static func personKey(_ name: String) -> String? {
    var name = name
    if name.withUTF8(namesTwoPeople) { return nil }
    if let key = name.withUTF8({ ASCIIPersonKey($0)?.key }) { return key }
    return generalPersonKey(name)
  }

  /// Whether a name joins two people with the word AND or `&` ("SMITH, JOHN AND JANE",
  /// "MR. AND MRS. ROBERT JONES", "TAGHI, IRAJ & FARIBA"), with `/` or `+` between given
  /// names ("LIVENGOOD, KARL/BETY", "SMITH, JOHN + JANE", "JOHN/JANE SMITH"; in a surname,
  /// "WEISS+SHARP, ALIX", one person's two), or with the word OR between two words ("SMITH,
  /// JOHN OR JANE"): a joint gift, the signers' to share (11 CFR 110.1(k)), which the name
  /// cannot tell how. Keyed to the first person it named, the whole gift was one donor's
  /// (a lawful $6,600 from a couple was an excess), and two couples of one surname were
  /// one donor. It has no key: the rules that group by it cannot judge it (undetermined),
  /// rather than judge it wrong. (A slash also writes one person's other name, "CAPIZZI,
  /// ANTONIO/TONY": not judged either, a miss at worst. OR alone at either end is a name,
  /// the Hebrew first name Or: "COHEN, OR".)
  static func namesTwoPeople(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A }
    /// Whether the letters at `index` of `count` bytes are a word of their own.
    func isWord(at index: Int, _ count: Int) -> Bool {
      (index == 0 || !isLetter(bytes[index - 1]) && bytes[index - 1] < 0x80)
        && (index + count == bytes.count
          || !isLetter(bytes[index + count]) && bytes[index + count] < 0x80)
    }
    // A slash or a plus joins given names: after the comma of "LAST, FIRST", before the
    // last word of "FIRST LAST". In the surname, it joins two surnames of one person
    // ("WEISS+SHARP, ALIX", in ../shared/data/fec-bulk).
    let comma = bytes.firstIndex(of: UInt8(ascii: ","))
    let lastSpace = bytes.lastIndex(of: UInt8(ascii: " "))
    func joinsGivenNames(_ index: Int) -> Bool {
      if let comma { return index > comma }
      return lastSpace.map { index < $0 } ?? false
    }
    var index = 0
    while index < bytes.count {
      let byte = bytes[index]
      if byte == UInt8(ascii: "&") { return true }
      if byte == UInt8(ascii: "/") || byte == UInt8(ascii: "+"), joinsGivenNames(index) {
        return true
      }
      if byte | 0x20 == UInt8(ascii: "a"), index + 2 < bytes.count,
        bytes[index + 1] | 0x20 == UInt8(ascii: "n"), bytes[index + 2] | 0x20 == UInt8(ascii: "d"),
        isWord(at: index, 3)
      {
        return true
      }
      if byte | 0x20 == UInt8(ascii: "o"), index + 1 < bytes.count,
        bytes[index + 1] | 0x20 == UInt8(ascii: "r"), isWord(at: index, 2),
        bytes[..<index].contains(where: isLetter),
        bytes[(index + 2)...].contains(where: isLetter)
      {
        return true
      }
      index += 1
    }
    return false
  }

  /// The same for any text, with words as Strings and the lists as sets of them: the
  /// reference that `ASCIIPersonKey` must agree with (`DonorIdentityTests` compares them).
  static func generalPersonKey(_ name: String) -> String? {
    var suffix: String?
    func strip(_ tokens: [String], keepFirst: Bool) -> [String] {
      var result: [String] = []
      for (index, token) in tokens.enumerated() {
        if generational.contains(token) {
          suffix = token
          continue
        }
        if honours.contains(token) && index > 0 { continue }
        if prefixes.contains(token) && result.isEmpty && !(keepFirst && index == tokens.count - 1) {
          continue
        }
        result.append(token)
      }
      return result
    }
    let last: String
    let first: String?
    if let comma = name.firstIndex(of: ",") {
      // LAST [SUFFIX], [TITLE] FIRST [MIDDLE] [SUFFIX]
      let lastWords = strip(words(name[..<comma]), keepFirst: true)
      let restWords = strip(words(name[name.index(after: comma)...]), keepFirst: false)
      guard !lastWords.isEmpty || !restWords.isEmpty else { return nil }
      if lastWords.isEmpty {
        last = restWords.last ?? ""
        first = restWords.count > 1 ? restWords.first : nil
      } else {
        last = lastWords.joined()
        first = restWords.first
      }
    } else {
      // [TITLE] FIRST [MIDDLE] [PARTICLES] LAST [SUFFIX]
      let tokens = strip(words(Substring(name)), keepFirst: false)
      guard let lastToken = tokens.last else { return nil }
      var start = tokens.count - 1
      while start > 1 && particles.contains(tokens[start - 1]) { start -= 1 }
      last = tokens[start...].joined()
      _ = lastToken
      first = start > 0 ? tokens[0] : nil
    }
    var key = last
    if let first { key += " " + first }
    if let suffix { key += " " + suffix }
    return key.isEmpty ? nil : key
  }

  /// What a person's name says beside its key, that can tell two people of one key
  /// apart: the initial of its middle name (`SMITH, JOHN A` and `JOHN ALLEN SMITH`: A),
  /// and whether its title is a man's (MR) or a woman's (MRS, MS, MISS). `person_key`
  /// drops both, so that "Smith, John A." is "SMITH, JOHN"; but "JONES, MARY ANN" and
  /// "JONES, MARY BETH", or "MR. JOHN SMITH" and "MRS. JOHN SMITH" (a wife's name in the
  /// traditional form), are two people, and one total of theirs may be no one's excess.
  public struct PersonMarks: Equatable, Sendable {
    public var middleInitial: Character?
    public var title: Title?

    public enum Title: Sendable { case man, woman }

    public init(middleInitial: Character? = nil, title: Title? = nil) {
      self.middleInitial = middleInitial
      self.title = title
    }
  }

  /// The title a word is, when it tells a man from a woman.
  public static func title(_ word: String) -> PersonMarks.Title? {
    switch word {
    case "MR": return .man
    case "MRS", "MS", "MISS": return .woman
    default: return nil
    }
  }

  /// The marks of a name read as `person_key` reads it (`LAST, [TITLE] FIRST [MIDDLE]` or
  /// `[TITLE] FIRST [MIDDLE] [PARTICLES] LAST`).
  public static func marks(_ name: String) -> PersonMarks {
    var marks = PersonMarks()
    func given(_ tokens: [String]) -> [String] {
      var result: [String] = []
      for (index, token) in tokens.enumerated() {
        if generational.contains(token) || (honours.contains(token) && index > 0) { continue }
        // A title anywhere (the FEC's "TIGHE, GERALD MR."): never a middle name.
        if prefixes.contains(token) {
          if marks.title == nil { marks.title = title(token) }
          continue
        }
        result.append(token)
      }
      return result
    }
    if let comma = name.firstIndex(of: ",") {
      let rest = given(words(name[name.index(after: comma)...]))
      if rest.count > 1 { marks.middleInitial = rest[1].first }
    } else {
      let tokens = given(words(Substring(name)))
      var start = tokens.count - 1
      while start > 1 && particles.contains(tokens[start - 1]) { start -= 1 }
      if start > 1 { marks.middleInitial = tokens[1].first }
    }
    return marks
  }

  static let organizationForms: [String: String] = [
    "INCORPORATED": "INC", "CORPORATION": "CORP", "COMPANY": "CO", "LIMITED": "LTD",
    "PUBLIC": "PUBLIC",
    "ASSOCIATION": "ASSN", "ASSOC": "ASSN", "BROTHERS": "BROS", "INTERNATIONAL": "INTL",
    "AND": "AND",
  ]

  /// An organisation's name in one spelling: upper case, `&` as AND, no punctuation, no
  /// leading THE, legal forms in one spelling (INCORPORATED → INC, L.L.C. → LLC).
  public static func organizationKey(_ name: String) -> String? {
    let spaced = name.replacingOccurrences(of: "&", with: " AND ")
    var tokens = words(Substring(spaced.replacingOccurrences(of: ".", with: "")))
    if tokens.first == "THE" && tokens.count > 1 { tokens.removeFirst() }
    tokens = tokens.map { organizationForms[$0] ?? $0 }
    return tokens.isEmpty ? nil : tokens.joined(separator: " ")
  }

  /// The first five digits of a ZIP code (`45402-1234` → `45402`), or nil.
  public static func zip5(_ zip: String) -> String? {
    // The digits are gathered in one word, not an array, read on the contiguous bytes
    // (`withUTF8`: the UTF-8 view's iterator cost more than the work); this runs on
    // every record grouped by donor.
    var zip = zip
    // Five digits and nothing else (most ZIP codes): the text itself, no new string.
    var whole = false
    let digits: UInt64? = zip.withUTF8 { bytes in
      if bytes.count == 5 && bytes.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
        whole = true
        return 0
      }
      var digits: UInt64 = 0
      var count = 0
      for byte in bytes where byte >= 48 && byte <= 57 {
        digits |= UInt64(byte) << (8 * count)
        count += 1
        if count == 5 { return digits }
      }
      return nil
    }
    guard let digits else { return nil }
    if whole { return zip }
    return String(unsafeUninitializedCapacity: 5) { out in
      for index in 0..<5 { out[index] = UInt8(truncatingIfNeeded: digits >> (8 * index)) }
      return 5
    }
  }

  /// A UK postcode as `SW1A 1AA`: upper case, one space before the three-character
  /// inward code; anything that is not 5 to 7 characters is only upper-cased.
  public static func postcode(_ code: String) -> String? {
    let compact = code.uppercased().filter { $0.isLetter || $0.isNumber }
    guard !compact.isEmpty else { return nil }
    guard (5...7).contains(compact.count) else { return compact }
    return String(compact.dropLast(3)) + " " + String(compact.suffix(3))
  }
}

extension String {
  /// Every occurrence of `target` replaced (without Foundation).
  func replacingOccurrences(of target: String, with replacement: String) -> String {
    guard !target.isEmpty else { return self }
    var result = ""
    var rest = Substring(self)
    while let range = rest.range(of: target) {
      result += rest[..<range.lowerBound]
      result += replacement
      rest = rest[range.upperBound...]
    }
    return result + rest
  }
}

extension Substring {
  fileprivate func range(of target: String) -> Range<Substring.Index>? {
    var index = startIndex
    while index < endIndex {
      if self[index...].hasPrefix(target) {
        return index..<self.index(index, offsetBy: target.count)
      }
      index = self.index(after: index)
    }
    return nil
  }
}

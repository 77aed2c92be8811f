/// `DonorIdentity.personKey` of an ASCII name, computed on its bytes: no String per word,
/// no hashing of words. Donor names are nearly all ASCII and `person_key(name)` runs on
/// every contribution of a US audit, where it was a tenth of the work.
///
/// It gives exactly what `DonorIdentity.generalPersonKey` gives (the reference, kept for
/// names with other characters); `DonorIdentityTests` compares the two on real filings
/// and on the awkward cases. The word lists are the same sets, turned into codes.
struct ASCIIPersonKey {
  /// The key, or nil for a name with no words.
  let key: String?

  /// A word of the name: where its upper-case letters are in the scratch buffer, and its
  /// code (see `code`).
  private struct Word {
    var start: Int
    var end: Int
    var code: UInt64
  }

  /// Letters and digits of a word, six bits each (A-Z: 1-26, 0-9: 27-36), for words of
  /// up to ten characters; longer words are in no list and get `long`.
  private static func digit(_ byte: UInt8) -> UInt64 {
    byte >= UInt8(ascii: "A")
      ? UInt64(byte - UInt8(ascii: "A") + 1) : UInt64(byte - UInt8(ascii: "0") + 27)
  }
  private static let long = UInt64.max
  private static let longest = 10

  static func code<S: Sequence<UInt8>>(_ word: S) -> UInt64 {
    var code: UInt64 = 0
    var length = 0
    for byte in word {
      length += 1
      if length > longest { return long }
      code = code << 6 | digit(byte)
    }
    return code
  }

  /// The lists a word is in, as bits.
  private static let prefix: UInt8 = 1
  private static let generational: UInt8 = 2
  private static let honour: UInt8 = 4
  private static let particle: UInt8 = 8

  /// The words of the four lists by code, open addressing: each slot holds a word's code
  /// shifted left 4 bits (a code has at most 60) and the bits of its lists; 0 is an
  /// empty slot (a code is never 0). One probe or two per word, where searching the
  /// lists one after another cost about a hundred comparisons per name.
  private static let tableSize = 256
  private static let table: [UInt64] = {
    var table = [UInt64](repeating: 0, count: tableSize)
    let lists: [(Set<String>, UInt8)] = [
      (DonorIdentity.prefixes, prefix), (DonorIdentity.generational, generational),
      (DonorIdentity.honours, honour), (DonorIdentity.particles, particle),
    ]
    for (list, bit) in lists {
      for word in list {
        let wordCode = code(word.utf8)
        precondition(wordCode != long, "a listed word longer than \(longest) characters")
        var index = slot(wordCode)
        while table[index] != 0 && table[index] >> 4 != wordCode { index = (index + 1) % tableSize }
        table[index] = wordCode << 4 | (table[index] & 0xF) | UInt64(bit)
      }
    }
    return table
  }()

  private static func slot(_ code: UInt64) -> Int {
    Int(truncatingIfNeeded: (code &* 0x9E37_79B9_7F4A_7C15) >> 56)  // tableSize = 2^8
  }

  /// The lists the word with this code is in, as bits (0: none).
  static func classes(_ code: UInt64) -> UInt8 {
    table.withUnsafeBufferPointer { table in
      var index = slot(code)
      while true {
        let entry = table[index]
        if entry == 0 { return 0 }
        if entry >> 4 == code { return UInt8(truncatingIfNeeded: entry & 0xF) }
        index = (index + 1) & (tableSize - 1)
      }
    }
  }

  /// nil when the name has a byte that is not ASCII.
  init?(_ name: UnsafeBufferPointer<UInt8>) {
    var comma = -1
    for index in name.indices {
      let byte = name[index]
      if byte >= 0x80 { return nil }
      if byte == UInt8(ascii: ",") && comma < 0 { comma = index }
    }
    key = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: name.count + 2) { letters in
      withUnsafeTemporaryAllocation(of: Word.self, capacity: name.count / 2 + 2) { words in
        withUnsafeTemporaryAllocation(of: Int.self, capacity: name.count / 2 + 2) { kept in
          Self.key(name, comma: comma, letters: letters, words: words, kept: kept)
        }
      }
    }
  }

  private static func key(
    _ name: UnsafeBufferPointer<UInt8>, comma: Int, letters: UnsafeMutableBufferPointer<UInt8>,
    words: UnsafeMutableBufferPointer<Word>, kept: UnsafeMutableBufferPointer<Int>
  ) -> String? {
    // The words, as `DonorIdentity.asciiWords` reads them: letters and digits in upper
    // case; an apostrophe or a hyphen joins; anything else separates. `split`: the number
    // of words before the first comma.
    var used = 0
    var count = 0
    var split = -1
    var inWord = false
    for index in name.indices {
      if index == comma { split = count + (inWord ? 1 : 0) }
      var byte = name[index]
      switch byte {
      case 0x61...0x7A: byte -= 0x20
      case 0x41...0x5A, 0x30...0x39: break
      case UInt8(ascii: "'"), UInt8(ascii: "-"): continue
      default:
        if inWord {
          count += 1
          inWord = false
        }
        continue
      }
      if !inWord {
        words[count] = Word(start: used, end: used, code: 0)
        inWord = true
      }
      letters[used] = byte
      used += 1
      words[count].end = used
      let length = used - words[count].start
      words[count].code = length > longest ? long : words[count].code << 6 | digit(byte)
    }
    if inWord { count += 1 }

    var suffix = -1
    // `DonorIdentity.personKey`'s `strip`: the words of lo..<hi kept, written to `kept`
    // from `base`; the count.
    func strip(_ lo: Int, _ hi: Int, keepFirst: Bool, base: Int) -> Int {
      var result = 0
      for word in lo..<hi {
        let lists = classes(words[word].code)
        if lists & generational != 0 {
          suffix = word
          continue
        }
        if word > lo && lists & honour != 0 { continue }
        if result == 0 && lists & prefix != 0 && !(keepFirst && word == hi - 1) { continue }
        kept[base + result] = word
        result += 1
      }
      return result
    }

    var lastWords = 0..<0  // in `kept`
    var first = -1
    if split >= 0 {
      let before = strip(0, split, keepFirst: true, base: 0)
      let after = strip(split, count, keepFirst: false, base: before)
      guard before > 0 || after > 0 else { return nil }
      if before == 0 {
        lastWords = (after - 1)..<after
        if after > 1 { first = kept[0] }
      } else {
        lastWords = 0..<before
        if after > 0 { first = kept[before] }
      }
    } else {
      let total = strip(0, count, keepFirst: false, base: 0)
      guard total > 0 else { return nil }
      var start = total - 1
      while start > 1 && classes(words[kept[start - 1]].code) & particle != 0 { start -= 1 }
      lastWords = start..<total
      if start > 0 { first = kept[0] }
    }

    // Written to a buffer on the stack, then made a String of its length: a key of up to
    // 15 bytes is then a small string, with nothing allocated (a String made with room
    // for the longest key allocated its storage first).
    return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: used + 2) { out in
      var length = 0
      func append(_ word: Int) {
        for index in words[word].start..<words[word].end {
          out[length] = letters[index]
          length += 1
        }
      }
      for position in lastWords { append(kept[position]) }
      func appendSpaced(_ word: Int) {
        guard word >= 0 else { return }
        out[length] = UInt8(ascii: " ")
        length += 1
        append(word)
      }
      appendSpaced(first)
      appendSpaced(suffix)
      return String(decoding: UnsafeBufferPointer(rebasing: out[..<length]), as: UTF8.self)
    }
  }
}

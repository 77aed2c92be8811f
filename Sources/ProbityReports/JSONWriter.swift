/// A small JSON writer that keeps keys in the order they are written, so the same
/// report always gives the same bytes.
struct JSONWriter {
  private(set) var output = ""
  private var needsComma: [Bool] = [false]
  private let indentUnit = "  "

  private var indent: String { String(repeating: indentUnit, count: needsComma.count - 1) }

  private mutating func separator() {
    if needsComma[needsComma.count - 1] { output += "," }
    if needsComma.count > 1 { output += "\n" + indent }
    needsComma[needsComma.count - 1] = true
  }

  mutating func key(_ name: String) {
    separator()
    output += JSONWriter.quote(name) + ": "
    needsComma[needsComma.count - 1] = false
    pendingKey = true
  }

  private var pendingKey = false

  private mutating func beginValue() {
    if pendingKey {
      pendingKey = false
      needsComma[needsComma.count - 1] = true
    } else {
      separator()
    }
  }

  mutating func string(_ s: String?) {
    beginValue()
    output += s.map(JSONWriter.quote) ?? "null"
  }

  mutating func int(_ i: Int) {
    beginValue()
    output += String(i)
  }

  mutating func bool(_ b: Bool) {
    beginValue()
    output += b ? "true" : "false"
  }

  mutating func null() {
    beginValue()
    output += "null"
  }

  mutating func raw(_ text: String) {
    beginValue()
    output += text
  }

  mutating func beginObject() {
    beginValue()
    output += "{"
    needsComma.append(false)
  }

  mutating func endObject() {
    let hadItems = needsComma.removeLast()
    output += hadItems ? "\n" + indent + "}" : "}"
  }

  mutating func beginArray() {
    beginValue()
    output += "["
    needsComma.append(false)
  }

  mutating func endArray() {
    let hadItems = needsComma.removeLast()
    output += hadItems ? "\n" + indent + "]" : "]"
  }

  mutating func field(_ name: String, _ value: String?) {
    key(name)
    string(value)
  }

  mutating func field(_ name: String, _ value: Int) {
    key(name)
    int(value)
  }

  static func quote(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if scalar.value < 0x20 {
          let hex = String(scalar.value, radix: 16)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }
}
